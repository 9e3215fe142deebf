"""Save/open for Kinesis: streams, shards with their records, and consumers as plain data."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from .lag import LagBook
from .limits import ShardLimits
from .shard import Shard
from .stream import Consumer, Stream


def dump_streams(streams: dict[str, Stream]) -> dict[str, Any]:
    """Every stream as JSON-able data (hash keys as text, record data as base64)."""
    return {"streams": [_dump_stream(stream) for stream in streams.values()]}


def _dump_stream(stream: Stream) -> dict[str, Any]:
    return {
        "name": stream.name,
        "arn": stream.arn,
        "uid": stream.uid,
        "created": stream.created,
        "mode": stream.mode,
        "retention_hours": stream.retention_hours,
        "encryption": stream.encryption,
        "key_id": stream.key_id,
        "max_record_kib": stream.max_record_kib,
        "shard_level_metrics": list(stream.shard_level_metrics),
        "tags": dict(stream.tags),
        "policy": stream.policy,
        # Sequence numbers exceed 64 bits: kept as text, as AWS shows them.
        "counter": str(stream.counter),
        "consumers": [
            {
                "name": c.name,
                "arn": c.arn,
                "created": c.created,
                "tags": dict(c.tags),
                "policy": c.policy,
            }
            for c in stream.consumers.values()
        ],
        "shards": [_dump_shard(shard) for shard in stream.shards.values()],
    }


def _dump_shard(shard: Shard) -> dict[str, Any]:
    head = shard.head
    return {
        "index": shard.index,
        "start_hash": str(shard.start_hash),
        "end_hash": str(shard.end_hash),
        "starting_sequence": str(shard.starting_sequence),
        "created_at": shard.created_at,
        "parent_id": shard.parent_id,
        "adjacent_parent_id": shard.adjacent_parent_id,
        "ending_sequence": None if shard.ending_sequence is None else str(shard.ending_sequence),
        "closed_at": shard.closed_at,
        "child_ids": list(shard.child_ids),
        "records": [
            [
                record["SequenceNumber"],
                arrival,
                base64.b64encode(record["Data"]).decode(),
                record["PartitionKey"],
                "EncryptionType" in record,
            ]
            for record, arrival in zip(shard.records[head:], shard.arrivals[head:], strict=True)
        ],
    }


def load_streams(data: dict[str, Any], now: float) -> dict[str, Stream]:
    """Streams rebuilt from `dump_streams` output (limits full, no readers or lag history)."""
    streams: dict[str, Stream] = {}
    for item in data.get("streams", []):
        stream = Stream(
            name=item["name"],
            arn=item["arn"],
            uid=item["uid"],
            created=item["created"],
            mode=item["mode"],
            retention_hours=item["retention_hours"],
            encryption=item["encryption"],
            key_id=item["key_id"],
            max_record_kib=item["max_record_kib"],
            shard_level_metrics=list(item["shard_level_metrics"]),
            tags=dict(item["tags"]),
            policy=item["policy"],
            lag=LagBook(),
            counter=int(item["counter"]),
        )
        for consumer in item["consumers"]:
            stream.consumers[consumer["name"]] = Consumer(
                consumer["name"],
                consumer["arn"],
                consumer["created"],
                tags=dict(consumer["tags"]),
                policy=consumer["policy"],
            )
        for saved in item["shards"]:
            shard = _load_shard(saved)
            stream.shards[shard.index] = shard
            stream.limits[shard.index] = ShardLimits.fresh(now)
        stream.reroute()
        streams[stream.name] = stream
    return streams


def _load_shard(saved: dict[str, Any]) -> Shard:
    shard = Shard(
        f"shardId-{saved['index']:012d}",
        saved["index"],
        int(saved["start_hash"]),
        int(saved["end_hash"]),
        int(saved["starting_sequence"]),
        saved["created_at"],
        parent_id=saved["parent_id"],
        adjacent_parent_id=saved["adjacent_parent_id"],
        ending_sequence=None if saved["ending_sequence"] is None else int(saved["ending_sequence"]),
        closed_at=saved["closed_at"],
        child_ids=list(saved["child_ids"]),
    )
    for sequence, arrival, data, key, encrypted in saved["records"]:
        record: dict[str, Any] = {
            "SequenceNumber": sequence,
            "ApproximateArrivalTimestamp": datetime.fromtimestamp(arrival, UTC),
            "Data": base64.b64decode(data),
            "PartitionKey": key,
        }
        if encrypted:
            record["EncryptionType"] = "KMS"
        size = len(record["Data"]) + len(key.encode())
        shard.append(sequence, arrival, record, size, None)
    shard.puts = 0
    return shard
