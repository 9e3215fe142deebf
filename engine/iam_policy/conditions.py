"""IAM condition operators: String*, Numeric*, Date*, Bool, Binary, IP, Arn*, Null, …IfExists,
ForAnyValue/ForAllValues — as AWS documents them (reference_policies_elements_condition_operators).
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .matching import MissingVariable, arn_like, like, substitute

Context = dict[str, list[str]]
Compare = Callable[[str, str], bool]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date(text: str) -> float | None:
    """A date as epoch seconds: ISO 8601 (with or without time) or epoch seconds."""
    number = _number(text)
    if number is not None:
        return number
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _numeric(test: Callable[[float, float], bool]) -> Compare:
    def compare(actual: str, wanted: str) -> bool:
        a, w = _number(actual), _number(wanted)
        return a is not None and w is not None and test(a, w)

    return compare


def _dated(test: Callable[[float, float], bool]) -> Compare:
    def compare(actual: str, wanted: str) -> bool:
        a, w = _date(actual), _date(wanted)
        return a is not None and w is not None and test(a, w)

    return compare


def _ip(actual: str, wanted: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(wanted, strict=False)
    except ValueError:
        return False


def _binary(actual: str, wanted: str) -> bool:
    try:
        return base64.b64decode(actual) == base64.b64decode(wanted)
    except ValueError:
        return False


#: Positive operator → (compare(context value, policy value), policy values take variables).
_POSITIVE: dict[str, tuple[Compare, bool]] = {
    "StringEquals": (lambda a, w: a == w, True),
    "StringEqualsIgnoreCase": (lambda a, w: a.lower() == w.lower(), True),
    "StringLike": (lambda a, w: like(w, a), True),
    "NumericEquals": (_numeric(lambda a, w: a == w), False),
    "NumericLessThan": (_numeric(lambda a, w: a < w), False),
    "NumericLessThanEquals": (_numeric(lambda a, w: a <= w), False),
    "NumericGreaterThan": (_numeric(lambda a, w: a > w), False),
    "NumericGreaterThanEquals": (_numeric(lambda a, w: a >= w), False),
    "DateEquals": (_dated(lambda a, w: a == w), False),
    "DateLessThan": (_dated(lambda a, w: a < w), False),
    "DateLessThanEquals": (_dated(lambda a, w: a <= w), False),
    "DateGreaterThan": (_dated(lambda a, w: a > w), False),
    "DateGreaterThanEquals": (_dated(lambda a, w: a >= w), False),
    "Bool": (lambda a, w: a.lower() == w.lower(), True),
    "BinaryEquals": (_binary, False),
    "IpAddress": (_ip, False),
    "ArnEquals": (lambda a, w: arn_like(w, a), True),
    "ArnLike": (lambda a, w: arn_like(w, a), True),
}

#: Negated operator → its positive counterpart (true when no policy value matches).
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _as_strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return ["true" if v is True else "false" if v is False else str(v) for v in values]


def _resolve(wanted: list[str], variables: bool, context: Context) -> list[str]:
    if not variables:
        return wanted
    resolved = []
    for value in wanted:
        try:
            resolved.append(substitute(value, context) if "${" in value else value)
        except MissingVariable:
            continue  # a value whose variable is missing matches nothing
    return resolved


def condition_holds(
    operator: str, key: str, policy_value: Any, context: Context, *, variables: bool = True
) -> bool:
    """Whether one `operator: {key: value(s)}` entry holds for the request context."""
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists") and name != "Null"
    if if_exists:
        name = name[: -len("IfExists")]
    actual = context.get(key.lower())
    wanted = _as_strings(policy_value)
    if name == "Null":
        absent = not actual
        return any((w.lower() == "true") == absent for w in wanted)
    negated = name in _NEGATED
    compare, takes_variables = _POSITIVE[_NEGATED.get(name, name)]
    wanted = _resolve(wanted, variables and takes_variables, context)

    def matches(value: str) -> bool:
        hit = any(compare(value, w) for w in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(matches(v) for v in actual or ())
    if qualifier == "ForAnyValue":
        return any(matches(v) for v in actual or ())
    if not actual:
        return if_exists or negated
    if negated:
        # Negated single-valued operators: no context value may match any policy value.
        return all(matches(v) for v in actual)
    return any(matches(v) for v in actual)


def block_holds(condition: dict[str, dict[str, Any]], context: Context, variables: bool) -> bool:
    """A statement's Condition: every operator and every key in it must hold (AND)."""
    for operator, entries in condition.items():
        for key, value in entries.items():
            if not condition_holds(operator, key, value, context, variables=variables):
                return False
    return True


def condition_operator_known(operator: str) -> bool:
    """Whether `operator` exists (with any ForAnyValue:/ForAllValues: prefix, IfExists suffix)."""
    qualifier, _, name = operator.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        return False
    if name.endswith("IfExists"):
        name = name[: -len("IfExists")]
    return name == "Null" or name in _POSITIVE or name in _NEGATED
