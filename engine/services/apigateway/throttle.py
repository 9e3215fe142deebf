"""Token buckets on the engine clock: API Gateway's rate (tokens per second) and burst (capacity)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.clock import Clock


@dataclass(slots=True)
class TokenBucket:
    """A bucket that refills `rate` tokens a second up to `burst`; each request takes one."""

    rate: float
    burst: int
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        """Take a token if one is there (refilling for the time passed first)."""
        if now > self.updated:
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
            self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Buckets:
    """Named token buckets, created full on first use."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, key: str, rate: float, burst: int) -> bool:
        """Whether a request under `key` may pass a (rate, burst) limit now."""
        bucket = self._buckets.get(key)
        now = self._clock.now()
        if bucket is None or bucket.rate != rate or bucket.burst != burst:
            bucket = self._buckets[key] = TokenBucket(rate, burst, float(burst), now)
        return bucket.take(now)

    def clear(self) -> None:
        """Forget every bucket."""
        self._buckets.clear()
