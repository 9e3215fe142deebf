"""Amazon Kinesis Data Streams.

Internal API (used by Lambda event source mappings, Firehose, Pipes and the UI):

- `stream_for_arn(arn) -> Stream | None`: the live stream object.
- `shards(arn) -> list[Shard]`: every retained shard, in creation order (parents first).
- `start_position(arn, shard_id, kind, sequence=None, timestamp=None) -> int`: a position for
  TRIM_HORIZON / LATEST / AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER / AT_TIMESTAMP.
- `read(stream, shard, position, limit) -> (records, next_position, end_index, bytes)`: boto3
  record dicts from a position, without throughput limits (service-internal consumers).
- `on_put(arn, callback) -> cancel`: `callback(stream, shard)` after records land on a shard
  and when resharding closes a shard.
- `track(arn, consumer, kind, shard_id, position)` / `untrack(arn, consumer)`: report where a
  consumer stands, so lag covers it.
- `lag(arn) -> list[ShardLag]` and `lag_history(arn, consumer=None, shard_id=None)
  -> dict[(consumer, shard_id), list[LagSample]]`: records behind and iterator age per consumer
  and shard, now and sampled over time (see docs/services/kinesis.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from engine.service import Envelope, Service, delegate_operations
from engine.topology import Edge, Node

from .control import ControlPlane
from .errors import stream_not_found
from .fanout import FanOut
from .iterators import IteratorCodec
from .lag import LagSample, ShardLag
from .records import GET_RECORDS_MAX_BYTES, DataPlane
from .resharding import ShardOperations
from .saving import dump_streams, load_streams
from .settings import StreamSettings
from .shard import Shard
from .stream import Stream


class KinesisService(Service):
    """Kinesis Data Streams: shards, records, resharding, fan-out and consumer lag."""

    name = "kinesis"
    validation_error_code = "ValidationException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.streams: dict[str, Stream] = {}
        self.by_uid: dict[str, Stream] = {}
        self.iterators = IteratorCodec(self.ids.hex(32))
        self.control_api = ControlPlane(self)
        self.shards_api = ShardOperations(self)
        self.settings_api = StreamSettings(self)
        self.records_api = DataPlane(self)
        self.fanout_api = FanOut(self)

    def when(self, epoch: float) -> datetime:
        """A simulated epoch time as a UTC datetime (how responses carry timestamps)."""
        return datetime.fromtimestamp(epoch, UTC)

    # -- internal API -------------------------------------------------------------------
    def stream_for_arn(self, arn: str) -> Stream | None:
        """The live stream with this ARN, or None."""
        name = arn.rsplit("/", 1)[-1] if ":stream/" in arn else None
        stream = self.streams.get(name) if name else None
        return stream if stream is not None and stream.arn == arn else None

    def _require(self, arn: str) -> Stream:
        stream = self.stream_for_arn(arn)
        if stream is None:
            raise stream_not_found(arn.rsplit("/", 1)[-1], self.account_id)
        return stream

    def shards(self, arn: str) -> list[Shard]:
        """Every retained shard of the stream, parents before children."""
        stream = self._require(arn)
        stream.expire_closed_shards(self.clock.now())
        return list(stream.shards.values())

    def start_position(
        self,
        arn: str,
        shard_id: str,
        kind: str,
        sequence: str | None = None,
        timestamp: Any = None,
    ) -> int:
        """A read position on one shard, as GetShardIterator would start."""
        stream = self._require(arn)
        shard = self.control_api.find_shard(stream, shard_id)
        return self.records_api.start_position(
            stream, shard, kind, sequence, timestamp, "GetShardIterator"
        )

    def read(
        self, stream: Stream, shard: Shard, position: int, limit: int
    ) -> tuple[list[dict], int, int, int]:
        """Records from `position` (≤ `limit`, ≤ 10 MiB) as boto3 dicts.

        Returns (records, next position, index after the last one read, bytes read).
        """
        shard.trim_before(self.clock.now() - stream.retention_hours * 3600)
        start = shard.index_of_sequence(position)
        end = min(len(shard.sequences), start + limit)
        size = sum(shard.sizes[start:end])
        if size > GET_RECORDS_MAX_BYTES:
            size, stop = 0, start
            while stop < end and size + shard.sizes[stop] <= GET_RECORDS_MAX_BYTES:
                size += shard.sizes[stop]
                stop += 1
            end = max(stop, start + 1)
        if end > start:
            next_position = int(shard.sequences[end - 1]) + 1
        else:
            next_position = position
        records = [record.copy() for record in shard.records[start:end]]
        shard.reads += len(records)
        return records, next_position, end, size

    def on_put(self, arn: str, callback: Callable[[Stream, Shard], None]) -> Callable[[], None]:
        """Call `callback(stream, shard)` when records land or resharding closes the shard."""
        stream = self._require(arn)
        stream.listeners.append(callback)

        def cancel() -> None:
            if callback in stream.listeners:
                stream.listeners.remove(callback)

        return cancel

    def track(self, arn: str, consumer: str, kind: str, shard_id: str, position: int) -> None:
        """Record a consumer's next read position on a shard (for lag)."""
        stream = self.stream_for_arn(arn)
        if stream is None:
            return
        index = stream.shard_index_of(shard_id)
        now = self.clock.now()
        stream.lag.move(consumer, kind, index, position, now)
        stream.lag.sample(stream, now)

    def untrack(self, arn: str, consumer: str) -> None:
        """Stop reporting lag for a consumer (it was deleted)."""
        stream = self.stream_for_arn(arn)
        if stream is not None:
            stream.lag.forget(consumer)

    def lag(self, arn: str) -> list[ShardLag]:
        """Every consumer's lag on every shard of the stream, right now (also takes a sample)."""
        stream = self._require(arn)
        now = self.clock.now()
        stream.lag.sample(stream, now, force=True)
        return stream.lag.rows(stream, now)

    def lag_history(
        self, arn: str, consumer: str | None = None, shard_id: str | None = None
    ) -> dict[tuple[str, str], list[LagSample]]:
        """Sampled lag per (consumer, shard id), oldest first, optionally narrowed."""
        stream = self._require(arn)
        stream.lag.sample(stream, self.clock.now())
        out: dict[tuple[str, str], list[LagSample]] = {}
        for (who, index), points in sorted(stream.lag.history.items()):
            shard = stream.shards.get(index)
            sid = shard.shard_id if shard else f"shardId-{index:012d}"
            if (consumer is None or who == consumer) and (shard_id is None or sid == shard_id):
                out[(who, sid)] = list(points)
        return out

    # -- the fabric ---------------------------------------------------------------------
    def owns(self, arn: str) -> bool:
        """Whether a stream (or consumer) with this ARN exists."""
        if "/consumer/" in arn:
            stream = self.stream_for_arn(arn.partition("/consumer/")[0])
            name = arn.partition("/consumer/")[2].rsplit(":", 1)[0]
            return stream is not None and name in stream.consumers
        return self.stream_for_arn(arn) is not None

    async def deliver(self, target_arn: str, envelope: Envelope) -> Any:
        """Put one record (EventBridge, Pipes, IoT targets): partition key from the options."""
        stream = self._require(target_arn)
        body = envelope.body
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = json.dumps(body).encode()
        key = envelope.options.get("partition_key") or self.ids.uuid()
        entry = {"Data": body, "PartitionKey": str(key)}
        shard, sequence = self.records_api.put_one(stream, entry, envelope.trace_id)
        return {"ShardId": shard.shard_id, "SequenceNumber": sequence}

    # -- save and open -------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """Streams, shards, retained records and consumers (None when there are no streams)."""
        return dump_streams(self.streams) if self.streams else None

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` produced; readers, subscriptions and lag history start afresh."""
        self.streams = load_streams(data, self.clock.now())
        self.by_uid = {stream.uid: stream for stream in self.streams.values()}

    # -- views --------------------------------------------------------------------------
    def holdings(self) -> dict[str, int]:
        """Streams and the records their shards keep."""
        return {
            "streams": len(self.streams),
            "records": sum(
                len(shard.sequences)
                for stream in self.streams.values()
                for shard in stream.shards.values()
            ),
        }

    def topology(self) -> tuple[list[Node], list[Edge]]:
        """Streams with their retained shards as children."""
        nodes: list[Node] = []
        for stream in self.streams.values():
            shards = list(stream.shards.values())
            nodes.append(
                Node(
                    stream.arn,
                    "stream",
                    stream.name,
                    self.name,
                    {
                        "open_shards": len(stream.open_shards()),
                        "records": sum(s.retained for s in shards),
                        "put": sum(s.puts for s in shards),
                        "read": sum(s.reads for s in shards),
                        "consumers": len(stream.consumers),
                    },
                )
            )
            for shard in shards:
                nodes.append(
                    Node(
                        f"{stream.arn}/shard/{shard.shard_id}",
                        "shard",
                        shard.shard_id,
                        self.name,
                        {
                            "records": shard.retained,
                            "put": shard.puts,
                            "read": shard.reads,
                            "open": 1 if shard.is_open else 0,
                        },
                        parent=stream.arn,
                    )
                )
        return nodes, []


delegate_operations(
    KinesisService,
    {
        "control_api": ControlPlane,
        "shards_api": ShardOperations,
        "settings_api": StreamSettings,
        "records_api": DataPlane,
        "fanout_api": FanOut,
    },
)
