"""Time to Live: UpdateTimeToLive, DescribeTimeToLive, and the deletion of expired items.

Each table with TTL keeps a heap of (expiry time, key) pushed on every write that carries the
TTL attribute as a number, and one clock timer at the earliest expiry (plus the lab's
`dynamodb.ttl_delay`, default 0 — AWS deletes "within a few days"). When it fires, every due
entry is checked against the item as it is now; items whose TTL attribute still lies in the
past (and not more than five years back, which AWS ignores) are deleted as the DynamoDB service,
so their stream records carry `userIdentity`.
"""

from __future__ import annotations

import heapq
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .table import Table
from .values import Item, invalid

if TYPE_CHECKING:
    from .service import DynamoDbService

#: AWS does not delete items whose expiry lies more than five years in the past.
MAX_PAST_SECONDS = 5 * 365 * 86400
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def expiry_of(table: Table, item: Item) -> float | None:
    """The item's expiry time in epoch seconds, or None when it has no usable TTL value."""
    name = table.ttl_attribute
    if name is None:
        return None
    value = item.get(name)
    if value is None or "N" not in value:
        return None
    return float(Decimal(value["N"]))


class TimeToLiveOperations:
    """TTL for DynamoDbService."""

    def __init__(self, service: DynamoDbService) -> None:
        self.service = service

    def update_time_to_live(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateTimeToLive: enable or disable expiry on one attribute."""
        table = self.service._table(params["TableName"])
        spec = params["TimeToLiveSpecification"]
        enabled = bool(spec["Enabled"])
        name = spec["AttributeName"]
        if enabled and table.ttl_attribute is not None:
            if table.ttl_attribute != name:
                raise invalid(
                    "TimeToLive is active on a different AttributeName: current AttributeName is "
                    f"{table.ttl_attribute}"
                )
            raise invalid("TimeToLive is already enabled")
        if not enabled and table.ttl_attribute is None:
            raise invalid("TimeToLive is already disabled")
        if enabled:
            table.ttl_attribute = name
            for item, _ in table.store.scan():
                self.track_expiry(table, item)
        else:
            table.ttl_attribute = None
            table.expiries.clear()
            if table.expiry_timer is not None:
                table.expiry_timer.cancel()
                table.expiry_timer = None
        return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": name}}

    def describe_time_to_live(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeTimeToLive."""
        table = self.service.tables_api.table_or_not_found(params["TableName"])
        if table.ttl_attribute is None:
            return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
        return {
            "TimeToLiveDescription": {
                "TimeToLiveStatus": "ENABLED",
                "AttributeName": table.ttl_attribute,
            }
        }

    def track_expiry(self, table: Table, item: Item) -> None:
        """Remember when `item` expires and make sure a timer is due by then."""
        expiry = expiry_of(table, item)
        if expiry is None:
            return
        hash_value, sort = table.key_of(item)
        table.expiry_seq += 1
        heapq.heappush(table.expiries, (expiry, table.expiry_seq, hash_value, sort))
        delay = float(self.service.engine.settings.get("dynamodb.ttl_delay", 0.0))
        due = expiry + delay
        timer = table.expiry_timer
        if timer is None or timer.cancelled or due < timer.when:
            if timer is not None:
                timer.cancel()
            table.expiry_timer = self.service.clock.call_at(due, self._expire_due, table.name)

    def _expire_due(self, table_name: str) -> None:
        """Delete every item of the table whose TTL has passed; re-arm the timer."""
        table = self.service.tables.get(table_name)
        if table is None or table.ttl_attribute is None:
            return
        table.expiry_timer = None
        now = self.service.clock.now()
        delay = float(self.service.engine.settings.get("dynamodb.ttl_delay", 0.0))
        heap = table.expiries
        while heap and heap[0][0] + delay <= now:
            _, _, hash_value, sort = heapq.heappop(heap)
            item = table.store.get(hash_value, sort)
            if item is None:
                continue
            expiry = expiry_of(table, item)
            if expiry is None or expiry > now or expiry < now - MAX_PAST_SECONDS:
                continue
            self.service.emit("expired", table.arn, expiry=expiry)
            try:
                self.service._commit(table, item, None, "TimeToLive", identity=TTL_IDENTITY)
            except ServiceError:
                continue
        if heap:
            table.expiry_timer = self.service.clock.call_at(
                heap[0][0] + delay, self._expire_due, table.name
            )
