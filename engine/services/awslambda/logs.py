"""Per-invocation log capture (print and logging) and each function's bounded log stream."""

from __future__ import annotations

import io
import logging
import math
import sys
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

#: Invocations kept per function log; older ones fall off (CloudWatch keeps more, a lab needs less).
INVOCATIONS_PER_FUNCTION = 500
#: LogType=Tail returns the last 4 KB of the invocation's log.
TAIL_BYTES = 4096


class InvocationLog:
    """One invocation's log: what the handler wrote, plus the runtime's START/END/REPORT lines.

    The runtime's lines are formatted only when someone reads the log (Tail, the REPL), so an
    invocation that nobody looks at costs no string formatting.
    """

    __slots__ = (
        "request_id",
        "version",
        "clock_now",
        "parts",
        "environ",
        "elapsed_ms",
        "memory",
        "cold",
        "timed_out",
        "finished",
        "slept",
        "started",
        "stream",
    )

    def __init__(
        self, request_id: str, version: str, clock_now: Callable[[], float], memory: int
    ) -> None:
        self.request_id = request_id
        self.version = version
        self.clock_now = clock_now  # epoch seconds on the engine clock
        self.parts: list[str] = []
        self.environ: dict[str, str] | None = None
        self.elapsed_ms = 0.0
        self.memory = memory
        self.cold = False
        self.timed_out = False
        self.finished = False
        self.slept = 0.0  # seconds of time.sleep() in zip code, paid on the clock afterwards
        self.started = clock_now()
        self.stream = ""  # the execution environment's log stream (YYYY/MM/DD/[$LATEST]hex)

    def write(self, text: str) -> None:
        """Append raw text (print output arrives in pieces)."""
        if text:
            self.parts.append(text)

    def text(self) -> str:
        """The invocation's log as the function's log stream shows it."""
        request_id = self.request_id
        head = f"START RequestId: {request_id} Version: {self.version}\n"
        if not self.finished:
            return head + "".join(self.parts)
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {self.elapsed_ms:.2f} ms\t"
            f"Billed Duration: {max(1, math.ceil(self.elapsed_ms))} ms\t"
            f"Memory Size: {self.memory} MB\tMax Memory Used: {min(self.memory, 40)} MB"
        )
        if self.cold:
            report += "\tInit Duration: 0.00 ms"
        if self.timed_out:
            report += "\tStatus: timeout"
        body = "".join(self.parts)
        if body and not body.endswith("\n"):
            body += "\n"
        return f"{head}{body}END RequestId: {request_id}\n{report}\n"

    def events(self) -> list[tuple[int, str]]:
        """The log as CloudWatch Logs events: START, each printed line (tracebacks kept whole),
        END and REPORT, timestamped in epoch milliseconds."""
        start = int(self.started * 1000)
        end = start + int(self.elapsed_ms)
        lines = self.text().splitlines()
        events: list[tuple[int, str]] = []
        for index, line in enumerate(lines):
            last = index >= len(lines) - 2 and self.finished
            if events and line[:1] in (" ", "\t") and not last:
                events[-1] = (events[-1][0], f"{events[-1][1]}\n{line}")
            else:
                events.append((end if last else start, line))
        return events

    def tail(self) -> str:
        """The last 4 KB, as LogType=Tail returns it (before base64)."""
        data = self.text().encode()
        return data[-TAIL_BYTES:].decode(errors="ignore")


#: The invocation whose handler is running in this task (asyncio copies it into child tasks).
current_log: ContextVar[InvocationLog | None] = ContextVar("pipework_lambda_log", default=None)


class _CapturingStream(io.TextIOBase):
    """Stands in for stdout/stderr while handlers run: writes go to the running invocation's log."""

    def __init__(self, fallback: TextIO) -> None:
        self.fallback = fallback

    def write(self, text: str) -> int:
        log = current_log.get()
        if log is None:
            return self.fallback.write(text)
        log.write(text)
        return len(text)

    def flush(self) -> None:
        if current_log.get() is None:
            self.fallback.flush()

    def writable(self) -> bool:
        return True


class StreamCapture:
    """Swaps sys.stdout/sys.stderr for capturing streams while any invocation runs (refcounted)."""

    def __init__(self) -> None:
        self._active = 0
        self._stdout = _CapturingStream(sys.stdout)
        self._stderr = _CapturingStream(sys.stderr)

    def enter(self) -> None:
        """An invocation starts: make sure print goes through the capturing streams."""
        self._active += 1
        if self._active == 1:
            self._stdout.fallback = sys.stdout
            self._stderr.fallback = sys.stderr
            sys.stdout = self._stdout
            sys.stderr = self._stderr

    def exit(self) -> None:
        """An invocation ends: restore the original streams when none is left running."""
        self._active -= 1
        if self._active == 0:
            # Only undo our own swap: if someone replaced a stream meanwhile, leave theirs.
            if sys.stdout is self._stdout:
                sys.stdout = self._stdout.fallback
            if sys.stderr is self._stderr:
                sys.stderr = self._stderr.fallback


def lambda_timestamp(epoch: float) -> str:
    """AWS's log timestamp: 2026-01-01T00:00:00.123Z."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _LambdaLogHandler(logging.Handler):
    """Writes logging records of a running invocation in the Python runtime's text format."""

    def emit(self, record: logging.LogRecord) -> None:
        log = current_log.get()
        if log is None:
            return
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not break the handler
            message = str(record.msg)
        stamp = lambda_timestamp(log.clock_now())
        log.write(f"[{record.levelname}]\t{stamp}\t{log.request_id}\t{message}\n")


_handler_installed = False


def install_logging_handler() -> None:
    """Attach the capturing handler to the root logger once (it ignores records outside handlers)."""
    global _handler_installed
    if not _handler_installed:
        logging.getLogger().addHandler(_LambdaLogHandler())
        _handler_installed = True


class FunctionLogs:
    """One function's log: its most recent invocations, bounded."""

    __slots__ = ("group", "invocations")

    def __init__(self, group: str) -> None:
        self.group = group
        self.invocations: deque[InvocationLog] = deque(maxlen=INVOCATIONS_PER_FUNCTION)

    def lines(self) -> list[str]:
        """Every kept line, oldest first."""
        return [line for log in self.invocations for line in log.text().splitlines()]
