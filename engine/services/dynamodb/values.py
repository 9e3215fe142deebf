"""Typed AttributeValues: validation, canonical numbers, copies, ordering, equality and size."""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation, Overflow, Underflow
from typing import Any

from engine.errors import ServiceError

#: One item in AWS's wire form: attribute name → AttributeValue ({"S": "x"}, {"N": "1"} …).
Item = dict[str, dict[str, Any]]

TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
SET_TYPES = {"SS": "S", "NS": "N", "BS": "B"}
_SET_WORDS = {"SS": "string", "NS": "number", "BS": "binary"}

MAX_ITEM_BYTES = 400 * 1024
#: DynamoDB numbers: 38 significant digits, magnitudes 1E-130 .. 9.99…E+125.
NUMBER_CONTEXT = Context(
    prec=38, Emax=125, Emin=-130, traps=[InvalidOperation, Overflow, Underflow]
)
_MAX_MAGNITUDE = Decimal("9.9999999999999999999999999999999999999E+125")
_MIN_MAGNITUDE = Decimal("1E-130")
_WIDE = Context(prec=200)
#: What DynamoDB reads as a number (Python's Decimal also takes "1_000", "NaN", "Infinity").
_NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
#: Integers already in canonical form: no sign but minus, no leading zero, ≤ 38 digits.
_CANONICAL_INTEGER = re.compile(r"-?[1-9]\d{0,37}|0")


def invalid(message: str) -> ServiceError:
    """A ValidationException with AWS's message."""
    return ServiceError("ValidationException", message)


def canonical_number(text: Any) -> str:
    """AWS's canonical spelling of a DynamoDB number, or a ValidationException."""
    if not isinstance(text, str):
        raise invalid("A value provided cannot be converted into a number")
    if _CANONICAL_INTEGER.fullmatch(text):
        return text
    if not _NUMBER_TEXT.fullmatch(text):
        raise invalid("A value provided cannot be converted into a number")
    return format_number(Decimal(text))


def format_number(number: Decimal) -> str:
    """Check a Decimal against DynamoDB's limits and spell it the way DynamoDB returns it."""
    if number.is_zero():
        return "0"
    digits = number.normalize(_WIDE)
    if len(digits.as_tuple().digits) > 38:
        raise invalid("Attempting to store more than 38 significant digits in a Number")
    magnitude = abs(digits)
    if magnitude > _MAX_MAGNITUDE:
        raise invalid(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        )
    if magnitude < _MIN_MAGNITUDE:
        raise invalid(
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        )
    text = format(digits, "f")
    return text


#: Documents nest at most 32 levels (DynamoDB's documented limit).
MAX_NESTING = 32


def clean_value(value: Any, depth: int = 1) -> dict[str, Any]:
    """Validate one caller AttributeValue and return a canonical private copy."""
    if not isinstance(value, dict) or not value:
        raise invalid(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        )
    if len(value) > 1:
        raise invalid(
            "Supplied AttributeValue has more than one datatypes set, "
            "must contain exactly one of the supported datatypes"
        )
    ((kind, inner),) = value.items()
    if kind == "S":
        if not isinstance(inner, str):
            raise invalid("One or more parameter values were invalid: S must be a string")
        return {"S": inner}
    if kind == "N":
        return {"N": canonical_number(inner)}
    if kind == "B":
        return {"B": _bytes(inner)}
    if kind == "BOOL":
        return {"BOOL": bool(inner)}
    if kind == "NULL":
        if inner is not True:
            raise invalid(
                "One or more parameter values were invalid: "
                "Null attribute value types must have the value of true"
            )
        return {"NULL": True}
    if kind in SET_TYPES:
        if not isinstance(inner, (list, tuple)) or not inner:
            raise invalid(
                f"One or more parameter values were invalid: An {_SET_WORDS[kind]} set  may not be empty"
            )
        if kind == "SS":
            members = [str(v) for v in inner]
        elif kind == "NS":
            members = [canonical_number(v) for v in inner]
        else:
            members = [_bytes(v) for v in inner]
        if len(set(members)) != len(members):
            shown = ", ".join(str(m) for m in inner)
            raise invalid(
                f"One or more parameter values were invalid: Input collection [{shown}] "
                "contains duplicates."
            )
        return {kind: members}
    if kind in ("M", "L") and depth > MAX_NESTING:
        raise invalid("Nesting Levels have exceeded supported limits")
    if kind == "M":
        if not isinstance(inner, dict):
            raise invalid("One or more parameter values were invalid: M must be a map")
        return {"M": {str(k): clean_value(v, depth + 1) for k, v in inner.items()}}
    if kind == "L":
        if not isinstance(inner, (list, tuple)):
            raise invalid("One or more parameter values were invalid: L must be a list")
        return {"L": [clean_value(v, depth + 1) for v in inner]}
    raise invalid(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    )


def clean_item(item: Any) -> Item:
    """Validate and copy a whole caller item (attribute name → AttributeValue)."""
    if not isinstance(item, dict):
        raise invalid("One or more parameter values were invalid: Item must be a map")
    return {str(name): clean_value(value) for name, value in item.items()}


def _bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    raise invalid("One or more parameter values were invalid: B must be binary")


def copy_value(value: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a stored AttributeValue (scalars are immutable and shared)."""
    ((kind, inner),) = value.items()
    if kind == "M":
        return {"M": {k: copy_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [copy_value(v) for v in inner]}
    if kind in SET_TYPES:
        return {kind: list(inner)}
    return {kind: inner}


def copy_item(item: Item) -> Item:
    """A deep copy of a stored item, safe to hand to a caller."""
    return {name: copy_value(value) for name, value in item.items()}


def type_of(value: dict[str, Any]) -> str:
    """The AttributeValue's type letter(s): S, N, B, SS, NS, BS, M, L, NULL or BOOL."""
    return next(iter(value))


def number(value: dict[str, Any]) -> Decimal:
    """The Decimal inside an N AttributeValue."""
    return Decimal(value["N"])


def sort_value(value: dict[str, Any]) -> Any:
    """A Python value that orders as DynamoDB orders key values (S by code point, N, B by bytes)."""
    kind, inner = next(iter(value.items()))
    if kind == "N":
        return Decimal(inner)
    return inner


def values_equal(left: dict[str, Any], right: dict[str, Any]) -> bool:
    """DynamoDB equality: same type and same value (sets unordered, numbers numerically)."""
    kind = type_of(left)
    if kind != type_of(right):
        return False
    a, b = left[kind], right[kind]
    if kind == "N":
        return Decimal(a) == Decimal(b)
    if kind == "NS":
        return {Decimal(x) for x in a} == {Decimal(x) for x in b}
    if kind in ("SS", "BS"):
        return set(a) == set(b)
    if kind == "M":
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if kind == "L":
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def items_equal(left: Item, right: Item) -> bool:
    """Whether two items hold the same attributes with equal values."""
    return left.keys() == right.keys() and all(values_equal(left[k], right[k]) for k in left)


def value_size(value: dict[str, Any]) -> int:
    """Approximate bytes DynamoDB counts for one AttributeValue (its documented sizing rules)."""
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode()) for v in inner)
    if kind == "NS":
        return sum(_number_size(v) for v in inner)
    if kind == "BS":
        return sum(len(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in inner.items())
    return 3 + sum(value_size(v) + 1 for v in inner)


def _number_size(text: str) -> int:
    significant = len(text.lstrip("-").replace(".", "").strip("0")) or 1
    return (significant + 1) // 2 + 1


def item_size(item: Item) -> int:
    """The item's size as DynamoDB counts it: attribute name bytes plus value sizes."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def check_item_size(item: Item) -> int:
    """The item's size; a ValidationException when it is over DynamoDB's 400 KB limit."""
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise invalid("Item size has exceeded the maximum allowed size")
    return size


def show_value(value: dict[str, Any]) -> str:
    """AWS's spelling of an AttributeValue in messages: {N:5}, {S:abc}."""
    kind, inner = next(iter(value.items()))
    return f"{{{kind}:{inner}}}"
