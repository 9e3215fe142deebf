"""What a target receives: the event, a constant Input, an InputPath, or an InputTransformer.

InputTransformer follows AWS's quoting rules: a placeholder inside a JSON string takes the
value's text (objects and arrays printed without quotes in string templates); outside quotes it
takes the value's JSON; a missing value is "" inside quotes and null outside.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\['([^']*)'\]|\[(\d+)\]")
_MISSING = object()
PREDEFINED = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
)


class TransformError(ValueError):
    """The target's input could not be built for this event (the delivery fails)."""


def compact(value: Any) -> str:
    """JSON as EventBridge writes it: no spaces."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def is_json_path(path: str) -> bool:
    """Whether `path` is a JSONPath EventBridge accepts ($, $.a.b, $.a[0], $['a'])."""
    if not path.startswith("$"):
        return False
    rest = path[1:]
    position = 0
    while position < len(rest):
        step = _PATH_STEP.match(rest, position)
        if step is None:
            return False
        position = step.end()
    return True


def resolve_path(document: Any, path: str) -> Any:
    """The value at JSONPath `path`, or _MISSING."""
    value = document
    for step in _PATH_STEP.finditer(path[1:]):
        key, quoted, index = step.groups()
        if index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                return _MISSING
            value = value[int(index)]
            continue
        name = key if key is not None else quoted
        if not isinstance(value, dict) or name not in value:
            return _MISSING
        value = value[name]
    return value


def placeholders(template: str) -> list[str]:
    """The placeholder names used in an InputTemplate."""
    return _PLACEHOLDER.findall(template)


@dataclass(slots=True)
class TransformContext:
    """The values of the predefined placeholders for one delivery."""

    rule_arn: str
    rule_name: str
    ingestion_time: str


def quoted_positions(template: str, placeholder: re.Pattern[str] = _PLACEHOLDER) -> list[bool]:
    """For each `placeholder` match, whether it sits inside a JSON string of the template."""
    inside: list[bool] = []
    in_string = escaped = False
    matches = {m.start(): m.end() for m in placeholder.finditer(template)}
    index = 0
    while index < len(template):
        end = matches.get(index)
        if end is not None:
            inside.append(in_string)
            index = end
            continue
        char = template[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        index += 1
    return inside


def _text_inside_quotes(value: Any, json_template: bool) -> str:
    if value is _MISSING:
        return ""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)[1:-1]
    if isinstance(value, (dict, list)):
        if json_template:
            raise TransformError("an object or array cannot be placed inside a JSON string")
        return compact(value).replace('"', "")
    return compact(value)


def render_template(
    template: str, paths_map: dict[str, str], event: dict, context: TransformContext
) -> str:
    """Fill an InputTemplate for one event; raise TransformError if the result is not JSON."""
    values: dict[str, Any] = {name: resolve_path(event, path) for name, path in paths_map.items()}
    summary = {
        "id": event.get("id"),
        "account": event.get("account"),
        "detailType": event.get("detail-type"),
        "time": event.get("time"),
        "source": event.get("source"),
        "region": event.get("region"),
        "resources": event.get("resources", []),
        "version": event.get("version"),
    }
    values.setdefault("aws.events.rule-arn", context.rule_arn)
    values.setdefault("aws.events.rule-name", context.rule_name)
    values.setdefault("aws.events.event.ingestion-time", context.ingestion_time)
    values.setdefault("aws.events.event", summary)
    values.setdefault("aws.events.event.json", event)
    json_template = template.lstrip()[:1] in ("{", "[")
    quoted = iter(quoted_positions(template))

    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1), _MISSING)
        if next(quoted):
            return _text_inside_quotes(value, json_template)
        return "null" if value is _MISSING else compact(value)

    rendered = _PLACEHOLDER.sub(substitute, template)
    _check_json(rendered)
    return rendered


def _check_json(text: str) -> None:
    """AWS delivers a template's output only if it is JSON (or one JSON value per line)."""
    try:
        json.loads(text)
        return
    except ValueError:
        pass
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        for line in lines:
            json.loads(line)
    except ValueError:
        raise TransformError("the InputTemplate did not produce valid JSON") from None
    if not lines:
        raise TransformError("the InputTemplate produced nothing")


def target_input(target: Any, event: dict, context: TransformContext) -> str:
    """The text a target receives for `event` (Input, InputPath, InputTransformer or the event)."""
    if target.input is not None:
        return target.input
    if target.input_path is not None:
        value = resolve_path(event, target.input_path)
        if value is _MISSING:
            raise TransformError(f"InputPath {target.input_path} selects nothing in the event")
        return compact(value)
    if target.input_transformer is not None:
        transformer = target.input_transformer
        return render_template(
            transformer["InputTemplate"], transformer.get("InputPathsMap", {}), event, context
        )
    return compact(event)
