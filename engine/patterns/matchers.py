"""One condition on one event value (exact, prefix, numeric range …) and how it is tested."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


class Literal:
    """A JSON literal (true, false, null) as a dictionary key distinct from 1, 0 and strings."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


TRUE = Literal("true")
FALSE = Literal("false")
NULL = Literal("null")


def value_key(value: Any) -> Any:
    """The key a JSON leaf value is indexed under: numbers as floats, literals as sentinels."""
    if value is None:
        return NULL
    if value is True:
        return TRUE
    if value is False:
        return FALSE
    if isinstance(value, (int, float)):
        return float(value)
    return value


# Matcher kinds. "exists" is a field-level condition; every other kind tests one leaf value.
EXACT = "exact"
PREFIX = "prefix"
PREFIX_IC = "prefix-ignore-case"
SUFFIX = "suffix"
SUFFIX_IC = "suffix-ignore-case"
EQUALS_IC = "equals-ignore-case"
WILDCARD = "wildcard"
NUMERIC = "numeric"
CIDR = "cidr"
EXISTS = "exists"
BUT = "anything-but"
BUT_IC = "anything-but-ignore-case"
BUT_PREFIX = "anything-but-prefix"
BUT_SUFFIX = "anything-but-suffix"
BUT_WILDCARD = "anything-but-wildcard"


@dataclass(frozen=True, slots=True)
class Matcher:
    """A compiled condition: `kind` plus a hashable `value` whose form depends on the kind.

    exact: a value key; prefix/suffix/equals-ignore-case: a string (lower-cased for *-ignore-case);
    wildcard: the pattern text; numeric: (low, low_inclusive, high, high_inclusive) with None for
    an open end; cidr: an ip_network; exists: bool; anything-but: frozenset of value keys;
    anything-but-ignore-case: frozenset of lower-cased strings; anything-but-prefix/suffix/
    wildcard: tuple of strings.
    """

    kind: str
    value: Any


@lru_cache(maxsize=4096)
def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """The regex for an event-ruler wildcard: `*` is any run of characters, `\\*` a literal star."""
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern) and pattern[index + 1] in "*\\":
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


@lru_cache(maxsize=4096)
def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in `text`, or None if it is not a standard IPv4/IPv6 address."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def in_range(number: float, bounds: tuple) -> bool:
    """Whether `number` lies within numeric `bounds` (low, low_inclusive, high, high_inclusive)."""
    low, low_inclusive, high, high_inclusive = bounds
    if low is not None and (number < low or (number == low and not low_inclusive)):
        return False
    return not (high is not None and (number > high or (number == high and not high_inclusive)))


def test_value(matcher: Matcher, value: Any) -> bool:
    """Whether one leaf value of the event satisfies `matcher` (never called for exists)."""
    kind = matcher.kind
    want = matcher.value
    is_string = isinstance(value, str)
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == EXACT:
        return value_key(value) == want
    if kind == PREFIX:
        return is_string and value.startswith(want)
    if kind == PREFIX_IC:
        return is_string and value.lower().startswith(want)
    if kind == SUFFIX:
        return is_string and value.endswith(want)
    if kind == SUFFIX_IC:
        return is_string and value.lower().endswith(want)
    if kind == EQUALS_IC:
        return is_string and value.lower() == want
    if kind == WILDCARD:
        return is_string and wildcard_regex(want).fullmatch(value) is not None
    if kind == NUMERIC:
        return is_number and in_range(float(value), want)
    if kind == CIDR:
        address = parse_ip(value) if is_string else None
        return address is not None and address.version == want.version and address in want
    if kind == BUT:
        return value_key(value) not in want
    if kind == BUT_IC:
        return not is_string or value.lower() not in want
    if kind == BUT_PREFIX:
        return not is_string or not any(value.startswith(p) for p in want)
    if kind == BUT_SUFFIX:
        return not is_string or not any(value.endswith(s) for s in want)
    if kind == BUT_WILDCARD:
        return not is_string or not any(wildcard_regex(w).fullmatch(value) for w in want)
    raise AssertionError(f"matcher kind {kind!r} tests no single value")
