"""Each API's request latencies on the lab clock, kept for CloudWatch's Latency metric."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from itertools import islice

#: Latencies kept per API between two CloudWatch samples (a lab minute); older ones are dropped.
LIMIT = 10_000


@dataclass(slots=True)
class Latencies:
    """How many requests an API has answered, and the newest ones' latencies in milliseconds."""

    answered: int = 0
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=LIMIT))

    def add(self, milliseconds: float) -> None:
        """Note one answered request (O(1))."""
        self.answered += 1
        self.recent.append(milliseconds)

    def since(self, seen: int) -> list[float]:
        """The latencies of requests answered after the first `seen` (those still kept)."""
        count = min(self.answered - seen, len(self.recent))
        if count <= 0:
            return []
        newest_first = list(islice(reversed(self.recent), count))
        newest_first.reverse()
        return newest_first
