"""Resource type schemas from cfn-lint's bundled registry: which property changes replace a resource."""

from __future__ import annotations

import importlib
import json
from functools import cache
from importlib import resources


@cache
def _type_index() -> dict[str, str]:
    """Type name → schema file digest; cfn-lint keeps it as a JSON file (newer) or a module."""
    providers = resources.files("cfnlint.data.schemas.providers")
    index = providers.joinpath("us-east-1.json")
    if index.is_file():
        return dict(json.loads(index.read_text()))
    module = importlib.import_module("cfnlint.data.schemas.providers.us_east_1")
    return dict(module.types)


@cache
def schema(type_name: str) -> dict:
    """The CloudFormation registry schema of `type_name` ({} when cfn-lint has none)."""
    digest = _type_index().get(type_name)
    if digest is None:
        return {}
    path = resources.files("cfnlint.data.schemas.resources").joinpath(f"{digest}.json")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


@cache
def create_only_properties(type_name: str) -> tuple[tuple[str, ...], ...]:
    """Property paths whose change requires a new physical resource (`createOnlyProperties`)."""
    paths = schema(type_name).get("createOnlyProperties") or ()
    return tuple(tuple(p.removeprefix("/properties/").split("/")) for p in paths)


def requires_replacement(type_name: str, property_name: str) -> bool:
    """Whether changing top-level `property_name` of a `type_name` replaces the resource."""
    return any(path[0] == property_name for path in create_only_properties(type_name))


def is_conditional_replacement(type_name: str, property_name: str) -> bool:
    """Whether only a nested part of `property_name` is create-only (AWS reports Conditional)."""
    paths = [path for path in create_only_properties(type_name) if path[0] == property_name]
    return bool(paths) and all(len(path) > 1 for path in paths)


def known_type(type_name: str) -> bool:
    """Whether CloudFormation knows the resource type at all."""
    return type_name in _type_index()


@cache
def import_identifiers(type_name: str) -> tuple[str, ...]:
    """The properties that name an existing resource for import (GetTemplateSummary's
    ResourceIdentifiers): the primary identifier's properties a template can set."""
    spec = schema(type_name)
    read_only = set(spec.get("readOnlyProperties") or ())
    return tuple(
        path.removeprefix("/properties/")
        for path in spec.get("primaryIdentifier") or ()
        if path not in read_only
    )
