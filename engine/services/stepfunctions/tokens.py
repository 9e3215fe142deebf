"""Task tokens: callbacks (`.waitForTaskToken`) and activity tasks waiting for an answer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from engine.clock import Clock, Timer

from .errors import Failure


@dataclass(slots=True)
class PendingToken:
    """One task token: the execution waiting on it and its heartbeat deadline."""

    token: str
    execution_arn: str
    future: asyncio.Future
    heartbeat: float | None = None
    timer: Timer | None = None

    async def wait(self) -> Any:
        """The answer: the task's output, or a Failure to raise."""
        return await self.future

    def close(self) -> None:
        """Stop the heartbeat timer (the task is over)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class TokenBook:
    """Every open task token, by token text."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.open: dict[str, PendingToken] = {}

    def add(self, token: str, execution_arn: str, heartbeat: float | None) -> PendingToken:
        """Open a token whose answer the caller will await."""
        future = asyncio.get_running_loop().create_future()
        pending = PendingToken(token, execution_arn, future, heartbeat)
        self.open[token] = pending
        self.beat(pending)
        return pending

    def beat(self, pending: PendingToken) -> None:
        """Restart the heartbeat window."""
        if pending.heartbeat is None:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        pending.timer = self.clock.call_later(pending.heartbeat, self._expire, pending)

    def _expire(self, pending: PendingToken) -> None:
        # AWS reports a missed heartbeat as States.Timeout (TaskTimedOut, ExecutionFailed);
        # only a Catch or Retry can tell it apart, by States.HeartbeatTimeout.
        failure = Failure("States.Timeout", None)
        failure.heartbeat = True
        self.resolve(pending.token, failure=failure)

    def resolve(self, token: str, output: Any = None, failure: Failure | None = None) -> bool:
        """Answer a token; False when it is not open."""
        pending = self.open.pop(token, None)
        if pending is None:
            return False
        pending.close()
        if not pending.future.done():
            if failure is not None:
                pending.future.set_exception(failure)
            else:
                pending.future.set_result(output)
        return True

    def discard(self, token: str) -> None:
        """Forget a token whose task ended another way (timeout, stop)."""
        pending = self.open.pop(token, None)
        if pending is not None:
            pending.close()
