"""The compiled PatternIndex agrees with a plain reference evaluator on generated patterns and events."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.patterns import PatternIndex, matches


# -- the reference evaluator: a direct reading of AWS's documented semantics -----------------
def _leaves(event: Any, prefix: str = "") -> dict[str, list[Any]]:
    """Dotted path -> leaf values; arrays add each element at the array's path."""
    found: dict[str, list[Any]] = {}

    def visit(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                visit(inner, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for inner in value:
                visit(inner, path)
        else:
            found.setdefault(path, []).append(value)

    visit(event, prefix)
    return found


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    if _is_num(a) and _is_num(b):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def _wild(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _one(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        return _same(rule, value)
    ((op, arg),) = rule.items()
    text = value if isinstance(value, str) else None
    if op == "prefix":
        if isinstance(arg, dict):
            return text is not None and text.lower().startswith(arg["equals-ignore-case"].lower())
        return text is not None and text.startswith(arg)
    if op == "suffix":
        if isinstance(arg, dict):
            return text is not None and text.lower().endswith(arg["equals-ignore-case"].lower())
        return text is not None and text.endswith(arg)
    if op == "equals-ignore-case":
        return text is not None and text.lower() == arg.lower()
    if op == "wildcard":
        return text is not None and _wild(arg, text)
    if op == "numeric":
        if not _is_num(value):
            return False
        ok = True
        for i in range(0, len(arg), 2):
            o, n = arg[i], arg[i + 1]
            ok &= {
                "=": value == n,
                "<": value < n,
                "<=": value <= n,
                ">": value > n,
                ">=": value >= n,
            }[o]
        return ok
    if op == "cidr":
        try:
            return text is not None and ipaddress.ip_address(text) in ipaddress.ip_network(
                arg, strict=False
            )
        except ValueError:
            return False
    if op == "anything-but":
        if isinstance(arg, list):
            return not any(_same(a, value) for a in arg)
        if isinstance(arg, dict):
            ((inner, want),) = arg.items()
            wants = want if isinstance(want, list) else [want]
            if text is None:
                return True
            if inner == "prefix":
                return not any(text.startswith(w) for w in wants)
            if inner == "suffix":
                return not any(text.endswith(w) for w in wants)
            if inner == "equals-ignore-case":
                return not any(text.lower() == w.lower() for w in wants)
            return not any(_wild(w, text) for w in wants)
        return not _same(arg, value)
    raise AssertionError(op)


def _field(rules: list, values: list | None) -> bool:
    for rule in rules:
        if isinstance(rule, dict) and "exists" in rule:
            if rule["exists"] == bool(values):
                return True
        elif values and any(_one(rule, v) for v in values):
            return True
    return False


def reference(pattern: dict, event: dict) -> bool:
    """Plain recursive evaluation over the raw pattern, with $or tried branch by branch."""
    leaves = _leaves(event)

    def holds(obj: dict, prefix: str) -> bool:
        for key, value in obj.items():
            if key == "$or":
                if not any(holds(option, prefix) for option in value):
                    return False
                continue
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                if not holds(value, path):
                    return False
            elif not _field(value, leaves.get(path)):
                return False
        return True

    return holds(pattern, "")


# -- generators ---------------------------------------------------------------------------
KEYS = st.sampled_from(["a", "b", "c"])
STRINGS = st.sampled_from(["", "x", "xy", "Xy", "yx", "10.0.0.7", "10.1.0.1", "a*b", "ab"])
NUMBERS = st.sampled_from([0, 1, 1.5, 10, -3, 100])
SCALARS = st.one_of(STRINGS, NUMBERS, st.booleans(), st.none())
EVENT_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=6,
)
EVENTS = st.dictionaries(KEYS, EVENT_VALUES, max_size=3)
NON_EMPTY = st.sampled_from(["x", "y", "X", "1"])
NUMERIC = st.one_of(
    st.tuples(st.sampled_from(["=", "<", "<=", ">", ">="]), NUMBERS).map(list),
    st.tuples(NUMBERS, st.sampled_from([1, 5, 20])).map(
        lambda pair: [">", pair[0], "<=", pair[0] + pair[1]]
    ),
)
MATCHERS = st.one_of(
    SCALARS,
    st.builds(lambda s: {"prefix": s}, STRINGS),
    st.builds(lambda s: {"suffix": s}, STRINGS),
    st.builds(lambda s: {"prefix": {"equals-ignore-case": s}}, STRINGS),
    st.builds(lambda s: {"suffix": {"equals-ignore-case": s}}, STRINGS),
    st.builds(lambda s: {"equals-ignore-case": s}, STRINGS),
    st.builds(lambda s: {"wildcard": s}, st.sampled_from(["x*", "*y", "a*b", "*", "x"])),
    st.builds(lambda n: {"numeric": n}, NUMERIC),
    st.builds(lambda b: {"exists": b}, st.booleans()),
    st.builds(lambda c: {"cidr": c}, st.sampled_from(["10.0.0.0/24", "10.0.0.0/8"])),
    st.builds(lambda v: {"anything-but": v}, st.one_of(STRINGS, NUMBERS)),
    st.builds(
        lambda v: {"anything-but": v}, st.lists(st.one_of(STRINGS, NUMBERS), min_size=1, max_size=3)
    ),
    st.builds(lambda s: {"anything-but": {"prefix": s}}, NON_EMPTY),
    st.builds(lambda s: {"anything-but": {"suffix": s}}, NON_EMPTY),
    st.builds(lambda s: {"anything-but": {"equals-ignore-case": s}}, NON_EMPTY),
    st.builds(lambda s: {"anything-but": {"wildcard": s}}, st.sampled_from(["x*", "*y"])),
)


def _patterns(depth: int) -> st.SearchStrategy[dict]:
    field = st.lists(MATCHERS, min_size=1, max_size=3)
    if depth == 0:
        return st.dictionaries(KEYS, field, min_size=1, max_size=2)
    nested = st.one_of(field, _patterns(depth - 1))
    plain = st.dictionaries(KEYS, nested, min_size=1, max_size=2)
    with_or = st.builds(
        lambda base, options: {**base, "$or": options},
        st.dictionaries(KEYS, field, max_size=1),
        st.lists(_patterns(depth - 1), min_size=2, max_size=2),
    )
    return st.one_of(plain, with_or)


PATTERNS = _patterns(2)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PATTERNS, min_size=1, max_size=6), st.lists(EVENTS, min_size=1, max_size=4))
def test_index_agrees_with_reference(patterns: list[dict], events: list[dict]) -> None:
    """For every event, the index returns exactly the patterns the reference says match."""
    index = PatternIndex()
    for number, pattern in enumerate(patterns):
        index.add(number, pattern)
    for event in events:
        expected = {n for n, pattern in enumerate(patterns) if reference(pattern, event)}
        assert index.matches(event) == expected


@settings(max_examples=80, deadline=None)
@given(PATTERNS, EVENTS)
def test_single_pattern_agrees_with_reference(pattern: dict, event: dict) -> None:
    """`matches(pattern, event)` gives the reference's answer."""
    assert matches(pattern, event) is reference(pattern, event)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(PATTERNS, min_size=2, max_size=6), st.lists(EVENTS, min_size=1, max_size=3), st.data()
)
def test_removal_leaves_the_others_intact(
    patterns: list[dict], events: list[dict], data: Any
) -> None:
    """Removing patterns leaves the index answering as if only the rest had been added."""
    index = PatternIndex()
    for number, pattern in enumerate(patterns):
        index.add(number, pattern)
    removed = data.draw(st.sets(st.sampled_from(range(len(patterns)))))
    for number in removed:
        assert index.remove(number)
    for event in events:
        expected = {n for n, p in enumerate(patterns) if n not in removed and reference(p, event)}
        assert index.matches(event) == expected
