"""Per-shard throughput limits as token buckets refilled on the engine clock."""

from __future__ import annotations

from dataclasses import dataclass

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
class ShardLimits:
    """The write and read budgets of one shard."""

    write_records: Bucket
    write_bytes: Bucket
    read_calls: Bucket
    read_bytes: Bucket

    @classmethod
    def fresh(cls, now: float) -> ShardLimits:
        """Full budgets, as a new shard has."""
        return cls(
            Bucket(
                WRITE_RECORDS_PER_SECOND, WRITE_RECORDS_PER_SECOND, WRITE_RECORDS_PER_SECOND, now
            ),
            Bucket(WRITE_BYTES_PER_SECOND, WRITE_BYTES_PER_SECOND, WRITE_BYTES_PER_SECOND, now),
            Bucket(READ_CALLS_PER_SECOND, READ_CALLS_PER_SECOND, READ_CALLS_PER_SECOND, now),
            Bucket(READ_BYTES_PER_SECOND, READ_BYTES_PER_SECOND, READ_BYTES_PER_SECOND, now),
        )

    def take_write(self, now: float, size: int) -> bool:
        """Spend one record and `size` bytes of write budget; False (nothing spent) if short."""
        records, data = self.write_records, self.write_bytes
        records.refill(now)
        data.refill(now)
        if records.level < 1 or data.level < size:
            return False
        records.level -= 1
        data.level -= size
        return True

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
