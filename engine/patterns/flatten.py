"""Flatten an event into dotted paths and their leaf values, visiting only paths rules use."""

from __future__ import annotations

from collections.abc import Container
from typing import Any


def path_prefixes(paths: set[str] | frozenset[str]) -> set[str]:
    """Every dotted prefix of `paths` (for "a.b.c": "a", "a.b", "a.b.c")."""
    prefixes: set[str] = set()
    for path in paths:
        start = 0
        while True:
            dot = path.find(".", start)
            if dot < 0:
                prefixes.add(path)
                break
            prefixes.add(path[:dot])
            start = dot + 1
    return prefixes


def flatten(event: Any, wanted: Container[str] | None = None) -> dict[str, list[Any]]:
    """Path → leaf values of `event`; arrays contribute each element at the array's own path.

    Keys join with "." so `{"a": {"b": 1}}` and `{"a.b": 1}` give the same path, as AWS does.
    With `wanted` (the prefixes of the paths rules use), other subtrees are skipped.
    """
    leaves: dict[str, list[Any]] = {}
    if isinstance(event, dict):
        _walk_object(event, "", wanted, leaves)
    return leaves


def _walk_object(
    obj: dict, prefix: str, wanted: Container[str] | None, leaves: dict[str, list[Any]]
) -> None:
    for key, value in obj.items():
        path = prefix + key if not prefix else f"{prefix}.{key}"
        if wanted is not None and path not in wanted:
            continue
        _walk_value(value, path, wanted, leaves)


def _walk_value(
    value: Any, path: str, wanted: Container[str] | None, leaves: dict[str, list[Any]]
) -> None:
    if isinstance(value, dict):
        _walk_object(value, path, wanted, leaves)
    elif isinstance(value, list):
        for item in value:
            _walk_value(item, path, wanted, leaves)
    else:
        found = leaves.get(path)
        if found is None:
            leaves[path] = [value]
        else:
            found.append(value)
