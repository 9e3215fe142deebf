"""Trace events as single lines of text: control characters escaped, detail values as JSON."""

from __future__ import annotations

import json
import re

from engine.trace import TraceEvent

#: Characters a terminal would act on (newlines, tabs, escapes …) rather than draw.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` with every control character escaped (`\\n`, `\\t`, `\\x1b` …): one row, always."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")


def resource_label(resource: str, detail: dict | None = None) -> str:
    """A resource as a person named it: `orders` for a queue ARN, and for an SNS subscription
    (whose ARN ends in an id) `topic→endpoint` when the event names its endpoint."""
    parts = resource.split(":")
    endpoint = (detail or {}).get("endpoint")
    if isinstance(endpoint, str) and len(parts) == 7 and parts[2] == "sns":
        return f"{parts[5]}→{_tail(endpoint)}"
    return _tail(resource)


def _tail(arn: str) -> str:
    tail = arn.rsplit(":", 1)[-1]
    return tail.rsplit("/", 1)[-1] or arn


def json_value(value: object) -> str:
    """A detail value as compact JSON on one line (strings quoted, newlines escaped).

    A string that holds a JSON object or array (a message body) is shown as that JSON,
    compact: `{"order":1}` rather than `"{\\"order\\": 1}"`.
    """
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict | list):
            value = parsed
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):  # a circular or odd value: its repr, on one line
        return one_line(repr(value))


def detail_text(event: TraceEvent) -> str:
    """The event's whole detail as `key=value` pairs, each value JSON, on one line."""
    return one_line(
        " ".join(
            f"{key}={json_value(value)}" for key, value in event.detail.items() if value is not None
        )
    )


def describe_detail(event: TraceEvent, width: int = 60) -> str:
    """The event's detail on one line, cut to `width` cells."""
    text = detail_text(event)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
