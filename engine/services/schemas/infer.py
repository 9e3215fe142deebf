"""Infer event schemas with genson and write them in AWS's OpenAPI 3 and JSON Schema draft 4 forms."""

from __future__ import annotations

import re
from typing import Any

from genson import SchemaBuilder

_ENVELOPE_REQUIRED = [
    "detail-type",
    "resources",
    "detail",
    "id",
    "source",
    "time",
    "region",
    "version",
    "account",
]
_ENVELOPE_PROPERTIES: dict[str, Any] = {
    "account": {"type": "string"},
    "detail-type": {"type": "string"},
    "id": {"type": "string"},
    "region": {"type": "string"},
    "resources": {"type": "array", "items": {"type": "string"}},
    "source": {"type": "string"},
    "time": {"type": "string", "format": "date-time"},
    "version": {"type": "string"},
}


def pascal(text: str) -> str:
    """`Order Placed` → `OrderPlaced`, as AWS names discovered schema components."""
    words = re.split(r"[^A-Za-z0-9]+", text)
    return "".join(word[:1].upper() + word[1:] for word in words if word) or "Detail"


def schema_name(source: str, detail_type: str) -> str:
    """The discovered schema's name: source@DetailTypeInPascalCase."""
    return f"{source}@{pascal(detail_type)}"


class DetailSchema:
    """A growing JSON Schema of one source/detail-type's detail objects (genson merges them)."""

    def __init__(self, seed: dict | None = None) -> None:
        self._builder = SchemaBuilder(schema_uri=None)
        if seed is not None:
            self._builder.add_schema(seed)

    def add(self, detail: Any) -> bool:
        """Merge one more detail object; True if the schema changed."""
        before = self._builder.to_schema()
        self._builder.add_object(detail)
        return self._builder.to_schema() != before

    def schema(self) -> dict[str, Any]:
        """The schema so far (plain JSON Schema without $schema)."""
        schema = self._builder.to_schema()
        schema.pop("$schema", None)
        return schema


def openapi(source: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3 document with the AWSEvent envelope and the detail as a component."""
    component = pascal(detail_type)
    return {
        "openapi": "3.0.0",
        "info": {"version": "1.0.0", "title": component},
        "paths": {},
        "components": {
            "schemas": {
                "AWSEvent": {
                    "type": "object",
                    "required": list(_ENVELOPE_REQUIRED),
                    "x-amazon-events-detail-type": detail_type,
                    "x-amazon-events-source": source,
                    "properties": {
                        "detail": {"$ref": f"#/components/schemas/{component}"},
                        **_ENVELOPE_PROPERTIES,
                    },
                },
                component: detail,
            }
        },
    }


def draft4(source: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema draft 4 document of the whole event, the detail under definitions."""
    component = pascal(detail_type)
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "AWSEvent",
        "type": "object",
        "required": list(_ENVELOPE_REQUIRED),
        "x-amazon-events-detail-type": detail_type,
        "x-amazon-events-source": source,
        "properties": {"detail": {"$ref": f"#/definitions/{component}"}, **_ENVELOPE_PROPERTIES},
        "definitions": {component: detail},
    }


def openapi_to_draft4(document: dict[str, Any]) -> dict[str, Any]:
    """Convert an OpenAPI 3 schema document (ours or a user's) to JSON Schema draft 4."""
    components = dict(document.get("components", {}).get("schemas", {}))
    event = components.pop("AWSEvent", None)
    if event is None:
        title, body = next(iter(components.items()), ("Schema", {"type": "object"}))
        rest = {k: v for k, v in components.items() if k != title}
        result = {"$schema": "http://json-schema.org/draft-04/schema#", "title": title, **body}
        if rest:
            result["definitions"] = rest
        return _rewrite_refs(result)
    result = {"$schema": "http://json-schema.org/draft-04/schema#", "title": "AWSEvent", **event}
    result["definitions"] = components
    return _rewrite_refs(result)


def _rewrite_refs(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (
                v.replace("#/components/schemas/", "#/definitions/")
                if k == "$ref" and isinstance(v, str)
                else _rewrite_refs(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rewrite_refs(v) for v in value]
    return value
