"""Checks every item request shares: placeholders, expressions, keys and items against a table."""

from __future__ import annotations

from typing import Any

from engine.errors import ServiceError

from .evaluate import check_update_operands
from .nodes import Path, Placeholders, UpdateAction
from .parser import Parser, check_unused
from .table import Table
from .values import (
    Item,
    check_item_size,
    clean_item,
    clean_value,
    invalid,
    type_of,
    value_size,
)

#: Pre-expression parameters Pipework does not emulate, and the expression that replaces each.
LEGACY_PARAMETERS = {
    "Expected": "ConditionExpression",
    "AttributeUpdates": "UpdateExpression",
    "KeyConditions": "KeyConditionExpression",
    "QueryFilter": "FilterExpression",
    "ScanFilter": "FilterExpression",
    "ConditionalOperator": "ConditionExpression",
}
EXPRESSION_PARAMETERS = (
    "ConditionExpression",
    "KeyConditionExpression",
    "FilterExpression",
    "UpdateExpression",
    "ProjectionExpression",
)


def reject_legacy(params: dict[str, Any]) -> None:
    """Refuse the legacy (pre-expression) parameters, naming the expression to use instead."""
    for name, replacement in LEGACY_PARAMETERS.items():
        if name in params:
            raise invalid(
                f"Pipework emulates expression parameters only: use {replacement} instead of {name}"
            )
    if "AttributesToGet" in params and "ProjectionExpression" in params:
        raise invalid(
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {AttributesToGet} "
            "Expression parameters: {ProjectionExpression}"
        )


def placeholders(params: dict[str, Any]) -> Placeholders:
    """The request's ExpressionAttributeNames/Values, checked the way AWS checks them."""
    names = params.get("ExpressionAttributeNames")
    values = params.get("ExpressionAttributeValues")
    uses_expressions = any(params.get(p) for p in EXPRESSION_PARAMETERS)
    if names is not None:
        if not names:
            raise invalid("ExpressionAttributeNames must not be empty")
        if not uses_expressions:
            raise invalid("ExpressionAttributeNames can only be specified when using expressions")
        for key in names:
            if not key.startswith("#") or len(key) < 2:
                raise invalid(
                    f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"'
                )
    if values is not None:
        if not values:
            raise invalid("ExpressionAttributeValues must not be empty")
        if not uses_expressions:
            raise invalid("ExpressionAttributeValues can only be specified when using expressions")
        for key in values:
            if not key.startswith(":") or len(key) < 2:
                raise invalid(
                    f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"'
                )
    cleaned: dict[str, dict[str, Any]] = {}
    for key, value in (values or {}).items():
        try:
            cleaned[key] = clean_value(value)
        except ServiceError as error:
            raise invalid(
                f"ExpressionAttributeValues contains invalid value: {error.message} for key {key}"
            ) from None
    return Placeholders(dict(names or {}), cleaned)


class Expressions:
    """The parsed expressions of one request (any may be None)."""

    __slots__ = ("condition", "key_condition", "filter", "update", "projection", "placeholders")

    def __init__(self, params: dict[str, Any]) -> None:
        reject_legacy(params)
        found = self.placeholders = placeholders(params)
        self.condition = _parse(params, "ConditionExpression", found, "condition")
        self.key_condition = _parse(params, "KeyConditionExpression", found, "condition")
        self.filter = _parse(params, "FilterExpression", found, "condition")
        self.update: list[UpdateAction] | None = _parse(params, "UpdateExpression", found, "update")
        self.projection: list[Path] | None = _parse(
            params, "ProjectionExpression", found, "projection"
        )
        if self.projection is None and params.get("AttributesToGet"):
            self.projection = [Path((name,)) for name in params["AttributesToGet"]]
        if self.update is not None:
            check_update_operands(self.update)
        check_unused(found)


def _parse(params: dict[str, Any], name: str, found: Placeholders, how: str) -> Any:
    text = params.get(name)
    if text is None:
        return None
    return getattr(Parser(text, name, found), how)()


# -- keys and items ----------------------------------------------------------------------------
MAX_HASH_KEY_BYTES = 2048
MAX_RANGE_KEY_BYTES = 1024


def _key_size_message(table: Table, name: str, value: dict[str, Any]) -> str | None:
    """AWS's message for a partition or sort key value over its size limit, else None."""
    size = value_size(value)
    if name == table.shape.hash.name and size > MAX_HASH_KEY_BYTES:
        # AWS's own message has no space before the number.
        return (
            "One or more parameter values were invalid: Size of hashkey has exceeded the "
            f"maximum size limit of{MAX_HASH_KEY_BYTES} bytes"
        )
    if name != table.shape.hash.name and size > MAX_RANGE_KEY_BYTES:
        return (
            "One or more parameter values were invalid: Aggregated size of all range keys has "
            f"exceeded the size limit of {MAX_RANGE_KEY_BYTES} bytes"
        )
    return None


def _empty_key_message(name: str, value: dict[str, Any]) -> str | None:
    kind = type_of(value)
    if kind == "S" and value["S"] == "":
        return (
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            f"cannot contain an empty string value. Key: {name}"
        )
    if kind == "B" and value["B"] == b"":
        return (
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            f"cannot contain an empty binary value. Key: {name}"
        )
    return None


def clean_key(table: Table, key: Any) -> Item:
    """Validate a Key parameter against the table's key schema and return a private copy."""
    cleaned = clean_item(key)
    names = table.shape.names
    if set(cleaned) != set(names):
        raise invalid("The provided key element does not match the schema")
    for part in (table.shape.hash, table.shape.range):
        if part is None:
            continue
        value = cleaned[part.name]
        if type_of(value) != part.type:
            raise invalid("The provided key element does not match the schema")
        message = _empty_key_message(part.name, value) or _key_size_message(table, part.name, value)
        if message:
            raise invalid(message)
    return cleaned


def check_item_keys(table: Table, item: Item, batch: bool = False) -> int:
    """Check the item's key and index key values and its size; returns the size.

    BatchWriteItem words a missing or mistyped key as a key that does not match the schema.
    """
    for part in (table.shape.hash, table.shape.range):
        if part is None:
            continue
        value = item.get(part.name)
        if batch and (value is None or type_of(value) != part.type):
            raise invalid("The provided key element does not match the schema")
        if value is None:
            raise invalid(
                f"One or more parameter values were invalid: Missing the key {part.name} in the item"
            )
        kind = type_of(value)
        if kind != part.type:
            raise invalid(
                "One or more parameter values were invalid: Type mismatch for key "
                f"{part.name} expected: {part.type} actual: {kind}"
            )
        message = _empty_key_message(part.name, value) or _key_size_message(table, part.name, value)
        if message:
            raise invalid(message)
    for index in table.indexes():
        for part in (index.shape.hash, index.shape.range):
            if part is None or part.name in table.shape.names:
                continue
            value = item.get(part.name)
            if value is None:
                continue
            kind = type_of(value)
            if kind != part.type:
                raise invalid(
                    "One or more parameter values were invalid: Type mismatch for Index Key "
                    f"{part.name} Expected: {part.type} Actual: {kind} IndexName: {index.name}"
                )
            if _empty_key_message(part.name, value):
                raise invalid(
                    "One or more parameter values are not valid. A value specified for a "
                    "secondary index key is not supported. The AttributeValue for a key attribute "
                    f"cannot contain an empty {'string' if kind == 'S' else 'binary'} value. "
                    f"IndexName: {index.name}, IndexKey: {part.name}"
                )
    return check_item_size(item)


def key_of(table: Table, item: Item) -> Item:
    """The primary key attributes of a full item."""
    return {name: item[name] for name in table.shape.names}


def check_return_values(value: str | None, allowed: tuple[str, ...]) -> str:
    """ReturnValues must be one the operation supports."""
    chosen = value or "NONE"
    if chosen not in allowed:
        raise invalid("Return values set to invalid value")
    return chosen
