"""The errors a running state machine raises, named as AWS names them."""

from __future__ import annotations

#: Errors that no Retry or Catch handles: they always fail the execution.
#: (AWS does catch States.DataLimitExceeded from a Task result, so it is not listed.)
UNCATCHABLE = frozenset({"States.Runtime"})


class Failure(Exception):
    """A state failed with an ASL error name and an optional cause."""

    def __init__(self, error: str | None, cause: str | None = None) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause
        #: The field a query evaluation failed in (EvaluationFailed's location).
        self.location: str | None = None
        #: Whether an EvaluationFailed event already tells of this failure.
        self.reported = False
        #: Whether a Map iteration or Parallel branch failed (the state's Failed event is due).
        self.from_children = False
        #: A States.Timeout that is a missed heartbeat (what States.HeartbeatTimeout matches).
        self.heartbeat = False

    def output(self) -> dict[str, str]:
        """The error output a Catch passes on: {"Error", "Cause"}."""
        out: dict[str, str] = {"Error": self.error or ""}
        if self.cause is not None:
            out["Cause"] = self.cause
        return out


def matches(
    names: list[str], error: str | None, branch_failed: bool = False, heartbeat: bool = False
) -> bool:
    """Whether a retrier's or catcher's ErrorEquals covers `error`.

    `branch_failed`: the error came out of a Parallel branch, which States.BranchFailed names.
    `heartbeat`: the error is a States.Timeout from a missed heartbeat — AWS reports it as
    States.Timeout (so that name covers it), and States.HeartbeatTimeout names only it.
    """
    if error in UNCATCHABLE:
        return False
    for name in names:
        if name == error or name == "States.ALL":
            return True
        if name == "States.BranchFailed" and branch_failed:
            return True
        if name == "States.HeartbeatTimeout" and heartbeat:
            return True
        if name == "States.TaskFailed" and error not in (
            "States.Timeout",
            "States.HeartbeatTimeout",
        ):
            return True
    return False
