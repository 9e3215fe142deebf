"""`AWS::LanguageExtensions`: Fn::ForEach loops expanded before anything else reads the template."""

from __future__ import annotations

import copy
import re
from typing import Any

from .intrinsics import template_error

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
_FOR_EACH = "Fn::ForEach::"
_NON_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


def uses_language_extensions(template: dict) -> bool:
    """Whether the template declares the AWS::LanguageExtensions transform."""
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return LANGUAGE_EXTENSIONS in names


def expand_for_each(template: dict, parameters: dict[str, Any]) -> dict:
    """The template with every Fn::ForEach loop unrolled (Resources, Outputs, Conditions, values)."""
    result = dict(template)
    for section in ("Conditions", "Resources", "Outputs"):
        if isinstance(result.get(section), dict):
            result[section] = _expand(result[section], parameters, {})
    return result


def _expand(value: Any, parameters: dict[str, Any], bound: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_expand(item, parameters, bound) for item in value]
    if not isinstance(value, dict):
        return _replace(value, bound)
    if len(value) == 1 and "Ref" in value and value["Ref"] in bound:
        return bound[value["Ref"]]
    result: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(key, str) and key.startswith(_FOR_EACH):
            result.update(_loop(key, item, parameters, bound))
        else:
            result[_replace(key, bound)] = _expand(item, parameters, bound)
    return result


def _loop(key: str, loop: Any, parameters: dict[str, Any], bound: dict[str, str]) -> dict:
    if not isinstance(loop, list) or len(loop) != 3 or not isinstance(loop[2], dict):
        raise template_error(f"{key} must be a list of an identifier, a collection and a fragment")
    identifier, collection, fragment = loop
    collection = _collection(collection, parameters, bound)
    expanded: dict[str, Any] = {}
    for item in collection:
        inner = {**bound, identifier: str(item)}
        expanded.update(_expand(copy.deepcopy(fragment), parameters, inner))
    return expanded


def _collection(collection: Any, parameters: dict[str, Any], bound: dict[str, str]) -> list:
    if isinstance(collection, dict) and "Ref" in collection:
        value = parameters.get(collection["Ref"])
        if value is None:
            raise template_error(f"Fn::ForEach collection {collection['Ref']} is not a parameter")
        return value if isinstance(value, list) else str(value).split(",")
    if isinstance(collection, list):
        return [_replace(item, bound) for item in collection]
    raise template_error("Fn::ForEach requires a list or a Ref to a list parameter")


def _replace(value: Any, bound: dict[str, str]) -> Any:
    if not isinstance(value, str) or not bound or ("${" not in value and "&{" not in value):
        return value
    for name, item in bound.items():
        value = value.replace("${" + name + "}", item)
        value = value.replace("&{" + name + "}", _NON_ALPHANUMERIC.sub("", item))
    return value
