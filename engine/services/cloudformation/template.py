"""Reading templates: JSON or YAML with CloudFormation's short-form tags (`!Ref`, `!GetAtt` …)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from engine.errors import ServiceError

#: Short-form tag → the long form's key (`!Ref x` → `{"Ref": x}`).
_SHORT_FORMS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in [
            "Base64",
            "Cidr",
            "FindInMap",
            "GetAZs",
            "ImportValue",
            "Join",
            "Select",
            "Split",
            "Sub",
            "Transform",
            "If",
            "And",
            "Equals",
            "Not",
            "Or",
            "Length",
            "ToJsonString",
            "GetAtt",
        ]
    },
}

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TemplateLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe YAML loader that knows CloudFormation's tags and keeps dates as strings."""


# CloudFormation reads `2010-09-09` as a string, not a date.
TemplateLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct(key: str):
    def construct(loader: yaml.Loader, node: yaml.Node) -> dict:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if key == "Fn::GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
            elif key == "Fn::GetAZs" and value is None:
                value = ""
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return construct


for _tag, _key in _SHORT_FORMS.items():
    TemplateLoader.add_constructor(f"!{_tag}", _construct(_key))

_JSON_ERROR = re.compile(r"line (\d+) column (\d+)")


def template_error(message: str) -> ServiceError:
    """AWS's ValidationError for a malformed template."""
    return ServiceError("ValidationError", f"Template format error: {message}")


def parse_template(text: str) -> dict:
    """The template `text` (JSON or YAML) as a dict, or AWS's ValidationError."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise template_error(
                f"JSON not well-formed. (line {error.lineno}, column {error.colno})"
            ) from None
    else:
        try:
            data = yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            raise template_error("YAML not well-formed.") from None
    if not isinstance(data, dict):
        raise template_error("unsupported structure.")
    return data


class _Dumper(yaml.SafeDumper):
    """Writes templates in block style, multi-line strings as literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(template: dict) -> str:
    """A template as YAML (long-form intrinsics, keys in template order)."""
    return yaml.dump(template, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)
