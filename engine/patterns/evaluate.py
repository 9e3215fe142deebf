"""Match one compiled pattern against one event (TestEventPattern, Pipes filters, FilterCriteria)."""

from __future__ import annotations

from typing import Any

from .compiler import Branch, CompiledPattern
from .flatten import flatten, path_prefixes
from .matchers import EXISTS, Matcher, test_value


def field_matches(matchers: tuple[Matcher, ...], values: list[Any] | None) -> bool:
    """Whether a field's leaf values (None: absent) satisfy any of its matchers."""
    for matcher in matchers:
        if matcher.kind == EXISTS:
            if matcher.value == bool(values):
                return True
        elif values:
            for value in values:
                if test_value(matcher, value):
                    return True
    return False


def branch_matches(branch: Branch, leaves: dict[str, list[Any]]) -> bool:
    """Whether every field of one branch is satisfied by the flattened event."""
    return all(field_matches(field.matchers, leaves.get(field.path)) for field in branch)


def compiled_matches(pattern: CompiledPattern, event: Any) -> bool:
    """Whether `event` (a parsed JSON object) matches the compiled pattern."""
    leaves = flatten(event, path_prefixes(pattern.paths))
    return any(branch_matches(branch, leaves) for branch in pattern.branches)
