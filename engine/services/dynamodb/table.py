"""A table: its key schema, secondary indexes, settings and the items in their stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .storage import ItemStore, KeyShape
from .values import Item, item_size


@dataclass(slots=True)
class Index:
    """A global or local secondary index: its key, projection and its own ordered store."""

    name: str
    arn: str
    shape: KeyShape
    projection_type: str  # ALL | KEYS_ONLY | INCLUDE
    non_key_attributes: tuple[str, ...]
    is_global: bool
    store: ItemStore
    read_capacity: int = 0
    write_capacity: int = 0
    status: str = "ACTIVE"

    def project(self, item: Item, table_keys: tuple[str, ...]) -> Item:
        """The attributes of `item` this index holds."""
        if self.projection_type == "ALL":
            return item
        keep = set(table_keys) | set(self.shape.names)
        if self.projection_type == "INCLUDE":
            keep.update(self.non_key_attributes)
        return {name: value for name, value in item.items() if name in keep}

    def description(self, billing_mode: str) -> dict[str, Any]:
        """AWS's GlobalSecondaryIndexDescription / LocalSecondaryIndexDescription."""
        projection: dict[str, Any] = {"ProjectionType": self.projection_type}
        if self.projection_type == "INCLUDE":
            projection["NonKeyAttributes"] = list(self.non_key_attributes)
        described: dict[str, Any] = {
            "IndexName": self.name,
            "KeySchema": self.shape.schema(),
            "Projection": projection,
            "IndexSizeBytes": self.store.size_bytes,
            "ItemCount": self.store.count,
            "IndexArn": self.arn,
        }
        if self.is_global:
            described["IndexStatus"] = self.status
            described["ProvisionedThroughput"] = {
                "NumberOfDecreasesToday": 0,
                "ReadCapacityUnits": self.read_capacity if billing_mode == "PROVISIONED" else 0,
                "WriteCapacityUnits": self.write_capacity if billing_mode == "PROVISIONED" else 0,
            }
            described["WarmThroughput"] = warm_throughput(
                billing_mode, self.read_capacity, self.write_capacity
            )
        return described


def warm_throughput(billing_mode: str, read: int, write: int) -> dict[str, Any]:
    """DescribeTable's WarmThroughput as AWS reports it by default: the provisioned capacity, or
    12,000 reads and 4,000 writes per second for on-demand."""
    if billing_mode == "PAY_PER_REQUEST":
        read, write = 12000, 4000
    return {"ReadUnitsPerSecond": read, "WriteUnitsPerSecond": write, "Status": "ACTIVE"}


@dataclass(slots=True)
class StreamSettings:
    """A table's StreamSpecification."""

    enabled: bool = False
    view_type: str | None = None


@dataclass(slots=True)
class Table:
    """One DynamoDB table."""

    name: str
    arn: str
    table_id: str
    shape: KeyShape
    attribute_types: dict[str, str]
    created: float
    billing_mode: str = "PROVISIONED"
    read_capacity: int = 0
    write_capacity: int = 0
    table_class: str | None = None
    deletion_protection: bool = False
    global_indexes: dict[str, Index] = field(default_factory=dict)
    local_indexes: dict[str, Index] = field(default_factory=dict)
    stream: StreamSettings = field(default_factory=StreamSettings)
    latest_stream_arn: str | None = None
    latest_stream_label: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    billing_changed: float | None = None
    #: WarmThroughput given at creation (reads, writes per second); None: AWS's default.
    warm: tuple[int, int] | None = None
    #: Until this time the table reports `pending_status` (CREATING / UPDATING).
    busy_until: float = 0.0
    pending_status: str = "ACTIVE"
    store: ItemStore = field(init=False)
    reads: int = 0
    writes: int = 0
    #: Time to Live: the attribute holding expiry times, a heap of (expiry, seq, hash, sort).
    ttl_attribute: str | None = None
    expiries: list[tuple[float, int, Any, tuple]] = field(default_factory=list)
    expiry_seq: int = 0
    expiry_timer: Any = None

    def __post_init__(self) -> None:
        self.store = ItemStore(self.shape)

    def status(self, now: float) -> str:
        """TableStatus at simulated time `now`."""
        return self.pending_status if now < self.busy_until else "ACTIVE"

    def indexes(self) -> list[Index]:
        """Every secondary index, global first."""
        return [*self.global_indexes.values(), *self.local_indexes.values()]

    def index(self, name: str) -> Index | None:
        """The secondary index called `name`, or None."""
        return self.global_indexes.get(name) or self.local_indexes.get(name)

    # -- items -----------------------------------------------------------------------------
    def key_of(self, item: Item) -> tuple[Any, tuple]:
        """The (hash value, sort tuple) that finds `item` in the table's store."""
        store = self.store
        return store.hash_of(item), store.sort_of(item) or ()

    def get(self, key: Item) -> Item | None:
        """The stored item with this primary key, or None."""
        hash_value, sort = self.key_of(key)
        return self.store.get(hash_value, sort)

    def size_of(self, item: Item) -> int:
        """The stored size of the item with `item`'s key (0 when there is none)."""
        hash_value, sort = self.key_of(item)
        return self.store.size(hash_value, sort)

    def write(self, old: Item | None, new: Item | None, size: int | None = None) -> None:
        """Replace `old` by `new` (of `size` bytes) in the table and every index."""
        if old is not None:
            self.store.remove(old)
            for index in self.indexes():
                index.store.remove(old)
        if new is not None:
            if size is None:
                size = item_size(new)
            self.store.put(new, size)
            for index in self.indexes():
                index.store.put(index.project(new, self.shape.names), size)

    # -- description ------------------------------------------------------------------------
    def description(self, now: float) -> dict[str, Any]:
        """AWS's TableDescription."""
        described: dict[str, Any] = {
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": kind}
                for name, kind in self.attribute_types.items()
            ],
            "TableName": self.name,
            "KeySchema": self.shape.schema(),
            "TableStatus": self.status(now),
            "CreationDateTime": datetime.fromtimestamp(self.created, UTC),
            "ProvisionedThroughput": {
                "NumberOfDecreasesToday": 0,
                "ReadCapacityUnits": self.read_capacity,
                "WriteCapacityUnits": self.write_capacity,
            },
            "TableSizeBytes": self.store.size_bytes,
            "ItemCount": self.store.count,
            "TableArn": self.arn,
            "TableId": self.table_id,
        }
        if self.billing_mode == "PAY_PER_REQUEST":
            summary: dict[str, Any] = {"BillingMode": "PAY_PER_REQUEST"}
            if self.billing_changed is not None:
                summary["LastUpdateToPayPerRequestDateTime"] = datetime.fromtimestamp(
                    self.billing_changed, UTC
                )
            described["BillingModeSummary"] = summary
        if self.local_indexes:
            described["LocalSecondaryIndexes"] = [
                i.description(self.billing_mode) for i in self.local_indexes.values()
            ]
        if self.global_indexes:
            described["GlobalSecondaryIndexes"] = [
                i.description(self.billing_mode) for i in self.global_indexes.values()
            ]
        if self.stream.enabled:
            described["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": self.stream.view_type,
            }
        if self.latest_stream_arn is not None:
            described["LatestStreamLabel"] = self.latest_stream_label
            described["LatestStreamArn"] = self.latest_stream_arn
        if self.table_class is not None:
            described["TableClassSummary"] = {"TableClass": self.table_class}
        described["DeletionProtectionEnabled"] = self.deletion_protection
        described["WarmThroughput"] = (
            warm_throughput(self.billing_mode, self.read_capacity, self.write_capacity)
            if self.warm is None
            else {
                "ReadUnitsPerSecond": self.warm[0],
                "WriteUnitsPerSecond": self.warm[1],
                "Status": "ACTIVE",
            }
        )
        return described
