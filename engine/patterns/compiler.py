"""Check a pattern's grammar and compile it into branches of field conditions.

A pattern is a conjunction of fields (dotted paths, nested objects joined with "."); each field
is a disjunction of matchers; `$or` splits the pattern into alternative branches (disjunctive
normal form). Error texts are the ones AWS returns (event-ruler's wording).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from . import matchers as m
from .matchers import Matcher, value_key

EVENTBRIDGE = "eventbridge"
SNS = "sns"
DIALECTS = (EVENTBRIDGE, SNS)

#: Wildcard patterns with more `*` than this are refused as too complex (see docs/services/events.md).
MAX_WILDCARDS = 5
_NUMERIC_OPERATORS = ("=", "<", "<=", ">", ">=")


class PatternError(ValueError):
    """A pattern broke the grammar; `str(error)` is AWS's reason."""


@dataclass(frozen=True, slots=True)
class Field:
    """One condition of a branch: the event value at `path` must satisfy one of `matchers`."""

    path: str
    matchers: tuple[Matcher, ...]
    depth: int  # how deeply the policy nests the key (SNS counts it in its complexity)


Branch = tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    """A pattern as alternative branches, each a conjunction of fields in `_field_order`."""

    branches: tuple[Branch, ...]
    paths: frozenset[str]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value: Any) -> str:
    """A JSON value as Jackson prints it in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compile_pattern(pattern: Any, dialect: str = EVENTBRIDGE) -> CompiledPattern:
    """Validate a parsed pattern and compile it; raise PatternError with AWS's reason."""
    if not isinstance(pattern, dict):
        raise PatternError("Filter is not an object")
    alternatives = _compile_object(pattern, "", 1, dialect)
    branches = tuple(tuple(sorted(fields, key=_field_order)) for fields in alternatives)
    paths = frozenset(f.path for branch in branches for f in branch)
    return CompiledPattern(branches, paths)


_HASHED = frozenset({m.EXACT, m.PREFIX, m.PREFIX_IC, m.SUFFIX, m.SUFFIX_IC, m.EQUALS_IC})


def field_rank(field: Field) -> int:
    """How cheaply a field narrows candidates: 0 exact values … 3 conditions on absence.

    Exact-value fields are hash lookups, so automaton chains start with them; fields whose
    operators must be scanned, or that can match a missing value, come last.
    """
    kinds = {matcher.kind for matcher in field.matchers}
    if kinds == {m.EXACT}:
        return 0
    if kinds <= _HASHED:
        return 1
    if m.EXISTS in kinds:
        return 3
    return 2


def _field_order(field: Field) -> tuple[int, str]:
    return field_rank(field), field.path


def _compile_object(obj: dict, prefix: str, depth: int, dialect: str) -> list[list[Field]]:
    alternatives: list[list[Field]] = [[]]
    for key, value in obj.items():
        path = f"{prefix}.{key}" if prefix else key
        if (
            key == "$or"
            and isinstance(value, list)
            and value
            and all(isinstance(item, dict) for item in value)
        ):
            options: list[list[Field]] = []
            for item in value:
                options.extend(_compile_object(item, prefix, depth, dialect))
            alternatives = [a + o for a in alternatives for o in options]
        elif isinstance(value, dict):
            nested = _compile_object(value, path, depth + 1, dialect)
            alternatives = [a + n for a in alternatives for n in nested]
        elif isinstance(value, list):
            field = Field(path, _compile_list(value, dialect), depth)
            for alternative in alternatives:
                alternative.append(field)
        else:
            raise PatternError(f'"{key}" must be an object or an array')
    return alternatives


def _compile_list(values: list, dialect: str) -> tuple[Matcher, ...]:
    if not values:
        raise PatternError("Empty arrays are not allowed")
    compiled: list[Matcher] = []
    for value in values:
        if isinstance(value, list):
            raise PatternError("Match value must be String, number, true, false, or null")
        if isinstance(value, dict):
            compiled.append(_compile_operator(value, dialect))
        else:
            compiled.append(Matcher(m.EXACT, value_key(value)))
    return tuple(dict.fromkeys(compiled))


def _compile_operator(expression: dict, dialect: str) -> Matcher:
    if len(expression) != 1:
        if not expression:
            raise PatternError("Empty objects are not allowed")
        raise PatternError("Only one key allowed in match expression")
    ((operator, argument),) = expression.items()
    if operator in ("prefix", "suffix"):
        return _compile_prefix_suffix(operator, argument)
    if operator == "equals-ignore-case":
        if not isinstance(argument, str):
            raise PatternError("equals-ignore-case match pattern must be a string")
        return Matcher(m.EQUALS_IC, argument.lower())
    if operator == "wildcard" and dialect == EVENTBRIDGE:
        if not isinstance(argument, str):
            raise PatternError("wildcard match pattern must be a string")
        _check_wildcard(argument)
        return Matcher(m.WILDCARD, argument)
    if operator == "anything-but":
        return _compile_anything_but(argument, dialect)
    if operator == "numeric":
        return Matcher(m.NUMERIC, _compile_numeric(argument))
    if operator == "exists":
        if not isinstance(argument, bool):
            raise PatternError("exists match pattern must be either true or false.")
        return Matcher(m.EXISTS, argument)
    if operator == "cidr":
        return Matcher(m.CIDR, _compile_cidr(argument))
    raise PatternError(f"Unrecognized match type {operator}")


def _compile_prefix_suffix(operator: str, argument: Any) -> Matcher:
    plain, folded = (m.PREFIX, m.PREFIX_IC) if operator == "prefix" else (m.SUFFIX, m.SUFFIX_IC)
    if isinstance(argument, str):
        return Matcher(plain, argument)
    if (
        isinstance(argument, dict)
        and list(argument) == ["equals-ignore-case"]
        and isinstance(argument["equals-ignore-case"], str)
    ):
        return Matcher(folded, argument["equals-ignore-case"].lower())
    raise PatternError(f"{operator} match pattern must be a string")


def _check_wildcard(text: str) -> None:
    stars = 0
    previous_star = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in "*\\":
            previous_star = False
            index += 2
            continue
        if char == "*":
            if previous_star:
                raise PatternError(f"Consecutive wildcard characters at pos {index}")
            stars += 1
            previous_star = True
        else:
            previous_star = False
        index += 1
    if stars > MAX_WILDCARDS:
        raise PatternError(
            "Rule is too complex - try using fewer wildcard characters or fewer repeating "
            "character sequences after a wildcard character"
        )


_BUT_SHAPE = "Value of anything-but must be an array or single string/number value."


def _compile_anything_but(argument: Any, dialect: str) -> Matcher:
    if isinstance(argument, str) or _is_number(argument):
        return Matcher(m.BUT, frozenset({value_key(argument)}))
    if isinstance(argument, list):
        if not argument:
            raise PatternError("Empty arrays are not allowed")
        if not all(isinstance(v, str) or _is_number(v) for v in argument):
            raise PatternError("Inside anything but list, start|null|boolean is not supported.")
        return Matcher(m.BUT, frozenset(value_key(v) for v in argument))
    if not isinstance(argument, dict):
        raise PatternError(_BUT_SHAPE)
    if len(argument) != 1:
        raise PatternError("Only one key allowed in match expression")
    ((operator, value),) = argument.items()
    supported = (
        ("prefix",)
        if dialect == SNS
        else (
            "prefix",
            "suffix",
            "wildcard",
            "equals-ignore-case",
        )
    )
    if operator not in supported:
        raise PatternError(f"Unsupported anything-but pattern: {operator}")
    if operator == "equals-ignore-case":
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(v, str) for v in items):
            raise PatternError(
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
            )
        return Matcher(m.BUT_IC, frozenset(v.lower() for v in items))
    if isinstance(value, dict):
        raise PatternError(_BUT_SHAPE)
    items = value if isinstance(value, list) and dialect == EVENTBRIDGE else [value]
    if operator == "wildcard":
        if not items or not all(isinstance(v, str) for v in items):
            raise PatternError("wildcard match pattern must be a string")
        for item in items:
            _check_wildcard(item)
        return Matcher(m.BUT_WILDCARD, tuple(items))
    if not items or not all(isinstance(v, str) for v in items):
        label = "prefix" if dialect == SNS else "prefix/suffix"
        raise PatternError(f"{label} match pattern must be a string")
    if any(v == "" for v in items):
        raise PatternError("Null prefix/suffix not allowed")
    kind = m.BUT_PREFIX if operator == "prefix" else m.BUT_SUFFIX
    return Matcher(kind, tuple(items))


def _operator_name(operator: str) -> str:
    return "equals" if operator == "=" else operator


def _compile_numeric(terms: Any) -> tuple:
    if not isinstance(terms, list):
        raise PatternError("Value of numeric must be an array.")
    if not terms:
        raise PatternError("Invalid member in numeric match: ]")
    first = terms[0]
    if not isinstance(first, str):
        raise PatternError(f"Invalid member in numeric match: {_show(first)}")
    if first not in _NUMERIC_OPERATORS:
        raise PatternError(f"Unrecognized numeric range operator: {first}")
    if len(terms) < 2 or not _is_number(terms[1]):
        raise PatternError(f"Value of {_operator_name(first)} must be numeric")
    number = float(terms[1])
    if first == "=":
        if len(terms) > 2:
            raise PatternError("Too many elements in numeric expression")
        return (number, True, number, True)
    if first in ("<", "<="):
        if len(terms) > 2:
            raise PatternError("Too many elements in numeric expression")
        return (None, False, number, first == "<=")
    if len(terms) == 2:
        return (number, first == ">=", None, False)
    second = terms[2]
    if not isinstance(second, str):
        raise PatternError(f"Bad value in numeric range: {_show(second)}")
    if second not in ("<", "<="):
        raise PatternError(f"Bad numeric range operator: {second}")
    if len(terms) < 4 or not _is_number(terms[3]):
        raise PatternError(f"Value of {second} must be numeric")
    if len(terms) > 4:
        raise PatternError("Too many terms in numeric range expression")
    top = float(terms[3])
    if number >= top:
        raise PatternError("Bottom must be less than top")
    return (number, first == ">=", top, second == "<=")


def _compile_cidr(argument: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if not isinstance(argument, str):
        # AWS's own wording for this case names prefix, not cidr.
        raise PatternError("prefix match pattern must be a string")
    if argument.count("/") != 1:
        raise PatternError("Malformed CIDR, one '/' required")
    address_text, bits_text = argument.split("/")
    if not bits_text.isdigit():
        raise PatternError("Malformed CIDR, mask bits must be an integer")
    try:
        address = ipaddress.ip_address(address_text)
    except ValueError:
        raise PatternError(f"Nonstandard IP address: {address_text}") from None
    bits = int(bits_text)
    if bits > address.max_prefixlen:
        raise PatternError(
            f"Malformed CIDR, mask bits must be between 0 and {address.max_prefixlen}"
        )
    return ipaddress.ip_network(f"{address}/{bits}", strict=False)
