"""Choice rules in JSONPath mode: every comparison operator, And/Or/Not."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .timestamps import parse_timestamp

if TYPE_CHECKING:
    from .payload import Evaluator

_MISSING = object()


def evaluate_rule(rule: dict[str, Any], value: Any, ev: Evaluator) -> bool:
    """Whether a choice rule (or a nested boolean expression) holds for `value`."""
    if "And" in rule:
        return all(evaluate_rule(sub, value, ev) for sub in rule["And"])
    if "Or" in rule:
        return any(evaluate_rule(sub, value, ev) for sub in rule["Or"])
    if "Not" in rule:
        return not evaluate_rule(rule["Not"], value, ev)
    variable_path = rule["Variable"]
    for operator, expected in rule.items():
        if operator in ("Variable", "Next", "Assign", "Comment", "Output"):
            continue
        if operator == "IsPresent":
            return _present(variable_path, value, ev) == expected
        actual = _resolve(variable_path, value, ev)
        if operator.endswith("Path"):
            expected = _resolve(expected, value, ev)
            operator = operator[:-4]
        return _compare(operator, actual, expected)
    return False


def _present(path: str, value: Any, ev: Evaluator) -> bool:
    from .errors import Failure

    try:
        _resolve(path, value, ev)
    except Failure:
        return False
    return True


def _resolve(path: str, value: Any, ev: Evaluator) -> Any:
    if path.startswith("$$"):
        return ev.path(path, value)
    if path.startswith("$") and not path.startswith(("$.", "$[")) and path != "$":
        return ev.variable(path)
    return ev.path(path, value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _compare(operator: str, actual: Any, expected: Any) -> bool:
    if operator == "IsNull":
        return (actual is None) == expected
    if operator == "IsNumeric":
        return _number(actual) == expected
    if operator == "IsString":
        return isinstance(actual, str) == expected
    if operator == "IsBoolean":
        return isinstance(actual, bool) == expected
    if operator == "IsTimestamp":
        return (isinstance(actual, str) and parse_timestamp(actual) is not None) == expected
    if operator == "BooleanEquals":
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if operator == "StringMatches":
        return (
            isinstance(actual, str)
            and isinstance(expected, str)
            and _wildcard(expected).fullmatch(actual) is not None
        )
    if operator.startswith("String"):
        if not isinstance(actual, str) or not isinstance(expected, str):
            return False
        return _order(operator[6:], actual, expected)
    if operator.startswith("Numeric"):
        if not _number(actual) or not _number(expected):
            return False
        return _order(operator[7:], actual, expected)
    if operator.startswith("Timestamp"):
        left = parse_timestamp(actual) if isinstance(actual, str) else None
        right = parse_timestamp(expected) if isinstance(expected, str) else None
        if left is None or right is None:
            return False
        return _order(operator[9:], left, right)
    return False


def _order(relation: str, left: Any, right: Any) -> bool:
    if relation == "Equals":
        return left == right
    if relation == "LessThan":
        return left < right
    if relation == "GreaterThan":
        return left > right
    if relation == "LessThanEquals":
        return left <= right
    return left >= right


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """StringMatches: `*` matches anything; `\\*` and `\\\\` are literal."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)
