"""One partition's log: append-only record batches, found by offset with a bisect.

Batches are stored exactly as the producer encoded them (kafka-python's `kafka.record` codec reads
and builds them); the broker only patches the base offset, which the batch CRC does not cover —
as Kafka does. A fetch at an old offset is a bisect over the batches' base offsets, so it costs
the same as a fetch at the head.
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
from kafka.record.util import calc_crc32c

HEADER = DefaultRecordBatch.HEADER_STRUCT
HEADER_SIZE = HEADER.size
_BASE_OFFSET = struct.Struct(">q")
#: Batches recently appended per producer that a retry may repeat (Kafka keeps five).
PRODUCER_WINDOW = 5


@dataclass(slots=True)
class BatchInfo:
    """What the broker reads from a batch header before appending it."""

    count: int
    last_offset_delta: int
    first_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    transactional: bool
    control: bool
    magic: int


def batch_info(data: bytes | memoryview) -> BatchInfo:
    """Header fields of one v2 record batch (ValueError if it is not one)."""
    if len(data) < HEADER_SIZE:
        raise ValueError("record batch shorter than its header")
    (_, _, _, magic, _, attrs, last_delta, first_ts, max_ts, pid, epoch, seq, count) = (
        HEADER.unpack_from(data)
    )
    if magic != 2:
        raise ValueError(f"unsupported record batch magic {magic}")
    return BatchInfo(
        count,
        last_delta,
        first_ts,
        max_ts,
        pid,
        epoch,
        seq,
        bool(attrs & DefaultRecordBatch.TRANSACTIONAL_MASK),
        bool(attrs & DefaultRecordBatch.CONTROL_MASK),
        magic,
    )


def with_log_append_time(data: bytes, now_ms: int) -> bytes:
    """The batch stamped with the broker's time (message.timestamp.type=LogAppendTime)."""
    out = bytearray(data)
    attrs_at = DefaultRecordBatch.ATTRIBUTES_OFFSET
    (attrs,) = struct.unpack_from(">h", out, attrs_at)
    struct.pack_into(">h", out, attrs_at, attrs | DefaultRecordBatch.TIMESTAMP_TYPE_MASK)
    struct.pack_into(">q", out, attrs_at + 2 + 4 + 8, now_ms)  # MaxTimestamp
    struct.pack_into(
        ">I", out, DefaultRecordBatch.CRC_OFFSET, calc_crc32c(memoryview(out)[attrs_at:])
    )
    return bytes(out)


def control_batch(producer_id: int, epoch: int, commit: bool, timestamp: int) -> bytes:
    """A transaction marker: a control batch with one COMMIT (1) or ABORT (0) record."""
    builder = DefaultRecordBatchBuilder(2, 0, True, producer_id, epoch, -1, 1 << 10)
    key = struct.pack(">hh", 0, 1 if commit else 0)
    builder.append(0, timestamp, key, struct.pack(">hi", 0, 0), [])
    out = bytearray(builder.build())
    attrs_at = DefaultRecordBatch.ATTRIBUTES_OFFSET
    (attrs,) = struct.unpack_from(">h", out, attrs_at)
    struct.pack_into(">h", out, attrs_at, attrs | DefaultRecordBatch.CONTROL_MASK)
    struct.pack_into(
        ">I", out, DefaultRecordBatch.CRC_OFFSET, calc_crc32c(memoryview(out)[attrs_at:])
    )
    return bytes(out)


def split_batches(data: bytes | memoryview) -> list[bytes]:
    """The record batches in a produce request's record set, each as its own bytes."""
    view = memoryview(data)
    out = []
    pos = 0
    while pos + 12 <= len(view):
        (length,) = struct.unpack_from(">i", view, pos + 8)
        end = pos + 12 + length
        if length <= 0 or end > len(view):
            raise ValueError("truncated record batch")
        out.append(bytes(view[pos:end]))
        pos = end
    if pos != len(view):
        raise ValueError("trailing bytes after the last record batch")
    return out


@dataclass(slots=True)
class Record:
    """One decoded record (for the lab's own readers: console, Lambda, Pipes, Firehose)."""

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    timestamp_type: int = 0


def decode_batch(data: bytes) -> Iterator[Record]:
    """The records of one stored batch (control batches yield nothing)."""
    batch = DefaultRecordBatch(data)
    if batch.is_control_batch:
        return
    for record in batch:
        yield Record(
            record.offset,
            record.timestamp,
            record.key,
            record.value,
            list(record.headers),
            record.timestamp_type,
        )


def build_batch(
    records: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]], int]],
    *,
    offset_deltas: list[int] | None = None,
) -> bytes:
    """Encode (key, value, headers, timestamp_ms) records as one uncompressed v2 batch."""
    builder = DefaultRecordBatchBuilder(2, 0, False, -1, -1, -1, 1 << 30)
    for i, (key, value, headers, timestamp) in enumerate(records):
        delta = offset_deltas[i] if offset_deltas is not None else i
        builder.append(delta, timestamp, key, value, headers)
    return bytes(builder.build())


@dataclass(slots=True)
class ProducerState:
    """The last batches one idempotent producer wrote to a partition (for dedup on retry)."""

    epoch: int
    last_sequence: int
    recent: list[tuple[int, int, int]] = field(default_factory=list)  # (first seq, last seq, base)


class ProduceRejected(Exception):
    """A batch the log refuses, with Kafka's error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class PartitionLog:
    """Append-only batches; offsets, timestamps, retention, compaction and producer state."""

    __slots__ = (
        "_bases",
        "_lasts",
        "_ends",
        "_batches",
        "_max_ts",
        "_ts_index",
        "_head",
        "log_start_offset",
        "end_offset",
        "size",
        "record_count",
        "producers",
        "ongoing",
        "aborted",
        "appended",
    )

    def __init__(self) -> None:
        self._bases: list[int] = []  # base offset per batch
        self._lasts: list[int] = []  # last offset per batch
        self._ends: list[int] = []  # running byte total through each batch (for fetch.min.bytes)
        self._batches: list[bytes] = []
        self._max_ts: list[int] = []  # running maximum of max timestamps (monotonic: bisectable)
        self._ts_index: list[int] = []  # each batch's own max timestamp
        self._head = 0  # index of the first retained batch
        self.log_start_offset = 0
        self.end_offset = 0  # the next offset to assign (log end offset = high watermark)
        self.size = 0  # retained bytes
        self.record_count = 0  # retained records (approximate after compaction: exact count)
        self.producers: dict[int, ProducerState] = {}
        self.ongoing: dict[int, int] = {}  # producer id → first offset of its open transaction
        self.aborted: list[tuple[int, int, int]] = []  # (producer id, first, marker offset)
        self.appended = 0  # records ever appended

    # -- appending ----------------------------------------------------------------------
    def append(self, data: bytes, info: BatchInfo | None = None) -> int:
        """Append one batch, assigning offsets; the base offset (or a duplicate's original)."""
        info = info or batch_info(data)
        if info.producer_id >= 0 and not info.control:
            duplicate = self._check_sequence(info)
            if duplicate is not None:
                return duplicate
        base = self.end_offset
        stored = bytearray(data)
        _BASE_OFFSET.pack_into(stored, 0, base)
        stored = bytes(stored)
        last = base + info.last_offset_delta
        self._bases.append(base)
        self._lasts.append(last)
        self._ends.append((self._ends[-1] if self._ends else 0) + len(stored))
        self._batches.append(stored)
        self._ts_index.append(info.max_timestamp)
        previous = self._max_ts[-1] if self._max_ts else -1
        self._max_ts.append(max(previous, info.max_timestamp))
        self.end_offset = last + 1
        self.size += len(stored)
        self.record_count += info.count
        self.appended += info.count
        if info.producer_id >= 0 and not info.control:
            self._remember(info, base)
        if info.transactional:
            if info.control:
                first = self.ongoing.pop(info.producer_id, None)
                commit = next(iter(DefaultRecordBatch(stored))).key[2:4] == b"\x00\x01"
                if first is not None and not commit:
                    self.aborted.append((info.producer_id, first, base))
            else:
                self.ongoing.setdefault(info.producer_id, base)
        return base

    @property
    def stable_offset(self) -> int:
        """The last stable offset: where the first still-open transaction begins."""
        return min(self.ongoing.values()) if self.ongoing else self.end_offset

    def aborted_between(self, start: int, end: int) -> list[tuple[int, int]]:
        """(producer id, first offset) of aborted transactions overlapping [start, end)."""
        return [(pid, first) for pid, first, last in self.aborted if last >= start and first < end]

    def _check_sequence(self, info: BatchInfo) -> int | None:
        """None to append; the original base offset for a retried duplicate; raises if invalid."""
        state = self.producers.get(info.producer_id)
        if state is None:
            return None
        if info.producer_epoch < state.epoch:
            raise ProduceRejected(47, "INVALID_PRODUCER_EPOCH")
        if info.producer_epoch > state.epoch:
            if info.base_sequence != 0:
                raise ProduceRejected(45, "OUT_OF_ORDER_SEQUENCE_NUMBER")
            return None
        last_seq = info.base_sequence + info.count - 1
        for first, last, base in state.recent:
            if first == info.base_sequence and last == last_seq:
                return base
        if info.base_sequence != state.last_sequence + 1:
            raise ProduceRejected(45, "OUT_OF_ORDER_SEQUENCE_NUMBER")
        return None

    def _remember(self, info: BatchInfo, base: int) -> None:
        state = self.producers.get(info.producer_id)
        if state is None or info.producer_epoch > state.epoch:
            state = self.producers[info.producer_id] = ProducerState(info.producer_epoch, -1)
        last_seq = info.base_sequence + info.count - 1
        state.last_sequence = last_seq
        state.recent.append((info.base_sequence, last_seq, base))
        if len(state.recent) > PRODUCER_WINDOW:
            del state.recent[0]

    # -- reading --------------------------------------------------------------------------
    def read(self, offset: int, max_bytes: int, below: int | None = None) -> bytes:
        """Whole batches from the one holding `offset`, up to `max_bytes` (at least one batch).

        `below` stops before the batch holding that offset (read_committed: the stable offset).
        """
        index = max(bisect_right(self._bases, offset, self._head) - 1, self._head)
        batches = self._batches
        end = len(batches) if below is None else bisect_left(self._bases, below, self._head)
        if index >= end:
            return b""
        if self._lasts[index] < offset:
            index += 1
            if index >= end:
                return b""
        first = batches[index]
        total = len(first)
        stop = index + 1
        while stop < end and total + len(batches[stop]) <= max_bytes:
            total += len(batches[stop])
            stop += 1
        if stop == index + 1:
            return first
        return b"".join(batches[index:stop])

    def bytes_after(self, offset: int) -> int:
        """Bytes a fetch from `offset` could return (whole batches, as Kafka counts them)."""
        if offset >= self.end_offset or self._head >= len(self._batches):
            return 0
        index = max(bisect_right(self._bases, offset, self._head) - 1, self._head)
        return self._ends[-1] - self._ends[index] + len(self._batches[index])

    def records(self, offset: int, limit: int) -> list[Record]:
        """Up to `limit` decoded records from `offset` (the lab's own consumers)."""
        out: list[Record] = []
        index = max(bisect_right(self._bases, offset, self._head) - 1, self._head)
        while index < len(self._batches) and len(out) < limit:
            for record in decode_batch(self._batches[index]):
                if record.offset >= offset:
                    out.append(record)
                    if len(out) >= limit:
                        break
            index += 1
        return out

    def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record at or after `timestamp`; None if none."""
        index = bisect_left(self._max_ts, timestamp, self._head)
        while index < len(self._batches):
            for record in decode_batch(self._batches[index]):
                if record.timestamp >= timestamp:
                    return record.offset, record.timestamp
            index += 1
        return None

    def max_timestamp(self) -> tuple[int, int] | None:
        """(offset, timestamp) of the record with the largest timestamp (ListOffsets -3)."""
        if self._head >= len(self._batches):
            return None
        best = max(range(self._head, len(self._batches)), key=self._ts_index.__getitem__)
        found = None
        for record in decode_batch(self._batches[best]):
            if found is None or record.timestamp > found[1]:
                found = (record.offset, record.timestamp)
        return found

    def batches(self) -> list[tuple[int, bytes]]:
        """(base offset, stored bytes) of every retained batch (for save)."""
        return list(zip(self._bases[self._head :], self._batches[self._head :], strict=True))

    def restore(self, batches: list[tuple[int, bytes]], log_start: int, end_offset: int) -> None:
        """Refill an empty log with saved batches, keeping their offsets."""
        for base, data in batches:
            info = batch_info(data)
            self._bases.append(base)
            self._lasts.append(base + info.last_offset_delta)
            self._ends.append((self._ends[-1] if self._ends else 0) + len(data))
            self._batches.append(data)
            self._ts_index.append(info.max_timestamp)
            previous = self._max_ts[-1] if self._max_ts else -1
            self._max_ts.append(max(previous, info.max_timestamp))
            self.size += len(data)
            self.record_count += info.count
        self.log_start_offset = log_start
        self.end_offset = end_offset

    @property
    def batch_count(self) -> int:
        """Retained batches."""
        return len(self._batches) - self._head

    # -- deleting ---------------------------------------------------------------------------
    def delete_before(self, offset: int) -> int:
        """Move the log start to `offset` (DeleteRecords), dropping whole batches before it."""
        offset = min(max(offset, self.log_start_offset), self.end_offset)
        while self._head < len(self._batches) and self._lasts[self._head] < offset:
            self._drop_head()
        self.log_start_offset = offset
        self._compact_lists()
        return offset

    def enforce_retention(self, now_ms: int, retention_ms: int, retention_bytes: int) -> int:
        """Drop the oldest batches past retention.ms or beyond retention.bytes; how many dropped."""
        dropped = 0
        # Kafka never deletes the active segment: the newest batch always stays.
        while self._head < len(self._batches) - 1:
            too_old = retention_ms >= 0 and self._ts_index[self._head] < now_ms - retention_ms
            too_big = retention_bytes >= 0 and self.size > retention_bytes
            if not (too_old or too_big):
                break
            self._drop_head()
            dropped += 1
        if dropped:
            self.log_start_offset = max(self.log_start_offset, self._bases[self._head])
            self._compact_lists()
        return dropped

    def _drop_head(self) -> None:
        data = self._batches[self._head]
        self.size -= len(data)
        self.record_count -= HEADER.unpack_from(data)[-1]
        self.log_start_offset = self._lasts[self._head] + 1
        self._batches[self._head] = b""
        self._head += 1

    def _compact_lists(self) -> None:
        # Drop the retired prefix once it is half the list: amortised O(1) per batch.
        head = self._head
        if head and head * 2 >= len(self._batches):
            for lst in (
                self._bases,
                self._lasts,
                self._ends,
                self._batches,
                self._max_ts,
                self._ts_index,
            ):
                del lst[:head]
            self._head = 0

    def compact(self, now_ms: int, delete_retention_ms: int) -> int:
        """Keep only the newest record per key (cleanup.policy=compact); records removed.

        The newest batch (the active segment) is not cleaned, as in Kafka. Tombstones (null
        values) are kept until `delete.retention.ms` after their timestamp, then removed.
        """
        end = len(self._batches) - 1
        if end - self._head < 1:
            return 0
        latest: dict[bytes, int] = {}
        for index in range(self._head, len(self._batches)):
            for record in decode_batch(self._batches[index]):
                if record.key is not None:
                    latest[record.key] = record.offset
        removed = 0
        for index in range(self._head, end):
            old = self._batches[index]
            kept = []
            total = 0
            for record in decode_batch(old):
                total += 1
                if record.key is not None and latest.get(record.key) != record.offset:
                    continue
                if record.value is None and record.timestamp + delete_retention_ms < now_ms:
                    continue
                kept.append(record)
            if len(kept) == total:
                continue
            removed += total - len(kept)
            base = self._bases[index]
            if kept:
                data = build_batch(
                    [(r.key, r.value, r.headers, r.timestamp) for r in kept],
                    offset_deltas=[r.offset - base for r in kept],
                )
                stored = bytearray(data)
                _BASE_OFFSET.pack_into(stored, 0, base)
                data = bytes(stored)
            else:
                data = b""
            self.size += len(data) - len(old)
            self._batches[index] = data
        self.record_count -= removed
        if removed:
            self._drop_empty()
        return removed

    def _drop_empty(self) -> None:
        keep = [i for i in range(self._head, len(self._batches)) if self._batches[i]]
        for name in ("_bases", "_lasts", "_batches", "_max_ts", "_ts_index"):
            lst = getattr(self, name)
            setattr(self, name, [lst[i] for i in keep])
        self._head = 0
        running = -1
        total = 0
        self._ends = []
        for i, ts in enumerate(self._ts_index):
            running = max(running, ts)
            self._max_ts[i] = running
            total += len(self._batches[i])
            self._ends.append(total)
