"""The trace bus: every hop a message makes is a typed event that front ends can follow."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from .clock import Clock


class TraceEvent:
    """One thing that happened: a message sent, received, delivered, a state entered …

    A plain slotted class rather than a frozen dataclass: a busy lab builds tens of thousands
    of these a second and a frozen dataclass's `__init__` costs about six times as much.
    Treat events as read-only; every listener shares the same object.
    """

    __slots__ = ("seq", "time", "kind", "service", "resource", "message_id", "trace_id", "detail")

    def __init__(
        self,
        seq: int,
        time: float,
        kind: str,
        service: str,
        resource: str,
        message_id: str | None = None,
        trace_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.seq = seq
        self.time = time
        self.kind = kind
        self.service = service
        self.resource = resource
        self.message_id = message_id
        self.trace_id = trace_id
        self.detail: dict[str, Any] = {} if detail is None else detail

    def _fields(self) -> tuple[Any, ...]:
        return (
            self.seq,
            self.time,
            self.kind,
            self.service,
            self.resource,
            self.message_id,
            self.trace_id,
            self.detail,
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not TraceEvent:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # equal by value, and `detail` is a dict

    def __repr__(self) -> str:
        return (
            f"TraceEvent(seq={self.seq!r}, time={self.time!r}, kind={self.kind!r}, "
            f"service={self.service!r}, resource={self.resource!r}, "
            f"message_id={self.message_id!r}, trace_id={self.trace_id!r}, detail={self.detail!r})"
        )

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
        self._maxlen = maxlen
        self._accept = accept
        self._waiter: asyncio.Future | None = None
        self.dropped = 0
        self.closed = False

    def _push(self, event: TraceEvent) -> None:
        if self._accept is not None and not self._accept(event):
            return
        buffer = self._buffer
        if len(buffer) == self._maxlen:
            self.dropped += 1
        buffer.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _sink(self) -> Callable[[TraceEvent], None]:
        return self._push

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

    def _sink(self) -> Callable[[TraceEvent], None]:
        # The deque's own append: recording costs the bus one C call per event.
        return self.events.append

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


class TraceTap:
    """A plain callable fed every event on the engine's thread (`TraceBus.tap`); `close` stops it."""

    def __init__(self, bus: TraceBus, push: Callable[[TraceEvent], None]) -> None:
        self._bus = bus
        self._push = push

    def _sink(self) -> Callable[[TraceEvent], None]:
        return self._push

    def close(self) -> None:
        """Stop receiving events."""
        self._bus._unsubscribe(self)


class TraceBus:
    """Fans trace events out to subscribers; costs nothing when nobody listens."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._sinks: list[TraceSubscription | TraceRecorder | TraceTap] = []
        #: How each sink takes an event, kept in step with `_sinks` (no lookups per event).
        self._pushes: tuple[Callable[[TraceEvent], None], ...] = ()
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
        if self.enabled:
            self.publish(kind, service, resource, message_id, trace_id, detail)

    def publish(
        self,
        kind: str,
        service: str,
        resource: str,
        message_id: str | None,
        trace_id: str | None,
        detail: dict[str, Any],
    ) -> None:
        """`emit` with the detail already a dict (the path `Service.emit` takes; keeps `detail`)."""
        if not self.enabled:
            return
        self._seq = seq = self._seq + 1
        event = TraceEvent(
            seq, self._clock.now(), kind, service, resource, message_id, trace_id, detail
        )
        for push in self._pushes:
            push(event)

    def subscribe(
        self,
        maxlen: int = 10_000,
        accept: Callable[[TraceEvent], bool] | None = None,
    ) -> TraceSubscription:
        """Start a bounded subscription; close it (or use `with`) to stop."""
        subscription = TraceSubscription(self, maxlen, accept)
        self._add(subscription)
        return subscription

    def record(self, maxlen: int = 100_000) -> TraceRecorder:
        """Start keeping recent events for journeys; `stop_recording` ends it."""
        recorder = TraceRecorder(maxlen)
        self._add(recorder)
        return recorder

    def tap(self, push: Callable[[TraceEvent], None]) -> TraceTap:
        """Call `push(event)` for every event, synchronously (keep it O(1)); close the tap to stop."""
        tap = TraceTap(self, push)
        self._add(tap)
        return tap

    def stop_recording(self, recorder: TraceRecorder) -> None:
        """Stop a recorder from receiving events."""
        self._unsubscribe(recorder)

    def _add(self, sink: TraceSubscription | TraceRecorder | TraceTap) -> None:
        self._sinks.append(sink)
        self._sinks_changed()

    def _unsubscribe(self, sink: TraceSubscription | TraceRecorder | TraceTap) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)
        self._sinks_changed()

    def _sinks_changed(self) -> None:
        self._pushes = tuple(sink._sink() for sink in self._sinks)
        self.enabled = bool(self._sinks)

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest event published (0 before the first)."""
        return self._seq


def kinds(events: Iterable[TraceEvent]) -> list[str]:
    """The kinds of `events`, in order (handy in tests)."""
    return [e.kind for e in events]
