"""botocore's service models: operation names, shapes, docs, and validators compiled from them."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from botocore import xform_name
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

from .errors import ServiceError, param_validation_error

_loader = Loader()


@cache
def service_model(name: str) -> ServiceModel:
    """botocore's model of the AWS service boto3 calls `name`, without its documentation text.

    Three quarters of a model's text is documentation, which only `help` and completion read:
    they get it from `documented_model`, so a lab serving boto3 never holds it.
    """
    data = _loader.load_service_model(name, "service-2")
    _drop_documentation(data)
    return ServiceModel(data, service_name=name)


@cache
def service_metadata(name: str) -> dict[str, Any]:
    """The `metadata` block of service `name`'s model (protocol, target prefix, signing name …).

    Routing a request asks this of every service the lab serves; reading just this block off
    the model file keeps the other services' models out of memory until they are called.
    """
    import gzip
    import os

    import ijson

    version = _loader.determine_latest_version(name, "service-2")
    for root in _loader.search_paths:
        base = os.path.join(root, name, version, "service-2.json")
        for path, opener in ((base, open), (base + ".gz", gzip.open)):
            if os.path.isfile(path):
                with opener(path, "rb") as handle:
                    for metadata in ijson.items(handle, "metadata"):
                        return dict(metadata)
    return dict(service_model(name).metadata)


@cache
def documented_model(name: str) -> ServiceModel:
    """botocore's whole model of service `name`, documentation included (for help and completion)."""
    return ServiceModel(Loader().load_service_model(name, "service-2"), service_name=name)


def member_documentation(service: str, operation: str, member: str) -> str:
    """The documentation of one input member of an operation (HTML, as botocore has it)."""
    shape = documented_model(service).operation_model(operation).input_shape
    if shape is None or member not in shape.members:
        return ""
    return shape.members[member].documentation or ""


def _drop_documentation(node: Any) -> None:
    """Remove every `documentation` entry from a loaded model, in place."""
    if isinstance(node, dict):
        node.pop("documentation", None)
        node.pop("documentationUrl", None)
        for value in node.values():
            if isinstance(value, dict | list):
                _drop_documentation(value)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, dict | list):
                _drop_documentation(value)


@cache
def operations(name: str) -> dict[str, str]:
    """snake_case operation name → the model's operation name, for service `name`."""
    return {xform_name(op): op for op in service_model(name).operation_names}


@cache
def operation_model(name: str, operation: str) -> OperationModel:
    """botocore's model of one operation (given in the model's CamelCase)."""
    return service_model(name).operation_model(operation)


Problems = list[str]


class Problem(str):
    """A problem boto3 reports client-side, with AWS's own words for it (`aws`).

    boto3 stops these before sending; a caller that skips boto3's checks (over the wire) gets
    AWS's server-side wording instead.
    """

    aws: str

    def __new__(cls, text: str, aws: str) -> Problem:
        problem = super().__new__(cls, text)
        problem.aws = aws
        return problem


#: A compiled check: (value, parent path with its trailing separator, member name, client, server).
Check = Callable[[Any, str, str, Problems, Problems], None]

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "float": (float, int),
    "double": (float, int),
    "blob": (bytes, bytearray, str),
    "timestamp": (_dt.datetime, _dt.date, str, int, float),
    "map": (dict,),
    "list": (list, tuple),
    "structure": (dict,),
}


#: "[0]", "[1]" … made once: list items are named by index on every check.
_INDEX = tuple(f"[{i}]" for i in range(1024))

#: Exact classes that pass a member with no constraint but its type.
_PLAIN_CLASSES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "blob": frozenset({bytes, bytearray, str}),
    "boolean": frozenset({bool}),
    "integer": frozenset({int}),
    "long": frozenset({int}),
}


def _is_plain(shape: Shape, enums: bool) -> bool:
    """Whether a value of `shape` is valid as soon as its class is right."""
    if shape.type_name not in _PLAIN_CLASSES:
        return False
    metadata = shape.metadata
    if metadata.get("min") is not None or metadata.get("max") is not None:
        return False
    return not (enums and shape.type_name == "string" and shape.enum)


def _type_names(kinds: tuple[type, ...]) -> str:
    return ", ".join(str(k) for k in kinds)


def _compile(
    shape: Shape, seen: dict[str, Check], enums: bool = True, patterns: frozenset[str] = frozenset()
) -> Check:
    """Build a checker for values of `shape` (cached per shape name, recursion-safe).

    `patterns` names the string shapes whose model `pattern` is checked as AWS's server does.
    """
    key = shape.name
    if key in seen:
        return seen[key]
    # Placeholder lets recursive shapes refer to themselves.
    holder: list[Check] = []
    seen[key] = lambda v, p, n, c, s: holder[0](v, p, n, c, s)
    check = _compile_uncached(shape, seen, enums, patterns)
    holder.append(check)
    seen[key] = check
    return check


def _type_problem(value: Any, path: str, type_text: str) -> str:
    return (
        f"Invalid type for parameter {path or 'input'}, value: {value!r}, "
        f"type: {type(value)}, valid types: {type_text}"
    )


def _compile_uncached(
    shape: Shape, seen: dict[str, Check], enums: bool, patterns: frozenset[str]
) -> Check:
    kind = shape.type_name
    kinds = _PY_TYPES.get(kind, (object,))
    meta = shape.metadata
    low = meta.get("min")
    high = meta.get("max")
    enum = shape.enum if kind == "string" and enums else None
    pattern_text = meta.get("pattern") if kind == "string" and shape.name in patterns else None
    pattern = re.compile(pattern_text) if pattern_text else None
    type_text = _type_names(kinds)

    # Paths are only spelled out when something is wrong: the common case builds no strings.
    if kind == "structure":
        members = {name: _compile(m, seen, enums, patterns) for name, m in shape.members.items()}
        required = tuple(shape.required_members)
        required_set = frozenset(required)
        allowed = ", ".join(shape.members)
        # Members whose only rule is their Python type are checked inline, without a call.
        plain = {
            name: _PLAIN_CLASSES[m.type_name]
            for name, m in shape.members.items()
            if _is_plain(m, enums) and m.name not in patterns
        }

        def check_structure(
            value: Any, parent: str, name: str, client: Problems, server: Problems
        ) -> None:
            if value.__class__ is not dict and not isinstance(value, dict):
                client.append(_type_problem(value, parent + name, type_text))
                return
            if required_set and not required_set.issubset(value):
                where = parent + name or "input"
                for member in required:
                    if member not in value:
                        client.append(
                            Problem(
                                f'Missing required parameter in {where}: "{member}"',
                                f"Value null at '{_aws_path(parent + name + ('.' if parent + name else '') + member)}' "
                                "failed to satisfy constraint: Member must not be null",
                            )
                        )
            prefix: str | None = None
            for member, member_value in value.items():
                classes = plain.get(member)
                if classes is not None and member_value.__class__ in classes:
                    continue
                checker = members.get(member)
                if checker is None:
                    where = parent + name or "input"
                    client.append(
                        f'Unknown parameter in {where}: "{member}", must be one of: {allowed}'
                    )
                    continue
                if prefix is None:
                    path = parent + name
                    prefix = f"{path}." if path else ""
                checker(member_value, prefix, member, client, server)

        return check_structure

    if kind == "list":
        member_check = _compile(shape.member, seen, enums, patterns)

        def check_list(
            value: Any, parent: str, name: str, client: Problems, server: Problems
        ) -> None:
            if not isinstance(value, (list, tuple)):
                client.append(_type_problem(value, parent + name, type_text))
                return
            count = len(value)
            if low is not None and count < low:
                client.append(
                    Problem(
                        f"Invalid length for parameter {parent + name}, value: {count}, "
                        f"valid min length: {low}",
                        f"Value '{_aws_list(value)}' at '{_aws_path(parent + name)}' failed to "
                        f"satisfy constraint: Member must have length greater than or equal to {low}",
                    )
                )
            if high is not None and count > high:
                server.append(
                    f"Value at '{_aws_path(parent + name)}' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {high}"
                )
            path = parent + name
            for index, item in enumerate(value):
                member_check(
                    item, path, _INDEX[index] if index < 1024 else f"[{index}]", client, server
                )

        return check_list

    if kind == "map":
        key_check = _compile(shape.key, seen, enums, patterns)
        value_check = _compile(shape.value, seen, enums, patterns)

        def check_map(
            value: Any, parent: str, name: str, client: Problems, server: Problems
        ) -> None:
            if not isinstance(value, dict):
                client.append(_type_problem(value, parent + name, type_text))
                return
            path = parent + name
            for k, v in value.items():
                key_check(k, path, f" (key: {k})", client, server)
                value_check(v, f"{path}.", str(k), client, server)

        return check_map

    if kind == "string":

        def check_string(
            value: Any, parent: str, name: str, client: Problems, server: Problems
        ) -> None:
            if value.__class__ is not str and not isinstance(value, str):
                client.append(_type_problem(value, parent + name, type_text))
                return
            if low is not None and len(value) < low:
                client.append(
                    Problem(
                        f"Invalid length for parameter {parent + name}, value: {len(value)}, "
                        f"valid min length: {low}",
                        f"Value '{value}' at '{_aws_path(parent + name)}' failed to satisfy "
                        f"constraint: Member must have length greater than or equal to {low}",
                    )
                )
            if high is not None and len(value) > high:
                server.append(
                    f"Value '{value}' at '{_aws_path(parent + name)}' failed to satisfy "
                    f"constraint: Member must have length less than or equal to {high}"
                )
            if pattern is not None and pattern.fullmatch(value) is None:
                server.append(
                    f"Value '{value}' at '{_aws_path(parent + name)}' failed to satisfy "
                    f"constraint: Member must satisfy regular expression pattern: {pattern_text}"
                )
            if enum and value not in enum:
                server.append(
                    f"Value '{value}' at '{_aws_path(parent + name)}' failed to satisfy "
                    f"constraint: Member must satisfy enum value set: [{', '.join(enum)}]"
                )

        return check_string

    if kind in ("integer", "long", "float", "double"):
        numeric_kinds = kinds

        def check_number(
            value: Any, parent: str, name: str, client: Problems, server: Problems
        ) -> None:
            if isinstance(value, bool) or not isinstance(value, numeric_kinds):
                client.append(_type_problem(value, parent + name, type_text))
                return
            if low is not None and value < low:
                client.append(
                    Problem(
                        f"Invalid value for parameter {parent + name}, value: {value}, "
                        f"valid min value: {low}",
                        f"Value '{value}' at '{_aws_path(parent + name)}' failed to satisfy "
                        f"constraint: Member must have value greater than or equal to {low}",
                    )
                )
            if high is not None and value > high:
                server.append(
                    f"Value '{value}' at '{_aws_path(parent + name)}' failed to satisfy "
                    f"constraint: Member must have value less than or equal to {high}"
                )

        return check_number

    def check_scalar(
        value: Any, parent: str, name: str, client: Problems, server: Problems
    ) -> None:
        if not isinstance(value, kinds):
            # boto3 also accepts a file-like object (anything with .read()) for blobs.
            if kind == "blob" and hasattr(value, "read"):
                return
            client.append(_type_problem(value, parent + name, type_text))
            return
        if kind == "blob" and low is not None and len(value) < low:
            client.append(
                f"Invalid length for parameter {parent + name}, value: {len(value)}, "
                f"valid min length: {low}"
            )

    return check_scalar


def _aws_list(value: Any) -> str:
    """A list as AWS's validation messages show it (`[]`, `[a, b]`)."""
    return "[" + ", ".join(str(item) for item in value) + "]"


def _aws_path(path: str) -> str:
    """AWS's server-side spelling of a parameter path: each member in lowerCamelCase."""
    return ".".join(part[:1].lower() + part[1:] for part in path.split("."))


Validator = Callable[[dict], None]


@cache
def validator(
    service: str,
    operation: str,
    server_error_code: str = "ValidationException",
    check_enums: bool = True,
    patterns: frozenset[str] = frozenset(),
) -> Validator:
    """A compiled check of one operation's input: botocore's client-side rules, then AWS's own.

    Missing, unknown or mistyped parameters and values under a minimum raise ParamValidationError,
    as boto3 would before sending; values over a maximum, outside an enum or (for the string
    shapes named in `patterns`) not matching the model's pattern raise
    `server_error_code` with AWS's "N validation errors detected" message.
    """
    op = operation_model(service, operation)
    shape = op.input_shape
    if shape is None:

        def check_empty(params: dict) -> None:
            if params:
                names = ", ".join(params)
                raise param_validation_error(
                    [f'Unknown parameter in input: "{names}", must be one of: ']
                )

        return check_empty

    check = _compile(shape, {}, check_enums, patterns)

    def validate(params: dict) -> None:
        client: Problems = []
        server: Problems = []
        check(params, "", "", client, server)
        if client:
            raise param_validation_error(client)
        if server:
            count = len(server)
            noun = "error" if count == 1 else "errors"
            raise ServiceError(
                server_error_code,
                f"{count} validation {noun} detected: " + "; ".join(server),
            )

    return validate


def documentation(service: str, operation: str | None = None) -> str:
    """The model's HTML documentation of a service or one of its operations."""
    model = documented_model(service)
    if operation is None:
        return model.documentation or ""
    return model.operation_model(operation).documentation or ""
