"""DynamoDB Streams storage: per-table change logs split into shards, kept 24 hours.

Each write to a table with a stream appends one record to the stream's open shard. Shards
roll over every four hours (DynamoDB's shards are short-lived); a closed shard is the parent
of the next one. Records older than 24 hours are trimmed lazily, on the engine clock.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .storage import KeyShape
from .values import Item, copy_item, item_size

RETENTION_SECONDS = 24 * 3600
SHARD_LIFETIME_SECONDS = 4 * 3600
SEQUENCE_DIGITS = 21

RecordListener = Callable[["StreamRecord"], None]


def sequence_text(sequence: int) -> str:
    """A sequence number as DynamoDB Streams spells it: a fixed-width decimal string."""
    return f"{sequence:0{SEQUENCE_DIGITS}d}"


@dataclass(slots=True)
class StreamRecord:
    """One change to one item: its keys and, depending on the view type, its images."""

    sequence: int
    created: float
    event_id: str
    event_name: str  # INSERT | MODIFY | REMOVE
    keys: Item
    new_image: Item | None
    old_image: Item | None
    view_type: str
    size_bytes: int
    shard_id: str
    trace_id: str | None = None
    #: Set for deletions the service makes itself (Time to Live).
    user_identity: dict[str, str] | None = None

    def change(self) -> dict[str, Any]:
        """The record's `dynamodb` member (without the creation time)."""
        body: dict[str, Any] = {"Keys": copy_item(self.keys)}
        if self.new_image is not None:
            body["NewImage"] = copy_item(self.new_image)
        if self.old_image is not None:
            body["OldImage"] = copy_item(self.old_image)
        body["SequenceNumber"] = sequence_text(self.sequence)
        body["SizeBytes"] = self.size_bytes
        body["StreamViewType"] = self.view_type
        return body

    def as_api(self, region: str) -> dict[str, Any]:
        """The record as dynamodbstreams:GetRecords returns it."""
        change = {
            "ApproximateCreationDateTime": datetime.fromtimestamp(int(self.created), UTC),
            **self.change(),
        }
        record = {
            "eventID": self.event_id,
            "eventName": self.event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "dynamodb": change,
        }
        if self.user_identity is not None:
            record["userIdentity"] = dict(self.user_identity)
        return record

    def as_lambda_event(self, region: str, stream_arn: str) -> dict[str, Any]:
        """The record as a Lambda event source mapping delivers it (JSON-able, epoch time)."""
        change = {"ApproximateCreationDateTime": int(self.created), **self.change()}
        record = {
            "eventID": self.event_id,
            "eventName": self.event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "dynamodb": jsonable(change),
            "eventSourceARN": stream_arn,
        }
        if self.user_identity is not None:
            record["userIdentity"] = dict(self.user_identity)
        return record


def jsonable(value: Any) -> Any:
    """Binary values as base64 text, the way Lambda's JSON event carries them."""
    import base64

    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


@dataclass(slots=True)
class Shard:
    """An append-only run of records; closed once its successor opens."""

    shard_id: str
    created: float
    starting_sequence: int
    parent_id: str | None = None
    records: list[StreamRecord] = field(default_factory=list)
    sequences: list[int] = field(default_factory=list)
    #: Records before this position have been trimmed (kept in the list until compaction).
    start: int = 0
    ending_sequence: int | None = None
    closed_at: float | None = None

    @property
    def closed(self) -> bool:
        """Whether the shard takes no more records."""
        return self.ending_sequence is not None

    def live(self) -> list[StreamRecord]:
        """Records still within retention."""
        return self.records[self.start :]

    def read_after(self, after: int, limit: int) -> list[StreamRecord]:
        """Up to `limit` records whose sequence number is greater than `after`."""
        index = max(bisect_right(self.sequences, after), self.start)
        return self.records[index : index + limit]

    def trim(self, horizon: float) -> None:
        """Forget records created before `horizon`."""
        records = self.records
        start = self.start
        while start < len(records) and records[start].created < horizon:
            start += 1
        if start > 1024 and start * 2 > len(records):
            del records[:start]
            del self.sequences[:start]
            start = 0
        self.start = start

    def first_live_sequence(self) -> int:
        """The lowest sequence number still readable (or the shard's start when empty)."""
        if self.start < len(self.records):
            return self.records[self.start].sequence
        return self.starting_sequence

    def description(self) -> dict[str, Any]:
        """AWS's Shard description."""
        sequence_range: dict[str, str] = {
            "StartingSequenceNumber": sequence_text(self.starting_sequence)
        }
        if self.ending_sequence is not None:
            sequence_range["EndingSequenceNumber"] = sequence_text(self.ending_sequence)
        described: dict[str, Any] = {
            "ShardId": self.shard_id,
            "SequenceNumberRange": sequence_range,
        }
        if self.parent_id is not None:
            described["ParentShardId"] = self.parent_id
        return described


@dataclass(slots=True)
class StreamLog:
    """One stream of one table: its label, view type, shards and listeners."""

    arn: str
    label: str
    table_name: str
    shape: KeyShape
    view_type: str
    created: float
    enabled: bool = True
    shards: list[Shard] = field(default_factory=list)
    listeners: list[RecordListener] = field(default_factory=list)
    records_written: int = 0

    @property
    def open_shard(self) -> Shard | None:
        """The shard that takes new records, if the stream is enabled."""
        if self.shards and not self.shards[-1].closed:
            return self.shards[-1]
        return None

    def shard(self, shard_id: str) -> Shard | None:
        """The shard with this id, or None (also for shards past retention)."""
        for shard in self.shards:
            if shard.shard_id == shard_id:
                return shard
        return None

    def expired(self, now: float) -> bool:
        """Whether the stream was disabled more than 24 hours ago (AWS then deletes it)."""
        if self.enabled or not self.shards:
            return False
        closed_at = self.shards[-1].closed_at
        return closed_at is not None and closed_at < now - RETENTION_SECONDS

    def status(self) -> str:
        """StreamStatus: ENABLED or DISABLED."""
        return "ENABLED" if self.enabled else "DISABLED"

    def close(self, now: float, next_sequence: int) -> None:
        """Close the open shard (stream disabled or shard rolled over)."""
        shard = self.open_shard
        if shard is None:
            return
        shard.ending_sequence = (
            shard.sequences[-1] if shard.sequences else max(shard.starting_sequence, next_sequence)
        )
        shard.closed_at = now

    def trim(self, now: float) -> None:
        """Apply the 24-hour retention to records and to closed shards."""
        horizon = now - RETENTION_SECONDS
        for shard in self.shards:
            shard.trim(horizon)
        while (
            len(self.shards) > 1
            and self.shards[0].closed_at is not None
            and self.shards[0].closed_at < horizon
        ):
            self.shards.pop(0)

    def description(self, region: str) -> dict[str, Any]:
        """AWS's StreamDescription (without paging of shards)."""
        return {
            "StreamArn": self.arn,
            "StreamLabel": self.label,
            "StreamStatus": self.status(),
            "StreamViewType": self.view_type,
            "CreationRequestDateTime": datetime.fromtimestamp(self.created, UTC),
            "TableName": self.table_name,
            "KeySchema": self.shape.schema(),
            "Shards": [shard.description() for shard in self.shards],
        }


def images_for(
    view_type: str, old: Item | None, new: Item | None
) -> tuple[Item | None, Item | None]:
    """The (old, new) images a record of this view type carries."""
    if view_type == "NEW_IMAGE":
        return None, new
    if view_type == "OLD_IMAGE":
        return old, None
    if view_type == "NEW_AND_OLD_IMAGES":
        return old, new
    return None, None


def record_size(keys: Item, old_size: int, new_size: int) -> int:
    """SizeBytes of a record: its keys plus the sizes of the images it carries."""
    return item_size(keys) + old_size + new_size
