"""Per-shard throughput limits as token buckets refilled on the engine clock."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

MIB = 1024 * 1024
#: Documented per-shard quotas (Kinesis Data Streams quotas and limits page).
WRITE_RECORDS_PER_SECOND = 1000
WRITE_BYTES_PER_SECOND = 1 * MIB
READ_CALLS_PER_SECOND = 5
READ_BYTES_PER_SECOND = 2 * MIB


@dataclass(slots=True)
class Bucket:
    """Tokens that refill at `rate` per second up to `capacity`; the level may go negative."""

    rate: float
    capacity: float
    level: float
    updated: float

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last refill."""
        if now > self.updated:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
            self.updated = now


@dataclass(slots=True)
class WriteWindow:
    """The writes a shard accepted in the last second: at most 1,000 records and 1 MiB in it.

    A sliding one-second window rather than a token bucket: a full bucket plus its refill would
    let a shard take about twice its quota within its first second, which AWS does not.
    """

    accepted: deque[tuple[float, int]] = field(default_factory=deque)
    bytes: int = 0

    def take(self, now: float, size: int) -> bool:
        """Accept one record of `size` bytes if the last second has room; False (nothing taken)."""
        accepted = self.accepted
        while accepted and accepted[0][0] <= now - 1.0:
            self.bytes -= accepted.popleft()[1]
        if len(accepted) >= WRITE_RECORDS_PER_SECOND or self.bytes + size > WRITE_BYTES_PER_SECOND:
            return False
        accepted.append((now, size))
        self.bytes += size
        return True


@dataclass(slots=True)
class ShardLimits:
    """The write and read budgets of one shard."""

    writes: WriteWindow
    read_calls: Bucket
    read_bytes: Bucket

    @classmethod
    def fresh(cls, now: float) -> ShardLimits:
        """Full budgets, as a new shard has."""
        return cls(
            WriteWindow(),
            Bucket(READ_CALLS_PER_SECOND, READ_CALLS_PER_SECOND, READ_CALLS_PER_SECOND, now),
            Bucket(READ_BYTES_PER_SECOND, READ_BYTES_PER_SECOND, READ_BYTES_PER_SECOND, now),
        )

    def take_write(self, now: float, size: int) -> bool:
        """Spend one record and `size` bytes of write budget; False (nothing spent) if short."""
        return self.writes.take(now, size)

    def take_read_call(self, now: float) -> bool:
        """Spend one GetRecords call; False when the shard is over its call rate or byte rate."""
        calls, data = self.read_calls, self.read_bytes
        calls.refill(now)
        data.refill(now)
        if calls.level < 1 or data.level <= 0:
            return False
        calls.level -= 1
        return True

    def spend_read_bytes(self, size: int) -> None:
        """Charge bytes returned by a read (a big read blocks the next calls, as on AWS)."""
        self.read_bytes.level -= size
