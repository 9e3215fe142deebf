"""Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .evaluate import apply_update, evaluate, project, touched_top_level
from .requests import (
    Expressions,
    check_item_keys,
    check_return_values,
    clean_key,
)
from .table import Table
from .values import Item, clean_item, copy_item, copy_value, invalid

if TYPE_CHECKING:
    from .service import DynamoDbService


def condition_failed(old: Item | None, return_on_failure: str | None) -> ServiceError:
    """ConditionalCheckFailedException, carrying the item when the caller asked for it."""
    extra = {}
    if return_on_failure == "ALL_OLD" and old is not None:
        extra["Item"] = copy_item(old)
    return ServiceError(
        "ConditionalCheckFailedException", "The conditional request failed", extra=extra
    )


def capacity(table: Table, units: float, mode: str | None, *, write: bool) -> dict[str, Any] | None:
    """ConsumedCapacity for ReturnConsumedCapacity TOTAL or INDEXES (None for NONE)."""
    if mode not in ("TOTAL", "INDEXES"):
        return None
    consumed: dict[str, Any] = {"TableName": table.name, "CapacityUnits": units}
    key = "WriteCapacityUnits" if write else "ReadCapacityUnits"
    consumed[key] = units
    if mode == "INDEXES":
        consumed["Table"] = {"CapacityUnits": units, key: units}
    return consumed


def capacity_list(
    usage: dict[str, tuple[Table, float]], mode: str | None, *, write: bool
) -> list[dict[str, Any]] | None:
    """ConsumedCapacity per table, as the batch and transaction operations return it."""
    consumed = [capacity(table, units, mode, write=write) for table, units in usage.values()]
    return [entry for entry in consumed if entry is not None] or None


def collection_metrics(table: Table, item: Item, params: dict[str, Any]) -> dict[str, Any] | None:
    """ItemCollectionMetrics for ReturnItemCollectionMetrics=SIZE (tables with local indexes)."""
    if params.get("ReturnItemCollectionMetrics") != "SIZE" or not table.local_indexes:
        return None
    name = table.shape.hash.name
    # AWS estimates an item collection's size as a range in GB; a lab collection is tiny.
    return {"ItemCollectionKey": {name: copy_value(item[name])}, "SizeEstimateRangeGB": [0.0, 1.0]}


def write_units(*sizes: int) -> float:
    """Write capacity units: one per started KB of the largest image."""
    return float(max(1, math.ceil(max(sizes, default=0) / 1024)))


def read_units(size: int, consistent: bool) -> float:
    """Read capacity units: one per started 4 KB, half for eventually consistent reads."""
    units = max(1, math.ceil(size / 4096))
    return float(units if consistent else units / 2)


class ItemOperations:
    """The single-item data plane of DynamoDbService."""

    def __init__(self, service: DynamoDbService) -> None:
        self.service = service

    def put_item(self, params: dict[str, Any]) -> dict[str, Any]:
        """PutItem: replace or create an item, optionally under a condition."""
        table = self.service._table(params["TableName"])
        expressions = Expressions(params)
        item = clean_item(params["Item"])
        size = check_item_keys(table, item)
        returns = check_return_values(params.get("ReturnValues"), ("NONE", "ALL_OLD"))
        self.service._admit(table)
        old = table.get(item)
        old_size = table.size_of(old) if old is not None else 0
        self._check_condition(table, item, "PutItem", expressions, old, params)
        self.service._commit(
            table, old, item, "PutItem", size, condition=params.get("ConditionExpression")
        )
        result: dict[str, Any] = {}
        if returns == "ALL_OLD" and old is not None:
            result["Attributes"] = copy_item(old)
        return _with_write_metadata(result, table, write_units(old_size, size), item, params)

    def get_item(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetItem: one item by primary key, optionally projected."""
        table = self.service._table(params["TableName"])
        expressions = Expressions(params)
        key = clean_key(table, params["Key"])
        self.service._admit(table)
        item = table.get(key)
        table.reads += 1
        result: dict[str, Any] = {}
        if item is not None:
            shown = project(item, expressions.projection) if expressions.projection else item
            result["Item"] = copy_item(shown)
        consistent = bool(params.get("ConsistentRead"))
        size = table.size_of(key) if item is not None else 0
        consumed = capacity(
            table, read_units(size, consistent), params.get("ReturnConsumedCapacity"), write=False
        )
        if consumed:
            result["ConsumedCapacity"] = consumed
        return result

    def update_item(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateItem: apply an UpdateExpression (creating the item if needed)."""
        table = self.service._table(params["TableName"])
        expressions = Expressions(params)
        key = clean_key(table, params["Key"])
        returns = check_return_values(
            params.get("ReturnValues"), ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")
        )
        actions = expressions.update or []
        for name in touched_top_level(actions):
            if name in table.shape.names:
                raise invalid(
                    "One or more parameter values were invalid: Cannot update attribute "
                    f"{name}. This attribute is part of the key"
                )
        self.service._admit(table)
        old = table.get(key)
        self._check_condition(table, key, "UpdateItem", expressions, old, params)
        new = apply_update(old if old is not None else key, actions)
        size = check_item_keys(table, new)
        old_size = table.size_of(old) if old is not None else 0
        self.service._commit(
            table, old, new, "UpdateItem", size, condition=params.get("ConditionExpression")
        )
        result: dict[str, Any] = {}
        paths = [action.path for action in actions]
        shown: Item | None = None
        if returns == "ALL_OLD":
            shown = old
        elif returns == "ALL_NEW":
            shown = new
        elif returns == "UPDATED_OLD" and old is not None:
            shown = project(old, paths)
        elif returns == "UPDATED_NEW":
            shown = project(new, paths)
        if shown:
            result["Attributes"] = copy_item(shown)
        return _with_write_metadata(result, table, write_units(old_size, size), key, params)

    def delete_item(self, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteItem: remove an item by key, optionally under a condition."""
        table = self.service._table(params["TableName"])
        expressions = Expressions(params)
        key = clean_key(table, params["Key"])
        returns = check_return_values(params.get("ReturnValues"), ("NONE", "ALL_OLD"))
        self.service._admit(table)
        old = table.get(key)
        old_size = table.size_of(old) if old is not None else 0
        self._check_condition(table, key, "DeleteItem", expressions, old, params)
        if old is not None:
            self.service._commit(
                table, old, None, "DeleteItem", condition=params.get("ConditionExpression")
            )
        result: dict[str, Any] = {}
        if returns == "ALL_OLD" and old is not None:
            result["Attributes"] = copy_item(old)
        return _with_write_metadata(result, table, write_units(old_size), key, params)

    def _check_condition(
        self,
        table: Table,
        key: Item,
        operation: str,
        expressions: Expressions,
        old: Item | None,
        params: dict[str, Any],
    ) -> None:
        if expressions.condition is None:
            return
        if not evaluate(old or {}, expressions.condition):
            self.service._trace_condition_failed(
                table, key, operation, params.get("ConditionExpression")
            )
            raise condition_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))


def _with_write_metadata(
    result: dict[str, Any], table: Any, units: Any, key: dict, params: dict[str, Any]
) -> dict[str, Any]:
    """Add ConsumedCapacity and ItemCollectionMetrics to a write's result when asked for."""
    consumed = capacity(table, units, params.get("ReturnConsumedCapacity"), write=True)
    if consumed:
        result["ConsumedCapacity"] = consumed
    metrics = collection_metrics(table, key, params)
    if metrics:
        result["ItemCollectionMetrics"] = metrics
    return result
