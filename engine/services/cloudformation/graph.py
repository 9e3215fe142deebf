"""The dependency graph of a template's resources: Ref, Fn::GetAtt, Fn::Sub and DependsOn."""

from __future__ import annotations

from typing import Any

from engine.errors import ServiceError

from .intrinsics import _SUB_VARIABLE


def references(value: Any, names: frozenset[str] | set[str]) -> set[str]:
    """The logical ids among `names` that `value` refers to (Ref, GetAtt, Sub)."""
    found: set[str] = set()
    _collect(value, names, found)
    return found


def _collect(value: Any, names: frozenset[str] | set[str], found: set[str]) -> None:
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" and isinstance(argument, str):
                if argument in names:
                    found.add(argument)
                return
            if key == "Fn::GetAtt":
                target = argument.split(".", 1)[0] if isinstance(argument, str) else None
                if isinstance(argument, list) and argument and isinstance(argument[0], str):
                    target = argument[0]
                if target in names:
                    found.add(target)
                if isinstance(argument, list) and len(argument) > 1:
                    _collect(argument[1], names, found)
                return
            if key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else (None, {})
                if isinstance(argument, list) and argument:
                    text = argument[0]
                    variables = (
                        argument[1] if len(argument) > 1 and isinstance(argument[1], dict) else {}
                    )
                    _collect(variables, names, found)
                if isinstance(text, str):
                    for match in _SUB_VARIABLE.finditer(text):
                        name = match.group(1).strip()
                        if name.startswith("!") or name in variables:
                            continue
                        target = name.split(".", 1)[0]
                        if target in names:
                            found.add(target)
                else:
                    _collect(text, names, found)
                return
        for item in value.values():
            _collect(item, names, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, names, found)


def dependencies(resources: dict[str, dict]) -> dict[str, set[str]]:
    """logical id → the logical ids it needs first; unknown references are refused as AWS does."""
    names = frozenset(resources)
    graph: dict[str, set[str]] = {}
    missing: list[str] = []
    for logical_id, definition in resources.items():
        needs = references(definition.get("Properties"), names)
        depends_on = definition.get("DependsOn") or []
        if isinstance(depends_on, str):
            depends_on = [depends_on]
        for name in depends_on:
            if name not in names:
                missing.append(name)
            needs.add(name)
        graph[logical_id] = needs
    if missing:
        raise ServiceError(
            "ValidationError",
            "Template format error: Unresolved resource dependencies "
            f"[{', '.join(sorted(set(missing)))}] in the Resources block of the template",
        )
    check_acyclic(graph)
    return graph


def check_acyclic(graph: dict[str, set[str]]) -> list[str]:
    """A creation order for `graph`; refuses a cycle with AWS's message."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        state[start] = 1
        while stack:
            node, pending = stack[-1]
            if pending:
                child = pending.pop()
                mark = state.get(child)
                if mark == 1:
                    cycle = [name for name, _ in stack]
                    cycle = cycle[cycle.index(child) :]
                    raise ServiceError(
                        "ValidationError",
                        "Circular dependency between resources: "
                        f"[{', '.join(sorted(cycle, reverse=True))}]",
                    )
                if mark is None:
                    state[child] = 1
                    stack.append((child, sorted(graph.get(child, ()))))
                continue
            state[node] = 2
            order.append(node)
            stack.pop()
    return order


def attribute_references(value: Any, names: set[str]) -> set[tuple[str, str]]:
    """(logical id, attribute) pairs that `value` reads with Fn::GetAtt or `${X.Attr}` in Fn::Sub."""
    found: set[tuple[str, str]] = set()

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if len(item) == 1 and "Fn::GetAtt" in item:
                argument = item["Fn::GetAtt"]
                if isinstance(argument, str):
                    argument = argument.split(".", 1)
                if (
                    isinstance(argument, list)
                    and len(argument) == 2
                    and argument[0] in names
                    and isinstance(argument[1], str)
                ):
                    found.add((argument[0], argument[1]))
                return
            if len(item) == 1 and "Fn::Sub" in item:
                argument = item["Fn::Sub"]
                text = argument[0] if isinstance(argument, list) and argument else argument
                if isinstance(text, str):
                    for match in _SUB_VARIABLE.finditer(text):
                        target, _, attribute = match.group(1).strip().partition(".")
                        if attribute and target in names:
                            found.add((target, attribute))
                if isinstance(argument, list) and len(argument) > 1:
                    walk(argument[1])
                return
            for inner in item.values():
                walk(inner)
        elif isinstance(item, list):
            for inner in item:
                walk(inner)

    walk(value)
    return found
