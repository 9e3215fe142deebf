"""DynamoDB: tables, items, expressions, batches, transactions, and the change streams they feed.

Internal API for stream consumers (Lambda event source mappings, Pipes):

- `stream_for_arn(arn) -> StreamLog | None`: the stream (`.shards`, `.view_type`, `.status()`).
- `read(arn, shard_id, after_sequence, limit) -> list[StreamRecord]`: records after a position.
- `on_record(arn, callback) -> cancel`: `callback(record)` runs for every new record.
- `StreamRecord.as_lambda_event(region, stream_arn)`: the record in Lambda's event format.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from engine.errors import ServiceError
from engine.service import Service, delegate_operations
from engine.topology import Edge, Node

from .batch import BatchOperations
from .control import TableOperations
from .items import ItemOperations
from .kinesis_destinations import KinesisDestinations
from .reads import ReadOperations, not_found
from .requests import key_of
from .storage import ItemStore, KeyPart, KeyShape
from .streams import (
    RETENTION_SECONDS,
    SHARD_LIFETIME_SECONDS,
    RecordListener,
    Shard,
    StreamLog,
    StreamRecord,
    images_for,
    record_size,
)
from .table import Index, StreamSettings, Table
from .throttling import throughput_exceeded
from .ttl import TimeToLiveOperations
from .values import Item, item_size, items_equal


class DynamoDbService(Service):
    """Amazon DynamoDB, with DynamoDB Streams' storage (read through `dynamodbstreams`).

    Operations live in delegated objects, one per area (tables, items, reads, batches and
    transactions, Time to Live, Kinesis destinations); the service keeps the shared state.
    """

    name = "dynamodb"
    validation_error_code = "ValidationException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.tables: dict[str, Table] = {}
        self.streams: dict[str, StreamLog] = {}
        #: ClientRequestToken → (time, request fingerprint, result) for TransactWriteItems.
        self.tokens: dict[str, tuple[float, str, dict[str, Any]]] = {}
        self._next_sequence = 100_000_000_000_000_000
        self.tables_api = TableOperations(self)
        self.items_api = ItemOperations(self)
        self.reads_api = ReadOperations(self)
        self.batch_api = BatchOperations(self)
        self.ttl_api = TimeToLiveOperations(self)
        self.kinesis_destinations = KinesisDestinations(self)

    # -- lookups ---------------------------------------------------------------------------
    def _table(self, name: str) -> Table:
        """The table a data-plane call names (by name or ARN), or ResourceNotFoundException."""
        name = self.tables_api.check_table_name(name)
        table = self.tables.get(name)
        if table is None or table.status(self.clock.now()) == "CREATING":
            raise not_found()
        return table

    def _throttled(self, table: Table) -> bool:
        """Whether a fault policy throttles this request to `table` (seeded dice)."""
        faults = self.engine.faults
        if not faults.enabled:
            return False
        policy = faults.policy_for(table.arn)
        return policy is not None and faults.roll(policy.throttle)

    def _admit(self, table: Table) -> None:
        """Raise ProvisionedThroughputExceededException when a throttle fault fires."""
        if self._throttled(table):
            self.emit("throttled", table.arn)
            raise throughput_exceeded(table)

    def owns(self, arn: str) -> bool:
        """Whether `arn` names an existing table or stream."""
        if arn in self.streams:
            return True
        return any(table.arn == arn for table in self.tables.values())

    # -- writes ------------------------------------------------------------------------------
    def _commit(
        self,
        table: Table,
        old: Item | None,
        new: Item | None,
        operation: str,
        size: int | None = None,
        identity: dict[str, str] | None = None,
        condition: str | None = None,
        transaction: str | None = None,
    ) -> None:
        """Apply one checked write (`new` of `size` bytes) to the table, indexes and stream."""
        streaming = table.stream.enabled and table.latest_stream_arn is not None
        old_size = table.size_of(old) if streaming and old is not None else 0
        table.write(old, new, size)
        table.writes += 1
        if new is not None and table.ttl_attribute is not None:
            self.ttl_api.track_expiry(table, new)
        trace_id = None
        if self.trace.enabled:
            trace_id = self.ids.trace_id(self.clock.now())
            key = key_of(table, new if new is not None else old)  # type: ignore[arg-type]
            self.emit(
                "written",
                table.arn,
                trace_id=trace_id,
                operation=operation,
                key={name: _short(value) for name, value in key.items()},
                condition=condition,
                transaction=transaction,
            )
        copying = table.name in self.kinesis_destinations.by_table
        if not streaming and not copying:
            return
        # AWS writes no stream record for a write that leaves the item as it was.
        unchanged = old is not None and new is not None and items_equal(old, new)
        if unchanged or (old is None and new is None):
            return
        event = "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY")
        if streaming:
            sizes = (old_size, table.size_of(new) if new is not None else 0)
            self._append_record(table, event, old, new, sizes, trace_id, identity)
        if copying:
            self._copy_to_kinesis(table, event, old, new, trace_id)

    def _copy_to_kinesis(
        self, table: Table, event: str, old: Item | None, new: Item | None, trace_id: str | None
    ) -> None:
        keys = key_of(table, new if new is not None else old)  # type: ignore[arg-type]
        size = record_size(
            keys,
            item_size(old) if old is not None else 0,
            item_size(new) if new is not None else 0,
        )
        self.kinesis_destinations.copy_change(table, event, keys, old, new, size, trace_id)

    # -- Kinesis Data Streams for DynamoDB ------------------------------------------------------
    def enable_kinesis_streaming_destination(self, params: dict[str, Any]) -> dict[str, Any]:
        """EnableKinesisStreamingDestination."""
        return self.kinesis_destinations.enable(params)

    def describe_kinesis_streaming_destination(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeKinesisStreamingDestination."""
        return self.kinesis_destinations.describe(params)

    def update_kinesis_streaming_destination(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateKinesisStreamingDestination."""
        return self.kinesis_destinations.update(params)

    def disable_kinesis_streaming_destination(self, params: dict[str, Any]) -> dict[str, Any]:
        """DisableKinesisStreamingDestination."""
        return self.kinesis_destinations.disable(params)

    def _trace_condition_failed(
        self,
        table: Table,
        key: Item,
        operation: str,
        condition: str | None,
        transaction: str | None = None,
    ) -> None:
        """Trace a write its condition expression refused."""
        if self.trace.enabled:
            self.emit(
                "condition-failed",
                table.arn,
                operation=operation,
                key={name: _short(value) for name, value in key_of(table, key).items()},
                condition=condition,
                transaction=transaction,
            )

    # -- streams -------------------------------------------------------------------------------
    def _start_stream(self, table: Table, settings: StreamSettings) -> None:
        now = self.clock.now()
        label = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        arn = f"{table.arn}/stream/{label}"
        while arn in self.streams:  # Re-enabled within the same millisecond: next millisecond.
            now += 0.001
            label = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            arn = f"{table.arn}/stream/{label}"
        log = StreamLog(arn, label, table.name, table.shape, settings.view_type or "KEYS_ONLY", now)
        log.shards.append(self._new_shard(now, None))
        self.streams[arn] = log
        table.stream = settings
        table.latest_stream_arn = arn
        table.latest_stream_label = label

    def _stop_stream(self, table: Table) -> None:
        log = self.streams.get(table.latest_stream_arn or "")
        if log is not None:
            log.close(self.clock.now(), self._next_sequence)
            log.enabled = False
            # Deleted for good a day later even if nobody reads it again (frees its records).
            self.clock.call_later(RETENTION_SECONDS + 1, self.stream_for_arn, log.arn)
        table.stream = StreamSettings()

    def _new_shard(self, now: float, parent: str | None) -> Shard:
        shard_id = f"shardId-{int(now * 1000):020d}-{self.ids.hex(8)}"
        return Shard(shard_id, now, self._next_sequence, parent)

    def _append_record(
        self,
        table: Table,
        event: str,
        old: Item | None,
        new: Item | None,
        sizes: tuple[int, int],
        trace_id: str | None,
        identity: dict[str, str] | None = None,
    ) -> None:
        log = self.streams[table.latest_stream_arn]  # type: ignore[index]
        now = self.clock.now()
        log.trim(now)
        shard = log.open_shard
        if shard is None:
            return
        if now - shard.created >= SHARD_LIFETIME_SECONDS:
            log.close(now, self._next_sequence)
            shard = self._new_shard(now, shard.shard_id)
            log.shards.append(shard)
        keys = key_of(table, new if new is not None else old)  # type: ignore[arg-type]
        old_image, new_image = images_for(log.view_type, old, new)
        sequence = self._next_sequence
        self._next_sequence += 1
        record = StreamRecord(
            sequence=sequence,
            created=now,
            event_id=self.ids.hex(32),
            event_name=event,
            keys=keys,
            new_image=new_image,
            old_image=old_image,
            view_type=log.view_type,
            size_bytes=record_size(
                keys,
                sizes[0] if old_image is not None else 0,
                sizes[1] if new_image is not None else 0,
            ),
            shard_id=shard.shard_id,
            trace_id=trace_id,
            user_identity=identity,
        )
        shard.records.append(record)
        shard.sequences.append(sequence)
        log.records_written += 1
        self.emit(
            "put",
            log.arn,
            message_id=record.event_id,
            trace_id=trace_id,
            event_name=event,
            sequence_number=str(sequence),
            shard_id=shard.shard_id,
        )
        for listener in list(log.listeners):
            listener(record)

    def stream_for_arn(self, arn: str) -> StreamLog | None:
        """The stream with this ARN (trimmed to retention), or None."""
        log = self.streams.get(arn)
        if log is None:
            return None
        now = self.clock.now()
        if log.expired(now):
            # A disabled stream is deleted 24 hours after it was disabled.
            del self.streams[arn]
            return None
        log.trim(now)
        return log

    def live_streams(self) -> list[StreamLog]:
        """Every stream still within retention (disabled ones last 24 hours)."""
        return [log for arn in list(self.streams) if (log := self.stream_for_arn(arn))]

    def read(self, arn: str, shard_id: str, after_sequence: int, limit: int) -> list[StreamRecord]:
        """Up to `limit` records of one shard with sequence numbers above `after_sequence`."""
        log = self.stream_for_arn(arn)
        if log is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Requested resource not found: Stream: {arn} not found",
            )
        shard = log.shard(shard_id)
        if shard is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Requested resource not found: Shard: {shard_id} not found",
            )
        return shard.read_after(after_sequence, limit)

    def on_record(self, arn: str, callback: RecordListener) -> Callable[[], None]:
        """Call `callback(record)` for each new record of stream `arn`; returns a cancel function."""
        log = self.streams.get(arn)
        if log is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Requested resource not found: Stream: {arn} not found",
            )
        log.listeners.append(callback)

        def cancel() -> None:
            """Stop calling `callback`."""
            if callback in log.listeners:
                log.listeners.remove(callback)

        return cancel

    # -- views -------------------------------------------------------------------------------
    def holdings(self) -> dict[str, int]:
        """Tables and their items."""
        return {
            "tables": len(self.tables),
            "items": sum(table.store.count for table in self.tables.values()),
        }

    def topology(self) -> tuple[list[Node], list[Edge]]:
        """A node per table (items, reads, writes) and per stream."""
        nodes: list[Node] = []
        edges: list[Edge] = []
        for table in self.tables.values():
            nodes.append(
                Node(
                    table.arn,
                    "table",
                    table.name,
                    self.name,
                    {
                        "items": table.store.count,
                        "reads": table.reads,
                        "writes": table.writes,
                        "bytes": table.store.size_bytes,
                    },
                )
            )
        for log in self.streams.values():
            nodes.append(
                Node(
                    log.arn,
                    "stream",
                    f"{log.table_name}/stream/{log.label}",
                    self.name,
                    {"records": log.records_written, "shards": len(log.shards)},
                    parent=self.arn(f"table/{log.table_name}"),
                )
            )
        for table in self.tables.values():
            for stream_arn in self.kinesis_destinations.active_streams(table.name):
                edges.append(
                    Edge(table.arn, stream_arn, "kinesis-destination", "Kinesis destination")
                )
        return nodes, edges

    def dump(self) -> dict[str, Any] | None:
        """Tables (with their items) and streams as JSON-able data."""
        if not self.tables and not self.streams:
            return None
        return {
            "tables": [_dump_table(t) for t in self.tables.values()],
            "streams": [_dump_stream(s) for s in self.streams.values()],
            "next_sequence": self._next_sequence,
            "kinesis_destinations": self.kinesis_destinations.dump(),
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` produced."""
        self._next_sequence = data.get("next_sequence", self._next_sequence)
        for saved in data.get("tables", []):
            table = _load_table(saved)
            self.tables[table.name] = table
            if table.ttl_attribute is not None:
                for item, _ in table.store.scan():
                    self.ttl_api.track_expiry(table, item)
        for saved in data.get("streams", []):
            log = _load_stream(saved)
            self.streams[log.arn] = log
        self.kinesis_destinations.load(data.get("kinesis_destinations", {}))


# -- save/open ------------------------------------------------------------------------------------
def _short(value: dict[str, Any]) -> str:
    """A key value for the trace: its scalar as text, at most 256 characters."""
    inner = next(iter(value.values()))
    text = inner.hex() if isinstance(inner, bytes) else str(inner)
    return text if len(text) <= 256 else text[:253] + "..."


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _dump_shape(shape: KeyShape) -> list[list[str]]:
    parts = [shape.hash] + ([shape.range] if shape.range else [])
    return [[p.name, p.type] for p in parts]


def _load_shape(data: list[list[str]]) -> KeyShape:
    parts = [KeyPart(name, kind) for name, kind in data]
    return KeyShape(parts[0], parts[1] if len(parts) > 1 else None)


def _dump_table(table: Table) -> dict[str, Any]:
    return {
        "name": table.name,
        "arn": table.arn,
        "id": table.table_id,
        "shape": _dump_shape(table.shape),
        "types": table.attribute_types,
        "created": table.created,
        "billing_mode": table.billing_mode,
        "read": table.read_capacity,
        "write": table.write_capacity,
        "table_class": table.table_class,
        "deletion_protection": table.deletion_protection,
        "warm_reads": table.warm_reads,
        "warm_writes": table.warm_writes,
        "stream": [table.stream.enabled, table.stream.view_type],
        "stream_arn": table.latest_stream_arn,
        "stream_label": table.latest_stream_label,
        "tags": table.tags,
        "ttl_attribute": table.ttl_attribute,
        "indexes": [
            {
                "name": i.name,
                "arn": i.arn,
                "shape": _dump_shape(i.shape),
                "projection": i.projection_type,
                "non_key": list(i.non_key_attributes),
                "global": i.is_global,
                "read": i.read_capacity,
                "write": i.write_capacity,
            }
            for i in table.indexes()
        ],
        "items": [_encode(item) for item, _ in table.store.scan()],
    }


def _load_table(data: dict[str, Any]) -> Table:
    table = Table(
        name=data["name"],
        arn=data["arn"],
        table_id=data["id"],
        shape=_load_shape(data["shape"]),
        attribute_types=dict(data["types"]),
        created=data["created"],
        billing_mode=data["billing_mode"],
        read_capacity=data["read"],
        write_capacity=data["write"],
        table_class=data.get("table_class"),
        deletion_protection=data.get("deletion_protection", False),
        warm_reads=data.get("warm_reads"),
        warm_writes=data.get("warm_writes"),
        stream=StreamSettings(*data["stream"]),
        latest_stream_arn=data.get("stream_arn"),
        latest_stream_label=data.get("stream_label"),
        tags=dict(data.get("tags", {})),
    )
    for saved in data.get("indexes", []):
        shape = _load_shape(saved["shape"])
        index = Index(
            saved["name"],
            saved["arn"],
            shape,
            saved["projection"],
            tuple(saved["non_key"]),
            saved["global"],
            ItemStore(shape, table.shape),
            saved["read"],
            saved["write"],
        )
        (table.global_indexes if index.is_global else table.local_indexes)[index.name] = index
    table.ttl_attribute = data.get("ttl_attribute")
    for item in data.get("items", []):
        table.write(None, _decode(item))  # sizes are recomputed
    return table


def _dump_stream(log: StreamLog) -> dict[str, Any]:
    return {
        "arn": log.arn,
        "label": log.label,
        "table": log.table_name,
        "shape": _dump_shape(log.shape),
        "view_type": log.view_type,
        "created": log.created,
        "enabled": log.enabled,
        "shards": [
            {
                "id": s.shard_id,
                "created": s.created,
                "start": s.starting_sequence,
                "parent": s.parent_id,
                "end": s.ending_sequence,
                "closed_at": s.closed_at,
                "records": [
                    _encode(
                        {
                            "sequence": r.sequence,
                            "created": r.created,
                            "event_id": r.event_id,
                            "event_name": r.event_name,
                            "keys": r.keys,
                            "new": r.new_image,
                            "old": r.old_image,
                            "size": r.size_bytes,
                            "identity": r.user_identity,
                        }
                    )
                    for r in s.live()
                ],
            }
            for s in log.shards
        ],
    }


def _load_stream(data: dict[str, Any]) -> StreamLog:
    log = StreamLog(
        data["arn"],
        data["label"],
        data["table"],
        _load_shape(data["shape"]),
        data["view_type"],
        data["created"],
        data["enabled"],
    )
    for saved in data["shards"]:
        shard = Shard(saved["id"], saved["created"], saved["start"], saved["parent"])
        shard.ending_sequence = saved["end"]
        shard.closed_at = saved["closed_at"]
        for raw in saved["records"]:
            r = _decode(raw)
            shard.records.append(
                StreamRecord(
                    r["sequence"],
                    r["created"],
                    r["event_id"],
                    r["event_name"],
                    r["keys"],
                    r["new"],
                    r["old"],
                    log.view_type,
                    r["size"],
                    shard.shard_id,
                    user_identity=r.get("identity"),
                )
            )
            shard.sequences.append(r["sequence"])
        log.shards.append(shard)
    return log


delegate_operations(
    DynamoDbService,
    {
        "tables_api": TableOperations,
        "items_api": ItemOperations,
        "reads_api": ReadOperations,
        "batch_api": BatchOperations,
        "ttl_api": TimeToLiveOperations,
    },
)
