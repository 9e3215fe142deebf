"""Query and Scan: key conditions, filters, projections, Limit, 1 MB pages and parallel scans."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .evaluate import evaluate, project
from .items import capacity, read_units
from .nodes import And, Between, Compare, Function, In, Not, Or, Path, Value
from .requests import Expressions
from .storage import ItemStore, KeyShape
from .table import Index, Table
from .values import Item, clean_item, copy_item, invalid, sort_value, type_of

if TYPE_CHECKING:
    from .service import DynamoDbService

PAGE_BYTES = 1024 * 1024


def _top_names(node: Any) -> Iterator[str]:
    """Top-level attribute names a parsed expression refers to."""
    if isinstance(node, Path):
        yield str(node.elements[0])
        return
    if dataclasses.is_dataclass(node) and not isinstance(node, Value):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, tuple):
                for element in value:
                    yield from _top_names(element)
            else:
                yield from _top_names(value)


def _key_conditions(node: Any) -> list[Any]:
    """The ANDed conditions of a KeyConditionExpression, rejecting other operators."""
    if isinstance(node, And):
        return _key_conditions(node.left) + _key_conditions(node.right)
    if isinstance(node, Or):
        raise invalid("Invalid operator used in KeyConditionExpression: OR")
    if isinstance(node, Not):
        raise invalid("Invalid operator used in KeyConditionExpression: NOT")
    if isinstance(node, In):
        raise invalid("Invalid operator used in KeyConditionExpression: IN")
    if isinstance(node, Compare) and node.op == "<>":
        raise invalid("Invalid operator used in KeyConditionExpression: <>")
    if isinstance(node, Function) and node.name != "begins_with":
        raise invalid(f"Invalid operator used in KeyConditionExpression: {node.name}")
    return [node]


def _subject(condition: Any) -> Path:
    subject = (
        condition.operand
        if isinstance(condition, Between)
        else (condition.args[0] if isinstance(condition, Function) else condition.left)
    )
    if not isinstance(subject, Path):
        raise invalid("Invalid KeyConditionExpression: The key condition must name a key attribute")
    if len(subject.elements) != 1:
        raise invalid("KeyConditionExpressions cannot have conditions on nested attributes")
    return subject


def _operands(condition: Any) -> list[dict[str, Any]]:
    if isinstance(condition, Between):
        operands = [condition.low, condition.high]
    elif isinstance(condition, Function):
        operands = [condition.args[1]]
    else:
        operands = [condition.right]
    values = []
    for operand in operands:
        if not isinstance(operand, Value):
            raise invalid("Query key condition not supported")
        values.append(operand.value)
    return values


@dataclasses.dataclass(slots=True)
class KeyRange:
    """What a KeyConditionExpression selects: one partition and an optional sort-key range."""

    hash_value: Any
    op: str | None = None
    values: tuple[Any, ...] = ()


def key_range(shape: KeyShape, node: Any) -> KeyRange:
    """Check a KeyConditionExpression against the key schema and turn it into a KeyRange."""
    conditions = _key_conditions(node)
    by_name: dict[str, Any] = {}
    for condition in conditions:
        name = str(_subject(condition).elements[0])
        if name in by_name:
            raise invalid("KeyConditionExpressions must only contain one condition per key")
        by_name[name] = condition
    if shape.hash.name not in by_name:
        raise invalid(f"Query condition missed key schema element: {shape.hash.name}")
    extra = set(by_name) - set(shape.names)
    if extra:
        raise invalid("Query key condition not supported")
    hash_condition = by_name[shape.hash.name]
    if not (isinstance(hash_condition, Compare) and hash_condition.op == "="):
        raise invalid("Query key condition not supported")
    (hash_value,) = _operands(hash_condition)
    if type_of(hash_value) != shape.hash.type:
        raise invalid(
            "One or more parameter values were invalid: Condition parameter type does not match schema type"
        )
    found = KeyRange(hash_value[shape.hash.type])
    if shape.range is not None and shape.range.name in by_name:
        condition = by_name[shape.range.name]
        values = _operands(condition)
        for value in values:
            if type_of(value) != shape.range.type:
                raise invalid(
                    "One or more parameter values were invalid: Condition parameter type does not match schema type"
                )
        if isinstance(condition, Function) and shape.range.type == "N":
            raise invalid(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                "operator or function: begins_with, operand type: N"
            )
        op = (
            "BETWEEN"
            if isinstance(condition, Between)
            else ("begins_with" if isinstance(condition, Function) else condition.op)
        )
        found.op = op
        found.values = tuple(sort_value(v) for v in values)
    return found


class ReadOperations:
    """Query and Scan for DynamoDbService."""

    def __init__(self, service: DynamoDbService) -> None:
        self.service = service

    def _read_target(self, table: Table, params: dict[str, Any]) -> tuple[ItemStore, Index | None]:
        name = params.get("IndexName")
        if name is None:
            return table.store, None
        index = table.index(name)
        if index is None:
            raise invalid(f"The table does not have the specified index: {name}")
        if index.is_global and params.get("ConsistentRead"):
            raise invalid("Consistent reads are not supported on global secondary indexes")
        return index.store, index

    def _select(self, params: dict[str, Any], index: Index | None, expressions: Expressions) -> str:
        select = params.get("Select")
        if select is None:
            if expressions.projection is not None:
                return "SPECIFIC_ATTRIBUTES"
            return (
                "ALL_PROJECTED_ATTRIBUTES"
                if index is not None and index.is_global
                else "ALL_ATTRIBUTES"
            )
        if select == "SPECIFIC_ATTRIBUTES" and expressions.projection is None:
            raise invalid(
                "One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES "
                "requires a ProjectionExpression or AttributesToGet"
            )
        if select != "SPECIFIC_ATTRIBUTES" and expressions.projection is not None:
            raise invalid(f"Cannot specify the ProjectionExpression when choosing to get {select}")
        if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
            raise invalid(
                "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES "
                "is not supported for a table, only for indexes"
            )
        if (
            select == "ALL_ATTRIBUTES"
            and index is not None
            and index.is_global
            and index.projection_type != "ALL"
        ):
            raise invalid(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
                f"supported for global secondary index {index.name} because its projection type "
                "is not ALL"
            )
        return select

    def _start_key(self, table: Table, index: Index | None, params: dict[str, Any]) -> Item | None:
        start = params.get("ExclusiveStartKey")
        if start is None:
            return None
        key = clean_item(start)
        needed = set(table.shape.names) | (set(index.shape.names) if index else set())
        if set(key) != needed:
            raise invalid(
                "The provided starting key is invalid: The provided key element does not match the schema"
            )
        for name in needed:
            part = table.attribute_types.get(name)
            if part is not None and type_of(key[name]) != part:
                raise invalid(
                    "The provided starting key is invalid: The provided key element does not match the schema"
                )
        return key

    def _page(
        self,
        table: Table,
        index: Index | None,
        items: Iterator[tuple[Item, int]],
        params: dict[str, Any],
        expressions: Expressions,
        select: str,
    ) -> dict[str, Any]:
        limit = params.get("Limit")
        found: list[Item] = []
        scanned = 0
        size = 0
        last: Item | None = None
        key_names = table.shape.names + (index.shape.names if index else ())
        # A local index reads attributes it does not project from the table (AWS "fetches" them).
        fetch = index is not None and not index.is_global and index.projection_type != "ALL"
        for item, item_bytes in items:
            scanned += 1
            size += item_bytes
            if fetch and (select != "ALL_PROJECTED_ATTRIBUTES" or expressions.filter is not None):
                item = table.get(item) or item
            if expressions.filter is None or evaluate(item, expressions.filter):
                found.append(item)
            if (limit is not None and scanned >= limit) or size >= PAGE_BYTES:
                last = item
                break
        table.reads += 1
        result: dict[str, Any] = {}
        if select != "COUNT":
            paths = expressions.projection
            if select == "ALL_PROJECTED_ATTRIBUTES" and index is not None:
                found_shown = [index.project(i, table.shape.names) for i in found]
            else:
                found_shown = found
            result["Items"] = [copy_item(project(i, paths) if paths else i) for i in found_shown]
        result["Count"] = len(found)
        result["ScannedCount"] = scanned
        if last is not None:
            result["LastEvaluatedKey"] = copy_item(
                {name: last[name] for name in dict.fromkeys(key_names) if name in last}
            )
        consumed = capacity(
            table,
            read_units(size, bool(params.get("ConsistentRead"))),
            params.get("ReturnConsumedCapacity"),
            write=False,
        )
        if consumed:
            result["ConsumedCapacity"] = consumed
        return result

    def query(self, params: dict[str, Any]) -> dict[str, Any]:
        """Query: one partition, a sort-key range, in order or reversed, paged."""
        table = self.service._table(params["TableName"])
        if not params.get("KeyConditionExpression"):
            raise invalid(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
            )
        expressions = Expressions(params)
        store, index = self._read_target(table, params)
        shape = index.shape if index is not None else table.shape
        found = key_range(shape, expressions.key_condition)
        if expressions.filter is not None:
            for name in _top_names(expressions.filter):
                if name in shape.names:
                    raise invalid(
                        "Filter Expression can only contain non-primary key attributes: "
                        f"Primary key attribute: {name}"
                    )
        select = self._select(params, index, expressions)
        start = self._start_key(table, index, params)
        after = store.sort_of(start) if start is not None else None
        if start is not None and store.hash_of(start) != found.hash_value:
            raise invalid(
                "The provided starting key is outside query boundaries based on provided conditions"
            )
        self.service._admit(table)
        bounds = store.sort_bounds(found.hash_value, found.op, found.values)
        items = store.range_items(
            found.hash_value,
            bounds,
            forward=params.get("ScanIndexForward", True),
            after=after,
        )
        return self._page(table, index, items, params, expressions, select)

    def scan(self, params: dict[str, Any]) -> dict[str, Any]:
        """Scan: every item in hash order, optionally one segment of a parallel scan."""
        table = self.service._table(params["TableName"])
        expressions = Expressions(params)
        store, index = self._read_target(table, params)
        segment = params.get("Segment")
        total = params.get("TotalSegments")
        if segment is not None and total is None:
            raise invalid(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present"
            )
        if total is not None and segment is None:
            raise invalid(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present"
            )
        if segment is not None and segment >= total:
            raise invalid(
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                f"Segment: {segment} is not less than TotalSegments: {total}"
            )
        select = self._select(params, index, expressions)
        start = self._start_key(table, index, params)
        self.service._admit(table)
        items = store.scan(segment or 0, total or 1, after=start)
        return self._page(table, index, items, params, expressions, select)


def not_found() -> ServiceError:
    """The ResourceNotFoundException data-plane calls give for a missing table."""
    return ServiceError("ResourceNotFoundException", "Requested resource not found")
