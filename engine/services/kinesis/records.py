"""Kinesis data plane: PutRecord(s), GetShardIterator and GetRecords."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime
from hashlib import md5
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .control import epoch_of, parse_hash_key
from .errors import invalid, shard_not_found, throughput_exceeded, validation
from .iterators import ITERATOR_LIFETIME_MS, IteratorState
from .lag import GET_RECORDS
from .limits import MIB
from .shard import SEQUENCE_BASE, SHARD_SLOTS, Shard, sequence_texts
from .stream import Stream

if TYPE_CHECKING:
    from .service import KinesisService

#: PutRecords accepts at most 5 MiB per request (data plus partition keys).
PUT_RECORDS_MAX_BYTES = 5 * MIB
#: GetRecords returns at most 10 MiB per call.
GET_RECORDS_MAX_BYTES = 10 * MIB
GET_RECORDS_DEFAULT_LIMIT = 10_000

#: A record on its way in: (position in the request, data, partition key, size in bytes).
Item = tuple[int, bytes, str, int]


def parse_sequence(text: str, shard: Shard, stream: Stream, account: str, operation: str) -> int:
    """A StartingSequenceNumber checked to be well-formed and to belong to `shard`."""
    if not text.isdigit() or int(text) < SEQUENCE_BASE:
        raise invalid(
            f"StartingSequenceNumber {text} used in {operation} on shard {shard.shard_id} in "
            f"stream {stream.name} under account {account} is invalid."
        )
    number = int(text)
    encoded = (number - SEQUENCE_BASE) % SHARD_SLOTS
    if encoded != shard.index:
        raise invalid(
            f"Invalid StartingSequenceNumber. It encodes shardId-{encoded:012d}, while it was "
            f"used in a call to a shard with {shard.shard_id}"
        )
    if (number - SEQUENCE_BASE) // SHARD_SLOTS > stream.counter:
        raise invalid(
            f"StartingSequenceNumber {text} used in {operation} on shard {shard.shard_id} in "
            f"stream {stream.name} under account {account} is invalid because it did not come "
            "from this stream."
        )
    return number


class DataPlane:
    """Writing and reading records."""

    def __init__(self, service: KinesisService) -> None:
        self.service = service
        self._reader_count = 0
        self._stamp_time = float("nan")
        self._stamp: datetime | None = None

    # -- writing ------------------------------------------------------------------------
    def put_record(self, params: dict) -> dict:
        """PutRecord: one record onto the shard its hash key maps to."""
        stream = self.service.control_api.requested_stream(params)
        ordering = params.get("SequenceNumberForOrdering")
        if ordering is not None and not ordering.isdigit():
            raise invalid(
                f"ExclusiveMinimumSequenceNumber {ordering} used in PutRecord on stream "
                f"{stream.name} under account {self.service.account_id} is invalid."
            )
        shard, sequence = self.put_one(stream, params, None)
        out = {"ShardId": shard.shard_id, "SequenceNumber": sequence}
        if stream.encryption == "KMS":
            out["EncryptionType"] = "KMS"
        return out

    def put_records(self, params: dict) -> dict:
        """PutRecords: up to 500 records; throttled ones fail alone, with FailedRecordCount."""
        stream = self.service.control_api.requested_stream(params)
        groups, total = self._route(stream, params["Records"], batched=True)
        if total > PUT_RECORDS_MAX_BYTES:
            raise invalid("Records size exceeds 5 MB limit")
        results: list[dict[str, Any]] = [{}] * len(params["Records"])  # all filled below
        failed = 0
        touched = []
        for index, group in groups.items():
            shard = stream.shards[index]
            accepted, rejected = self._within_write_limits(stream, shard, group)
            failed += len(rejected)
            for item in rejected:
                results[item[0]] = self._throttled_entry(stream, shard)
            if accepted:
                touched.append(shard)
                shard_id = shard.shard_id
                for item, sequence in zip(
                    accepted, self._write(stream, shard, accepted), strict=True
                ):
                    results[item[0]] = {"SequenceNumber": sequence, "ShardId": shard_id}
        self._after_put(stream, touched)
        out: dict[str, Any] = {"FailedRecordCount": failed, "Records": results}
        if stream.encryption == "KMS":
            out["EncryptionType"] = "KMS"
        return out

    def _within_write_limits(
        self, stream: Stream, shard: Shard, group: list[Item]
    ) -> tuple[list[Item], list[Item]]:
        """The records of `group` the shard's write budget admits, and those it refuses."""
        if not self.service.engine.settings.get("kinesis.enforce_limits", True):
            return group, []
        now = self.service.clock.now()
        budget = stream.limits[shard.index]
        accepted, rejected = [], []
        for item in group:
            (accepted if budget.take_write(now, item[3]) else rejected).append(item)
        return accepted, rejected

    def _write(
        self,
        stream: Stream,
        shard: Shard,
        items: list[Item],
        trace_id: str | None = None,
    ) -> list[str]:
        """Append records (position, data, key, size) to one shard; returns their numbers."""
        now = self.service.clock.now()
        stamp = self._arrival_stamp(now)
        count = len(items)
        counter = stream.counter
        stream.counter = counter + count
        sequences = sequence_texts(counter, count, shard.index)
        records = [
            {
                "SequenceNumber": sequence,
                "ApproximateArrivalTimestamp": stamp,
                "Data": item[1],
                "PartitionKey": item[2],
            }
            for sequence, item in zip(sequences, items, strict=True)
        ]
        if stream.encryption == "KMS":
            for record in records:
                record["EncryptionType"] = "KMS"
        if trace_id is None and self.service.trace.enabled:
            traces: list[str | None] = [self.service.ids.trace_id(now) for _ in items]
        else:
            traces = [trace_id] * count
        shard.sequences.extend(sequences)
        shard.arrivals.extend([now] * count)
        shard.records.extend(records)
        shard.sizes.extend([item[3] for item in items])
        shard.traces.extend(traces)
        shard.puts += count
        shard.trim_before(now - stream.retention_hours * 3600)
        if self.service.trace.enabled:
            for sequence, item, trace in zip(sequences, items, traces, strict=True):
                self._trace_put(stream, shard, sequence, trace, item[2], item[3])
        return sequences

    def _throttled_entry(self, stream: Stream, shard: Shard) -> dict[str, str]:
        error = throughput_exceeded(shard.shard_id, stream.name, self.service.account_id)
        self.service.emit("throttled", stream.arn, shard=shard.shard_id)
        return {"ErrorCode": error.code, "ErrorMessage": error.message}

    def _route(
        self, stream: Stream, entries: list[dict], *, batched: bool
    ) -> tuple[dict[int, list[Item]], int]:
        """Check every record and group them by shard index, changing nothing.

        The emulator's hot path, so written out inline. Returns the groups (items in request
        order within each) and the total size in bytes.
        """
        limit = stream.max_record_kib * 1024
        open_starts, open_shards = stream.routing()
        groups: dict[int, list[Item]] = {}
        total = 0
        for position, entry in enumerate(entries):
            data = entry["Data"]
            if data.__class__ is not bytes:
                data = data.encode() if isinstance(data, str) else bytes(data)
            key = entry["PartitionKey"]
            encoded_key = key.encode()
            size = len(data) + len(encoded_key)
            if size > limit:
                raise validation(
                    f"records.{position + 1}.member.data" if batched else "data",
                    f"Member must have length less than or equal to {limit}",
                )
            explicit = entry.get("ExplicitHashKey")
            if explicit is None:
                hash_key = int.from_bytes(md5(encoded_key).digest(), "big")
            else:
                hash_key = parse_hash_key(
                    explicit,
                    "ExplicitHashKey",
                    f"records.{position + 1}.member.explicitHashKey"
                    if batched
                    else "explicitHashKey",
                )
            index = open_shards[bisect_right(open_starts, hash_key) - 1].index
            group = groups.get(index)
            if group is None:
                group = groups[index] = []
            group.append((position, data, key, size))
            total += size
        return groups, total

    def put_one(self, stream: Stream, entry: dict, trace_id: str | None) -> tuple[Shard, str]:
        """Check, route and write one record (PutRecord, the fabric); returns shard and number."""
        groups, _ = self._route(stream, [entry], batched=False)
        ((index, (item,)),) = groups.items()
        shard = stream.shards[index]
        if not self._within_write_limits(stream, shard, [item])[0]:
            self.service.emit("throttled", stream.arn, shard=shard.shard_id)
            raise throughput_exceeded(shard.shard_id, stream.name, self.service.account_id)
        sequence = self._write(stream, shard, [item], trace_id)[0]
        self._after_put(stream, (shard,))
        return shard, sequence

    def _trace_put(
        self,
        stream: Stream,
        shard: Shard,
        sequence: str,
        trace_id: str | None,
        key: str,
        size: int,
    ) -> None:
        self.service.emit(
            "put",
            stream.arn,
            message_id=sequence,
            trace_id=trace_id,
            shard=shard.shard_id,
            partition_key=key[:256],
            size=size,
        )

    def _arrival_stamp(self, now: float) -> Any:
        """The arrival time as a datetime, shared by every record put at the same instant.

        Kinesis keeps arrival times in milliseconds: JSON and CBOR readers see the same value.
        """
        if now != self._stamp_time:
            self._stamp_time = now
            self._stamp = datetime.fromtimestamp(round(now, 3), UTC)
        return self._stamp

    def _after_put(self, stream: Stream, shards: Any) -> None:
        """Wake listeners of the shards written and take a lag sample if one is due."""
        if stream.listeners:
            for shard in list(shards):
                for listener in list(stream.listeners):
                    listener(stream, shard)
        if stream.lag.cursors:
            stream.lag.sample(stream, self.service.clock.now())

    # -- reading ------------------------------------------------------------------------
    def get_shard_iterator(self, params: dict) -> dict:
        """GetShardIterator: a position in one shard, valid for five minutes."""
        stream = self.service.control_api.requested_stream(params)
        shard = self.service.control_api.find_shard(stream, params["ShardId"])
        position = self.start_position(
            stream,
            shard,
            params["ShardIteratorType"],
            params.get("StartingSequenceNumber"),
            params.get("Timestamp"),
            "GetShardIterator",
        )
        self._reader_count += 1
        reader = f"reader-{self._reader_count}"
        state = IteratorState(
            stream.uid, shard.index, position, self.service.clock.now_ms(), reader
        )
        return {"ShardIterator": self.service.iterators.encode(state)}

    def start_position(
        self,
        stream: Stream,
        shard: Shard,
        kind: str,
        sequence: str | None,
        timestamp: Any,
        operation: str,
    ) -> int:
        """The first sequence number a new iterator (or subscription) will read."""
        by_sequence = kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")
        if kind != "AT_TIMESTAMP" and by_sequence != (sequence is not None):
            raise invalid(
                "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                f"StartingSequenceNumber. Request specified {kind} and "
                f"{'also a' if sequence is not None else 'no'} StartingSequenceNumber."
            )
        if kind == "TRIM_HORIZON":
            return 0
        if kind == "LATEST":
            return SEQUENCE_BASE + stream.counter * SHARD_SLOTS
        if by_sequence and sequence is not None:
            number = parse_sequence(sequence, shard, stream, self.service.account_id, operation)
            return number if kind == "AT_SEQUENCE_NUMBER" else number + 1
        if timestamp is None:
            raise invalid(
                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                "Current request has no timestamp parameter."
            )
        when = epoch_of(timestamp)
        if when > self.service.clock.now():
            raise invalid(
                "The timestampInMillis parameter cannot be greater than the "
                "currentTimestampInMillis."
            )
        shard.trim_before(self.service.clock.now() - stream.retention_hours * 3600)
        index = shard.index_of_time(when)
        if index < len(shard.sequences):
            return int(shard.sequences[index])
        return SEQUENCE_BASE + stream.counter * SHARD_SLOTS

    def _iterator_state(self, token: str) -> IteratorState:
        # AWS reads an iterator wrapped in double quotes (a shell-quoted copy) as the iterator.
        if len(token) > 2 and token[0] == token[-1] == '"':
            token = token[1:-1]
        state = self.service.iterators.decode(token)
        if state is None:
            raise invalid("Invalid ShardIterator.")
        now_ms = self.service.clock.now_ms()
        if now_ms - state.issued_ms > ITERATOR_LIFETIME_MS:
            raise ServiceError(
                "ExpiredIteratorException",
                f"Iterator expired. The iterator was created at time {_java_time(state.issued_ms)} "
                f"while right now it is {_java_time(now_ms)} which is further in the future than "
                f"the tolerated delay of {ITERATOR_LIFETIME_MS} milliseconds.",
            )
        return state

    def get_records(self, params: dict) -> dict:
        """GetRecords: up to Limit records from the iterator's position, and the next iterator."""
        state = self._iterator_state(params["ShardIterator"])
        stream = self.service.by_uid.get(state.stream_uid)
        if stream is None:
            raise ServiceError("ResourceNotFoundException", "Stream for this iterator not found.")
        if "StreamARN" in params and params["StreamARN"] != stream.arn:
            raise invalid(f"ShardIterator does not belong to stream {params['StreamARN']}.")
        shard = stream.shards.get(state.shard_index)
        if shard is None:
            raise shard_not_found(
                f"shardId-{state.shard_index:012d}", stream.name, self.service.account_id
            )
        now = self.service.clock.now()
        limits = stream.limits[shard.index]
        enforce = self.service.engine.settings.get("kinesis.enforce_limits", True)
        if enforce and not limits.take_read_call(now):
            self.service.emit("throttled", stream.arn, shard=shard.shard_id, operation="GetRecords")
            raise ServiceError(
                "ProvisionedThroughputExceededException",
                f"Rate exceeded for Shard - {shard.shard_id} in stream {stream.name} under "
                f"account {self.service.account_id}.",
            )
        records, next_position, end, size = self.service.read(
            stream, shard, state.position, params.get("Limit", GET_RECORDS_DEFAULT_LIMIT)
        )
        if enforce:
            limits.spend_read_bytes(size)
        out: dict[str, Any] = {"Records": records}
        at_end = end >= len(shard.sequences)
        closed_and_done = at_end and not shard.is_open
        if not closed_and_done:
            next_state = IteratorState(
                stream.uid, shard.index, next_position, self.service.clock.now_ms(), state.reader
            )
            out["NextShardIterator"] = self.service.iterators.encode(next_state)
        out["MillisBehindLatest"] = 0 if at_end else max(0, int((now - shard.arrivals[end]) * 1000))
        if closed_and_done:
            out["ChildShards"] = stream.child_shards(shard)
        stream.lag.move(state.reader, GET_RECORDS, shard.index, next_position, now)
        stream.lag.sample(stream, now)
        if records and self.service.trace.enabled:
            self.service.emit(
                "received",
                stream.arn,
                shard=shard.shard_id,
                count=len(records),
                consumer=state.reader,
            )
        return out


def _java_time(epoch_ms: int) -> str:
    """A time as AWS's Java services print it: 'Thu Jan 01 00:00:00 UTC 2026'."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
