"""Consumer lag: where every consumer stands on every shard, and how that changed over time."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .stream import Stream

#: Consumer kinds a lag row can name.
EVENT_SOURCE_MAPPING = "event-source-mapping"
ENHANCED_FAN_OUT = "enhanced-fan-out"
GET_RECORDS = "get-records"

#: A GetRecords reader not seen for this long has an expired iterator: it no longer counts.
READER_IDLE_SECONDS = 300.0


@dataclass(slots=True, frozen=True)
class ShardLag:
    """How far one consumer is behind on one shard, right now."""

    stream_arn: str
    shard_id: str
    consumer: str  # ESM UUID, enhanced fan-out consumer ARN, or a GetRecords reader id
    consumer_kind: str  # event-source-mapping | enhanced-fan-out | get-records
    records_behind: int
    iterator_age_ms: int  # age of the oldest record not yet read (0 when caught up)
    checkpoint: str | None  # the next sequence number the consumer will read


@dataclass(slots=True, frozen=True)
class LagSample:
    """One point of a consumer's lag history on one shard."""

    time: float
    records_behind: int
    iterator_age_ms: int


@dataclass(slots=True)
class Cursor:
    """A consumer's position on one shard: it will next read sequence numbers ≥ `position`."""

    consumer: str
    kind: str
    shard_index: int
    position: int
    active_at: float


class LagBook:
    """Cursors of every consumer of one stream plus a bounded, sampled lag history."""

    def __init__(self, interval: float = 1.0, keep: int = 600) -> None:
        self.interval = interval
        self.keep = keep
        self.cursors: dict[tuple[str, int], Cursor] = {}
        self.history: dict[tuple[str, int], deque[LagSample]] = {}
        self.last_sample = float("-inf")

    def move(self, consumer: str, kind: str, shard_index: int, position: int, now: float) -> None:
        """Record that `consumer` will next read `position` on shard `shard_index`."""
        cursor = self.cursors.get((consumer, shard_index))
        if cursor is None:
            self.cursors[(consumer, shard_index)] = Cursor(
                consumer, kind, shard_index, position, now
            )
        else:
            cursor.position = position
            cursor.active_at = now

    def forget(self, consumer: str) -> None:
        """Stop tracking `consumer` on every shard (it was deleted or deregistered)."""
        for key in [key for key in self.cursors if key[0] == consumer]:
            del self.cursors[key]
            self.history.pop(key, None)

    def rows(self, stream: Stream, now: float) -> list[ShardLag]:
        """Every live cursor's lag, consumers in name order, shards in index order."""
        rows: list[ShardLag] = []
        stale: list[tuple[str, int]] = []
        for key, cursor in sorted(self.cursors.items()):
            shard = stream.shards.get(cursor.shard_index)
            idle = now - cursor.active_at > READER_IDLE_SECONDS
            if shard is None or (cursor.kind == GET_RECORDS and idle):
                stale.append(key)
                continue
            index = shard.index_of_sequence(cursor.position)
            behind = len(shard.sequences) - index
            age = 0 if behind == 0 else max(0, int((now - shard.arrivals[index]) * 1000))
            rows.append(
                ShardLag(
                    stream.arn,
                    shard.shard_id,
                    cursor.consumer,
                    cursor.kind,
                    behind,
                    age,
                    str(cursor.position),
                )
            )
        for key in stale:
            del self.cursors[key]
        return rows

    def sample(self, stream: Stream, now: float, *, force: bool = False) -> None:
        """Add a history point for every cursor, at most once per `interval` unless forced."""
        if not force and now - self.last_sample < self.interval:
            return
        self.last_sample = now
        for row in self.rows(stream, now):
            key = (row.consumer, stream.shard_index_of(row.shard_id))
            points = self.history.get(key)
            if points is None:
                points = self.history[key] = deque(maxlen=self.keep)
            point = LagSample(now, row.records_behind, row.iterator_age_ms)
            if points and points[-1].time == now:
                points[-1] = point
            else:
                points.append(point)
