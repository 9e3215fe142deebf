"""Change sets: what an update would add, modify (and whether it replaces) and remove."""

from __future__ import annotations

from typing import Any

from .deployer import included_resources, needs_replacement, replacement_kind
from .graph import attribute_references, references
from .intrinsics import KNOWN_AFTER_APPLY, Resolver, Scope
from .models import Change, StackResource


def _contains_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return KNOWN_AFTER_APPLY in value
    if isinstance(value, dict):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v) for v in value)
    return False


def plan_changes(
    template: dict[str, Any],
    scope: Scope,
    current: dict[str, StackResource],
    changed_parameters: set[str],
) -> list[Change]:
    """The resource changes that applying `template` to a stack with `current` resources makes."""
    resources = included_resources(template, scope)
    resolver = Resolver(scope)
    changes: list[Change] = []
    replaced: set[str] = set()
    modified: dict[str, Change] = {}
    for logical_id, definition in resources.items():
        kind = definition.get("Type", "")
        after = resolver.resolve(definition.get("Properties") or {})
        old = current.get(logical_id)
        if old is None or not old.physical_id:
            changes.append(Change("Add", logical_id, kind, after=after))
            continue
        if old.type != kind:
            change = Change("Modify", logical_id, kind, old.physical_id, "True", ["Properties"])
            changes.append(change)
            replaced.add(logical_id)
            continue
        change = _modification(logical_id, kind, old, after, definition, changed_parameters)
        if change is not None:
            changes.append(change)
            modified[logical_id] = change
            if change.replacement == "True":
                replaced.add(logical_id)
    # A resource that reads a replaced resource's Ref or attributes changes with it.
    for logical_id, definition in resources.items():
        old = current.get(logical_id)
        if old is None or logical_id in replaced:
            continue
        causes = references(definition.get("Properties"), replaced)
        if not causes:
            continue
        change = modified.get(logical_id)
        if change is None:
            change = Change(
                "Modify", logical_id, definition["Type"], old.physical_id, "False", ["Properties"]
            )
            changes.append(change)
        for cause in sorted(causes):
            for name, value in (definition.get("Properties") or {}).items():
                if cause in references(value, {cause}):
                    kind = replacement_kind(definition["Type"], name)
                    change.details.append(
                        {
                            "Target": {
                                "Attribute": "Properties",
                                "Name": name,
                                "RequiresRecreation": kind,
                            },
                            "Evaluation": "Dynamic",
                            "ChangeSource": "ResourceReference",
                            "CausingEntity": cause,
                        }
                    )
                    if kind != "Never" and change.replacement == "False":
                        change.replacement = "Conditional"
    _attribute_changes(resources, current, replaced, modified, changes)
    for logical_id, old in current.items():
        if logical_id not in resources and old.physical_id:
            changes.append(
                Change("Remove", logical_id, old.type, old.physical_id, before=old.properties)
            )
    return changes


def _modification(
    logical_id: str,
    kind: str,
    old: StackResource,
    after: dict[str, Any],
    definition: dict[str, Any],
    changed_parameters: set[str],
) -> Change | None:
    before = old.properties
    names = sorted(set(before) | set(after))
    details = []
    scope: list[str] = []
    replacement = "False"
    raw = definition.get("Properties") or {}
    for name in names:
        if before.get(name) == after.get(name):
            continue
        if _contains_unknown(after.get(name)):
            continue  # decided by the ResourceReference pass
        recreation = replacement_kind(kind, name)
        attribute = "Tags" if name == "Tags" else "Properties"
        target: dict[str, Any] = {"Attribute": attribute, "RequiresRecreation": recreation}
        if attribute == "Properties":
            target["Name"] = name
        causing = (
            sorted(references(raw.get(name), changed_parameters)) if changed_parameters else []
        )
        detail: dict[str, Any] = {"Target": target, "Evaluation": "Static"}
        if causing:
            detail["ChangeSource"] = "ParameterReference"
            detail["CausingEntity"] = causing[0]
        else:
            detail["ChangeSource"] = "DirectModification"
        details.append(detail)
        if attribute not in scope:
            scope.append(attribute)
        if recreation == "Always":
            replacement = "True"
        elif recreation == "Conditionally" and needs_replacement(
            kind, {name: before.get(name)}, {name: after.get(name)}
        ):
            # The create-only parts nested in the property are known now: they decide.
            replacement = "True"
    if not details:
        return None
    return Change(
        "Modify",
        logical_id,
        kind,
        old.physical_id,
        replacement,
        scope,
        details,
        before=before,
        after=after,
    )


def _attribute_changes(
    resources: dict[str, dict[str, Any]],
    current: dict[str, StackResource],
    replaced: set[str],
    modified: dict[str, Change],
    changes: list[Change],
) -> None:
    """Resources reading a changed property of a modified resource (Fn::GetAtt) change with it."""
    grown = True
    while grown:
        grown = False
        changed_names = {
            logical_id: {d["Target"].get("Name") for d in change.details}
            for logical_id, change in modified.items()
        }
        for logical_id, definition in resources.items():
            if logical_id in replaced or logical_id not in current:
                continue
            properties = definition.get("Properties") or {}
            for name, value in properties.items():
                for target, attribute in sorted(attribute_references(value, set(modified))):
                    if attribute.split(".", 1)[0] not in changed_names.get(target, ()):
                        continue
                    change = modified.get(logical_id)
                    if change is None:
                        change = Change(
                            "Modify",
                            logical_id,
                            definition["Type"],
                            current[logical_id].physical_id,
                            "False",
                            ["Properties"],
                        )
                        changes.append(change)
                        modified[logical_id] = change
                        grown = True
                    kind = replacement_kind(definition["Type"], name)
                    detail = {
                        "Target": {
                            "Attribute": "Properties",
                            "Name": name,
                            "RequiresRecreation": kind,
                        },
                        "Evaluation": "Dynamic",
                        "ChangeSource": "ResourceAttribute",
                        "CausingEntity": f"{target}.{attribute}",
                    }
                    if detail not in change.details:
                        change.details.append(detail)
                        grown = True
                    if kind != "Never" and change.replacement == "False":
                        change.replacement = "Conditional"
