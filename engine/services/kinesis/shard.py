"""One shard: a hash key range and an append-only log of records, searched by bisection."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

#: The largest hash key: partition keys hash (MD5) onto 0 … 2**128 - 1.
HASH_KEY_MAX = 2**128 - 1

#: Sequence numbers are 56-digit decimals like AWS's: this base, plus a stream-wide counter
#: times SHARD_SLOTS, plus the shard's index (so a number tells which shard it belongs to).
SEQUENCE_BASE = 49 * 10**54
SHARD_SLOTS = 1_000_000

#: How long a compacted head may grow before the log drops trimmed records (amortised O(1)).
_COMPACT_AFTER = 4096


def shard_id_for(index: int) -> str:
    """AWS's shard id for the shard created `index`-th in its stream."""
    return f"shardId-{index:012d}"


def sequence_text(counter: int, shard_index: int) -> str:
    """The AWS-shaped sequence number for one stream-wide counter value on one shard.

    Equal to str(SEQUENCE_BASE + counter * SHARD_SLOTS + shard_index); every one has 56 digits,
    so the texts sort like the numbers and the log can bisect on them directly.
    """
    return f"49{counter:048d}{shard_index:06d}"


_LOW_DIGITS = 10_000
_LOW_TEXTS = [f"{i:04d}" for i in range(_LOW_DIGITS)]


def sequence_texts(counter: int, count: int, shard_index: int) -> list[str]:
    """`sequence_text` for `count` consecutive counters from `counter`, built in bulk.

    Formatting a 56-digit number is the costliest step of a put: here only the low four
    counter digits change per record, and they come from a table.
    """
    suffix = f"{shard_index:06d}"
    texts: list[str] = []
    end = counter + count
    while counter < end:
        block, low = divmod(counter, _LOW_DIGITS)
        stop = min(end - counter, _LOW_DIGITS - low) + low
        head = f"49{block:044d}"
        texts += [head + digits + suffix for digits in _LOW_TEXTS[low:stop]]
        counter += stop - low
    return texts


def position_text(position: int) -> str:
    """A read position as text comparable with stored sequence numbers."""
    return str(position) if position >= SEQUENCE_BASE else ""


# A stored record is the dict GetRecords returns (SequenceNumber, ApproximateArrivalTimestamp,
# Data, PartitionKey and EncryptionType when encrypted): reads hand out shallow copies, which is
# safe because every value in it is immutable, and copying is three times faster than building.
Record = dict[str, Any]


@dataclass(slots=True)
class Shard:
    """A shard's hash key range, its lineage and its records (oldest first)."""

    shard_id: str
    index: int
    start_hash: int
    end_hash: int
    starting_sequence: int  # the stream counter when the shard opened
    created_at: float
    parent_id: str | None = None
    adjacent_parent_id: str | None = None
    ending_sequence: int | None = None  # set when resharding closes the shard
    closed_at: float | None = None
    child_ids: list[str] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)  # 56-digit texts, ascending
    arrivals: list[float] = field(default_factory=list)  # non-decreasing, for AT_TIMESTAMP
    records: list[Record] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # data + partition key bytes, for read limits
    traces: list[str | None] = field(default_factory=list)  # trace id of each record
    head: int = 0  # index of the oldest record still within retention
    puts: int = 0  # running total for topology counters
    reads: int = 0

    @property
    def is_open(self) -> bool:
        """Whether new records can still land here."""
        return self.ending_sequence is None

    @property
    def retained(self) -> int:
        """How many records are still within retention."""
        return len(self.sequences) - self.head

    def append(
        self, sequence: str, arrival: float, record: Record, size: int, trace_id: str | None
    ) -> None:
        """Add one record at the tip of the log."""
        self.sequences.append(sequence)
        self.arrivals.append(arrival)
        self.records.append(record)
        self.sizes.append(size)
        self.traces.append(trace_id)
        self.puts += 1

    def trim_before(self, cutoff: float) -> None:
        """Drop (logically) every record that arrived before `cutoff`; compacts now and then."""
        arrivals = self.arrivals
        if self.head >= len(arrivals) or arrivals[self.head] >= cutoff:
            return
        self.head = bisect_left(arrivals, cutoff, self.head)
        if self.head > _COMPACT_AFTER and self.head * 2 > len(arrivals):
            cut = self.head
            del self.sequences[:cut], self.arrivals[:cut], self.records[:cut]
            del self.sizes[:cut], self.traces[:cut]
            self.head = 0

    def index_of_sequence(self, position: int) -> int:
        """Index of the first retained record whose sequence number is ≥ `position`."""
        return bisect_left(self.sequences, position_text(position), self.head)

    def index_of_time(self, when: float) -> int:
        """Index of the first retained record that arrived at or after `when`."""
        return bisect_left(self.arrivals, when, self.head)

    def covers(self, hash_key: int) -> bool:
        """Whether `hash_key` falls inside this shard's hash key range."""
        return self.start_hash <= hash_key <= self.end_hash

    def as_dict(self) -> dict:
        """The shard as DescribeStream/ListShards show it."""
        out: dict = {"ShardId": self.shard_id}
        if self.parent_id is not None:
            out["ParentShardId"] = self.parent_id
        if self.adjacent_parent_id is not None:
            out["AdjacentParentShardId"] = self.adjacent_parent_id
        out["HashKeyRange"] = self.hash_range()
        sequence_range = {
            "StartingSequenceNumber": sequence_text(self.starting_sequence, self.index)
        }
        if self.ending_sequence is not None:
            sequence_range["EndingSequenceNumber"] = sequence_text(self.ending_sequence, self.index)
        out["SequenceNumberRange"] = sequence_range
        return out

    def hash_range(self) -> dict[str, str]:
        """The HashKeyRange member of AWS's shard shapes."""
        return {"StartingHashKey": str(self.start_hash), "EndingHashKey": str(self.end_hash)}
