"""Pipes' InputTemplate: `<$.json.path>` and `<aws.pipes.…>` placeholders filled per event.

Quoting follows AWS's transformer rules: inside a JSON string (or anywhere in a plain-text
template) a placeholder becomes the value's text; elsewhere in a JSON template it becomes the
value's JSON; a missing value is "" as text and null as JSON.
A JSON SQS body (or Kinesis data) is addressable as an object (`<$.body.orderId>`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from engine.services.events.transform import compact, quoted_positions, resolve_path

from .records import filter_view

_PLACEHOLDER = re.compile(r"<(\$[^<>]*|aws\.pipes\.[a-z.\-]+)>")
_MISSING = object()


def render(template: str, event: Any, reserved: dict[str, Any]) -> str:
    """The template filled in for one event; `reserved` holds the aws.pipes.* values."""
    document = filter_view(event) if isinstance(event, dict) else event
    # A template that is not a JSON object or array is plain text: values go in as text.
    text_template = template.lstrip()[:1] not in ("{", "[")
    values = iter(
        [True] * template.count("<") if text_template else quoted_positions(template, _PLACEHOLDER)
    )

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("$"):
            value = document if name == "$" else resolve_path(document, name)
        else:
            value = reserved.get(name, _MISSING)
        if next(values):
            if text_template and isinstance(value, str):
                return value  # plain text needs no JSON escaping
            return _as_text(value)
        return "null" if value is _MISSING or _is_missing(value) else compact(value)

    return _PLACEHOLDER.sub(substitute, template)


def _is_missing(value: Any) -> bool:
    # resolve_path signals "absent" with its own sentinel object (never a JSON value).
    return not isinstance(value, (str, int, float, bool, list, dict, type(None)))


def _as_text(value: Any) -> str:
    if value is _MISSING or _is_missing(value):
        return ""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)[1:-1]
    return compact(value).replace('"', '\\"')
