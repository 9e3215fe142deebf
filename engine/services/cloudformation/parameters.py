"""Template parameters: types, defaults, constraints, NoEcho and previous values."""

from __future__ import annotations

import re
from typing import Any

from engine.errors import ServiceError

from .intrinsics import PSEUDO_PARAMETERS

NO_ECHO_MASK = "****"
_LIST_TYPES = ("CommaDelimitedList", "List<")


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)


def parse_given(
    given: list[dict[str, Any]], previous: dict[str, Any] | None = None
) -> dict[str, str]:
    """The Parameters list of a call as {key: value}, UsePreviousValue taken from `previous`."""
    values: dict[str, str] = {}
    for entry in given:
        key = entry.get("ParameterKey")
        if key is None:
            continue
        if entry.get("UsePreviousValue"):
            if previous is None or key not in previous:
                raise _invalid(
                    f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as true for a parameter key not in the previous template"
                )
            values[key] = previous[key]
        elif "ParameterValue" in entry:
            values[key] = entry["ParameterValue"]
    return values


def resolve_parameters(
    declared: dict[str, Any], given: dict[str, str], ssm_lookup: Any = None
) -> dict[str, Any]:
    """Each declared parameter's value (a list for list types), checked against its constraints."""
    unknown = [key for key in given if key not in declared]
    if unknown:
        raise _invalid(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    for name in declared:
        if name in PSEUDO_PARAMETERS or not re.fullmatch(r"[A-Za-z0-9]+", name):
            raise _invalid(f"Template format error: Parameter name {name} is non alphanumeric.")
    missing = [
        name
        for name, spec in declared.items()
        if name not in given and "Default" not in (spec or {})
    ]
    if missing:
        raise _invalid(f"Parameters: [{', '.join(missing)}] must have values")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec or {}
        raw = given.get(name, spec.get("Default"))
        raw = ",".join(map(_text, raw)) if isinstance(raw, list) else _text(raw)
        values[name] = _typed(name, spec, raw, ssm_lookup)
    return values


def _typed(name: str, spec: dict[str, Any], raw: str, ssm_lookup: Any) -> Any:
    kind = str(spec.get("Type", "String"))
    if kind.startswith("AWS::SSM::Parameter::"):
        if ssm_lookup is None:
            raise _invalid(
                f"Unable to fetch parameters [{raw}] from parameter store for this account."
            )
        raw = ssm_lookup(raw)
        kind = kind.removeprefix("AWS::SSM::Parameter::Value<").removesuffix(">")
    if kind.startswith(_LIST_TYPES):
        items = [item.strip() for item in raw.split(",")] if raw else []
        if kind == "List<Number>":
            for item in items:
                _number(name, item)
        for item in items:
            _check(name, spec, item)
        return items
    if kind == "Number":
        _number(name, raw)
    _check(name, spec, raw)
    return raw


def _text(value: Any) -> str:
    """A template value as CloudFormation reads it (YAML's `true` is the string "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise _invalid(f"Parameter '{name}' must be a number.") from None


def _check(name: str, spec: dict[str, Any], value: str) -> None:
    described = spec.get("ConstraintDescription")

    def fail(message: str) -> ServiceError:
        if described:
            return _invalid(f"Parameter '{name}' failed to satisfy constraint: {described}")
        return _invalid(message)

    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [_text(v) for v in allowed]:
        raise fail(f"Parameter '{name}' must be one of AllowedValues")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and re.fullmatch(str(pattern), value) is None:
        raise fail(f"Parameter '{name}' must match pattern {pattern}")
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        raise fail(f"Parameter '{name}' must contain at least {spec['MinLength']} characters")
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        raise fail(f"Parameter '{name}' must contain at most {spec['MaxLength']} characters")
    if "MinValue" in spec and _number(name, value) < float(spec["MinValue"]):
        raise fail(f"Parameter '{name}' must be a number not less than {spec['MinValue']}")
    if "MaxValue" in spec and _number(name, value) > float(spec["MaxValue"]):
        raise fail(f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}")


def described_parameters(declared: dict[str, Any], values: dict[str, Any]) -> list[dict[str, str]]:
    """DescribeStacks' Parameters: each value as given, NoEcho values masked."""
    result = []
    for name, spec in declared.items():
        value = values.get(name)
        text = ",".join(value) if isinstance(value, list) else str(value)
        if str((spec or {}).get("NoEcho", "")).lower() == "true":
            text = NO_ECHO_MASK
        result.append({"ParameterKey": name, "ParameterValue": text})
    return result


def raw_values(declared: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
    """The parameters' values as strings (what UsePreviousValue reuses)."""
    return {
        name: ",".join(value) if isinstance(value, list) else str(value)
        for name, value in values.items()
        if name in declared
    }
