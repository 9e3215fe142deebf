"""When each recent trace event really happened (monotonic seconds), for the journey's real time."""

from __future__ import annotations

import time
from collections import deque

from engine.trace import TraceBus, TraceEvent, TraceTap

#: Events remembered: the journeys a person opens are of recent messages.
KEEP = 50_000


class WallStamps:
    """Stamps every event with `time.perf_counter()` as it is published (O(1), engine thread)."""

    def __init__(self, bus: TraceBus, keep: int = KEEP) -> None:
        self._stamps: deque[tuple[int, float]] = deque(maxlen=keep)
        append, now = self._stamps.append, time.perf_counter

        def stamp(event: TraceEvent) -> None:
            append((event.seq, now()))

        self._tap: TraceTap = bus.tap(stamp)

    def of(self, events: list[TraceEvent]) -> dict[int, float]:
        """seq → real time for the given events still remembered (call on the engine thread)."""
        stamps = self._stamps
        if not stamps:
            return {}
        first = stamps[0][0]
        found = {}
        for event in events:
            index = event.seq - first  # every event passes every tap: seqs are consecutive
            if 0 <= index < len(stamps) and stamps[index][0] == event.seq:
                found[event.seq] = stamps[index][1]
        return found

    def close(self) -> None:
        """Stop stamping."""
        self._tap.close()
