"""Execution logs to CloudWatch Logs, as a state machine's LoggingConfiguration asks.

Level ALL logs every history event, ERROR the failures, FATAL only executions that fail,
time out or are aborted; without includeExecutionData, inputs and outputs are left out.
EXPRESS executions (which keep no history) are logged the same way.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .records import Execution
    from .service import StepFunctionsService

_FATAL = {"ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}
_DATA_KEYS = {"input", "output", "inputDetails", "outputDetails", "result", "resultDetails"}


def _is_error(kind: str) -> bool:
    return kind.endswith(("Failed", "TimedOut", "Aborted"))


class ExecutionLogger:
    """Writes one execution's history events as JSON log events."""

    def __init__(self, service: StepFunctionsService, execution: Execution, group: str, level: str,
                 include_data: bool) -> None:  # fmt: skip
        self.service = service
        self.execution = execution
        self.group = group
        self.level = level
        self.include_data = include_data
        stamp = service.clock.datetime().strftime("%Y-%m-%d-%H-%M")
        self.stream = f"states/{execution.machine.name}/{stamp}/{service.ids.hex(8)}"
        self.count = 0

    @classmethod
    def for_execution(
        cls, service: StepFunctionsService, execution: Execution
    ) -> ExecutionLogger | None:
        """A logger when the machine's logging is on and names a log group, else None."""
        logging = execution.machine.logging or {}
        level = logging.get("level", "OFF")
        destinations = logging.get("destinations") or []
        if level == "OFF" or not destinations:
            return None
        arn = destinations[0].get("cloudWatchLogsLogGroup", {}).get("logGroupArn", "")
        group = arn.split(":log-group:", 1)[-1].removesuffix(":*")
        if not group:
            return None
        return cls(service, execution, group, level, bool(logging.get("includeExecutionData")))

    def log(self, kind: str, key: str | None, details: Any, history: list | None,
            previous: int) -> None:  # fmt: skip
        """Write one history event if the level includes it."""
        self.count += 1
        if self.level == "FATAL" and kind not in _FATAL:
            return
        if self.level == "ERROR" and not _is_error(kind):
            return
        shown = details if isinstance(details, dict) else {}
        if not self.include_data:
            shown = {k: v for k, v in shown.items() if k not in _DATA_KEYS}
        now = self.service.clock.now()
        record = {
            "id": str(len(history) + 1 if history is not None else self.count),
            "type": kind,
            "details": shown,
            "previous_event_id": str(previous),
            "event_timestamp": str(int(now * 1000)),
            "execution_arn": self.execution.arn,
            "redrive_count": str(getattr(self.execution, "redrive_count", 0)),
        }
        logs = self.service.engine.service("logs")
        logs.ingest(self.group, self.stream, [(int(now * 1000), json.dumps(record, default=str))])
