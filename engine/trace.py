"""The trace bus: every hop a message makes is a typed event that front ends can follow."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock


@dataclass(slots=True, frozen=True)
class TraceEvent:
    """One thing that happened: a message sent, received, delivered, a state entered …"""

    seq: int
    time: float
    kind: str
    service: str
    resource: str
    message_id: str | None = None
    trace_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The event as plain data (for JSON output and saving)."""
        return {
            "seq": self.seq,
            "time": self.time,
            "kind": self.kind,
            "service": self.service,
            "resource": self.resource,
            "message_id": self.message_id,
            "trace_id": self.trace_id,
            "detail": self.detail,
        }


class TraceSubscription:
    """A bounded buffer of trace events for one listener; the oldest drop when it is full."""

    def __init__(
        self,
        bus: TraceBus,
        maxlen: int,
        accept: Callable[[TraceEvent], bool] | None,
    ) -> None:
        self._bus = bus
        self._buffer: deque[TraceEvent] = deque(maxlen=maxlen)
        self._accept = accept
        self._waiter: asyncio.Future | None = None
        self.dropped = 0
        self.closed = False

    def _push(self, event: TraceEvent) -> None:
        if self._accept is not None and not self._accept(event):
            return
        buffer = self._buffer
        if len(buffer) == buffer.maxlen:
            self.dropped += 1
        buffer.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def drain(self) -> list[TraceEvent]:
        """Take every buffered event, oldest first."""
        events = list(self._buffer)
        self._buffer.clear()
        return events

    def __len__(self) -> int:
        return len(self._buffer)

    async def get(self) -> TraceEvent:
        """Wait for the next event."""
        while not self._buffer:
            if self.closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._buffer.popleft()

    def __aiter__(self) -> AsyncIterator[TraceEvent]:
        return self

    async def __anext__(self) -> TraceEvent:
        return await self.get()

    def close(self) -> None:
        """Stop receiving events."""
        if not self.closed:
            self.closed = True
            self._bus._unsubscribe(self)
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(None)

    def __enter__(self) -> TraceSubscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TraceRecorder:
    """Keeps the most recent events, indexed by message id and trace id, for journeys."""

    def __init__(self, maxlen: int = 100_000) -> None:
        self.events: deque[TraceEvent] = deque(maxlen=maxlen)

    def _push(self, event: TraceEvent) -> None:
        self.events.append(event)

    def journey(self, ident: str) -> list[TraceEvent]:
        """Every recorded event of one message or trace id, in time order.

        A message id widens to its trace id, so the journey follows the message across services.
        """
        trace_ids = {ident}
        for event in self.events:
            if event.message_id == ident and event.trace_id:
                trace_ids.add(event.trace_id)
        return [e for e in self.events if e.trace_id in trace_ids or e.message_id == ident]

    def recent(
        self, count: int = 50, accept: Callable[[TraceEvent], bool] | None = None
    ) -> list[TraceEvent]:
        """The last `count` events (that `accept` keeps)."""
        picked: list[TraceEvent] = []
        for event in reversed(self.events):
            if accept is None or accept(event):
                picked.append(event)
                if len(picked) >= count:
                    break
        picked.reverse()
        return picked

    def clear(self) -> None:
        """Forget every event."""
        self.events.clear()


class TraceBus:
    """Fans trace events out to subscribers; costs nothing when nobody listens."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._sinks: list[TraceSubscription | TraceRecorder] = []
        self._seq = 0
        #: True while anyone listens; services test this before building an event.
        self.enabled = False

    def emit(
        self,
        kind: str,
        service: str,
        resource: str,
        *,
        message_id: str | None = None,
        trace_id: str | None = None,
        **detail: Any,
    ) -> None:
        """Publish one event to every listener (call only when `enabled`)."""
        if not self.enabled:
            return
        self._seq += 1
        event = TraceEvent(
            self._seq, self._clock.now(), kind, service, resource, message_id, trace_id, detail
        )
        for sink in self._sinks:
            sink._push(event)

    def subscribe(
        self,
        maxlen: int = 10_000,
        accept: Callable[[TraceEvent], bool] | None = None,
    ) -> TraceSubscription:
        """Start a bounded subscription; close it (or use `with`) to stop."""
        subscription = TraceSubscription(self, maxlen, accept)
        self._sinks.append(subscription)
        self.enabled = True
        return subscription

    def record(self, maxlen: int = 100_000) -> TraceRecorder:
        """Start keeping recent events for journeys; `stop_recording` ends it."""
        recorder = TraceRecorder(maxlen)
        self._sinks.append(recorder)
        self.enabled = True
        return recorder

    def stop_recording(self, recorder: TraceRecorder) -> None:
        """Stop a recorder from receiving events."""
        self._unsubscribe(recorder)

    def _unsubscribe(self, sink: TraceSubscription | TraceRecorder) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)
        self.enabled = bool(self._sinks)


def kinds(events: Iterable[TraceEvent]) -> list[str]:
    """The kinds of `events`, in order (handy in tests)."""
    return [e.kind for e in events]
