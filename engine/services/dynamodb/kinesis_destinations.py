"""Kinesis Data Streams for DynamoDB: a table's item changes copied into Kinesis data streams.

A table can stream its changes to Kinesis streams of its own account and region
(EnableKinesisStreamingDestination). Every write then puts one record on each active
destination, in the JSON form AWS documents (`recordFormat: application/json`), with the
creation time at the destination's precision (milliseconds unless set to microseconds).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .streams import jsonable

if TYPE_CHECKING:
    from .service import DynamoDbService
    from .table import Table
    from .values import Item

PRECISIONS = ("MILLISECOND", "MICROSECOND")


@dataclass(slots=True)
class Destination:
    """One Kinesis stream a table streams to, and where its status is heading."""

    stream_arn: str
    #: ENABLING → ACTIVE, UPDATING → ACTIVE, DISABLING → DISABLED, reached at `settles_at`.
    status: str
    settles_at: float
    precision: str | None = None
    records: int = 0

    def current_status(self, now: float) -> str:
        """The status DescribeKinesisStreamingDestination reports at `now`."""
        if now < self.settles_at:
            return self.status
        return "DISABLED" if self.status in ("DISABLING", "DISABLED") else "ACTIVE"


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _table_not_found(name: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"Requested resource not found: Table: {name} not found"
    )


class KinesisDestinations:
    """The streaming-destination API of one DynamoDB service, and the records it writes."""

    def __init__(self, service: DynamoDbService) -> None:
        self.service = service
        #: table name → stream ARN → destination.
        self.by_table: dict[str, dict[str, Destination]] = {}

    # -- API ---------------------------------------------------------------------------------
    def enable(self, params: dict[str, Any]) -> dict[str, Any]:
        """EnableKinesisStreamingDestination."""
        table = self._table(params["TableName"])
        arn = params["StreamArn"]
        kinesis = self.service.engine.service("kinesis")
        if kinesis.stream_for_arn(arn) is None:
            raise _invalid(
                "Table is not in a valid state to enable Kinesis Streaming Destination: "
                f"Kinesis stream {arn} does not exist"
            )
        destinations = self.by_table.setdefault(table.name, {})
        now = self.service.clock.now()
        existing = destinations.get(arn)
        if existing is not None and existing.current_status(now) != "DISABLED":
            raise _invalid(
                "Table is not in a valid state to enable Kinesis Streaming Destination: "
                f"Kinesis streaming destination with streamArn: {arn} is already enabled"
            )
        configuration = params.get("EnableKinesisStreamingConfiguration") or {}
        precision = configuration.get("ApproximateCreationDateTimePrecision")
        destinations[arn] = Destination(arn, "ENABLING", self._settle_time(), precision)
        self.service.emit("streaming-destination-enabled", table.arn, stream=arn)
        return {
            "TableName": table.name,
            "StreamArn": arn,
            "DestinationStatus": "ENABLING",
            "EnableKinesisStreamingConfiguration": dict(configuration),
        }

    def describe(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeKinesisStreamingDestination."""
        table = self._table(params["TableName"])
        now = self.service.clock.now()
        described = []
        for destination in self.by_table.get(table.name, {}).values():
            entry: dict[str, Any] = {
                "StreamArn": destination.stream_arn,
                "DestinationStatus": destination.current_status(now),
            }
            if destination.precision is not None:
                entry["ApproximateCreationDateTimePrecision"] = destination.precision
            described.append(entry)
        return {"TableName": table.name, "KinesisDataStreamDestinations": described}

    def update(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateKinesisStreamingDestination: change the creation-time precision."""
        table = self._table(params["TableName"])
        arn = params["StreamArn"]
        configuration = params.get("UpdateKinesisStreamingConfiguration") or {}
        precision = configuration.get("ApproximateCreationDateTimePrecision")
        if precision is None:
            raise _invalid(
                "Streaming destination cannot be updated with given parameters: "
                "UpdateKinesisStreamingConfiguration cannot be null or contain only null values"
            )
        destination = self._destination(table, arn)
        if (destination.precision or "MILLISECOND") == precision:
            raise _invalid(
                f"Invalid Request: Precision is already set to the desired value of {precision} "
                f"for tableId: {table.table_id}, kdsArn: {arn}"
            )
        destination.precision = precision
        destination.status, destination.settles_at = "UPDATING", self._settle_time()
        return {
            "TableName": table.name,
            "StreamArn": arn,
            "DestinationStatus": "UPDATING",
            "UpdateKinesisStreamingConfiguration": {
                "ApproximateCreationDateTimePrecision": precision
            },
        }

    def disable(self, params: dict[str, Any]) -> dict[str, Any]:
        """DisableKinesisStreamingDestination."""
        table = self._table(params["TableName"])
        arn = params["StreamArn"]
        destination = self._destination(table, arn)
        destination.status, destination.settles_at = "DISABLING", self._settle_time()
        self.service.emit("streaming-destination-disabled", table.arn, stream=arn)
        return {"TableName": table.name, "StreamArn": arn, "DestinationStatus": "DISABLING"}

    # -- records ---------------------------------------------------------------------------------
    def copy_change(
        self,
        table: Table,
        event: str,
        keys: Item,
        old: Item | None,
        new: Item | None,
        size_bytes: int,
        trace_id: str | None,
    ) -> None:
        """Put one record of this change on every active destination of `table`."""
        destinations = self.by_table.get(table.name)
        if not destinations:
            return
        service = self.service
        now = service.clock.now()
        kinesis = service.engine.service("kinesis")
        for destination in destinations.values():
            if destination.current_status(now) not in ("ACTIVE", "UPDATING"):
                continue
            stream = kinesis.stream_for_arn(destination.stream_arn)
            if stream is None:
                continue  # the stream was deleted: AWS stops delivering to it
            precision = destination.precision or "MILLISECOND"
            scale = 1_000_000 if precision == "MICROSECOND" else 1_000
            change: dict[str, Any] = {
                "ApproximateCreationDateTime": int(now * scale),
                "Keys": keys,
                "SizeBytes": size_bytes,
                "ApproximateCreationDateTimePrecision": precision,
            }
            if new is not None:
                change["NewImage"] = new
            if old is not None:
                change["OldImage"] = old
            record = {
                "awsRegion": service.region,
                "eventID": service.ids.uuid(),
                "eventName": event,
                "userIdentity": None,
                "recordFormat": "application/json",
                "tableName": table.name,
                "dynamodb": jsonable(change),
                "eventSource": "aws:dynamodb",
            }
            # One partition key per item keeps an item's changes in order on one shard.
            key_text = json.dumps(jsonable(keys), sort_keys=True)
            partition_key = hashlib.md5(key_text.encode()).hexdigest().upper()
            entry = {"Data": json.dumps(record).encode(), "PartitionKey": partition_key}
            kinesis.records_api.put_one(stream, entry, trace_id)
            destination.records += 1

    def forget(self, table_name: str) -> None:
        """Drop a deleted table's destinations."""
        self.by_table.pop(table_name, None)

    def active_streams(self, table_name: str) -> list[str]:
        """The stream ARNs a table currently streams to (for the flow map)."""
        now = self.service.clock.now()
        return [
            d.stream_arn
            for d in self.by_table.get(table_name, {}).values()
            if d.current_status(now) in ("ACTIVE", "UPDATING", "ENABLING")
        ]

    # -- save and open ------------------------------------------------------------------------
    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every table's destinations as plain data."""
        return {
            name: [
                {"stream": d.stream_arn, "status": d.status, "precision": d.precision}
                for d in destinations.values()
            ]
            for name, destinations in self.by_table.items()
        }

    def load(self, data: dict[str, list[dict[str, Any]]]) -> None:
        """Restore what `dump()` produced (pending changes settle at once)."""
        now = self.service.clock.now()
        self.by_table = {
            name: {
                d["stream"]: Destination(d["stream"], d["status"], now, d.get("precision"))
                for d in saved
            }
            for name, saved in data.items()
        }

    # -- helpers -------------------------------------------------------------------------------
    def _table(self, name: str) -> Table:
        table = self.service.tables.get(
            name.rsplit("/", 1)[-1] if name.startswith("arn:") else name
        )
        if table is None:
            raise _table_not_found(name)
        return table

    def _destination(self, table: Table, arn: str) -> Destination:
        destination = self.by_table.get(table.name, {}).get(arn)
        if destination is None:
            raise _invalid(
                "Table is not in a valid state to enable Kinesis Streaming Destination: "
                f"No streaming destination with streamArn: {arn} found for table with "
                f"tableName: {table.name}"
            )
        return destination

    def _settle_time(self) -> float:
        delay = float(self.service.engine.settings.get("dynamodb.status_delay", 0.0))
        return self.service.clock.now() + delay
