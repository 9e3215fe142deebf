"""Requests in each protocol read into an operation and boto3-style parameters."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote
from xml.etree import ElementTree

from botocore.model import OperationModel, ServiceModel, Shape

from engine.http import HttpRequest

from .codec import decode_json, decode_query, decode_xml, parse_scalar
from .errors import WireError
from .routing import Route, match_route

#: Hosts naming a bucket: `{bucket}.s3.localhost`, `{bucket}.s3[.-region].amazonaws.com`, or
#: `{bucket}.localhost` (but `s3.localhost` itself is the path-style endpoint).
_S3_VIRTUAL_HOST = re.compile(
    r"^(?:(?P<bucket>.+)\.s3(?:[.-][a-z0-9-]+)?\.(?:localhost|amazonaws\.com)"
    r"|(?P<local>(?!s3\.localhost$)[^.]+(?:\.[^.]+)*?)\.localhost)$"
)
#: How deep a JSON request body may nest: deeper than any AWS API shape (DynamoDB's documents
#: stop at 32 attribute levels, about 70 JSON levels), far below where Python's parser would run out of stack.
MAX_JSON_DEPTH = 128
_TOO_DEEP = f"The JSON document is nested more than {MAX_JSON_DEPTH} levels deep."
_MALFORMED_XML = (
    "The XML you provided was not well-formed or did not validate against our published schema"
)


def parse_json(model: ServiceModel, request: HttpRequest) -> tuple[OperationModel, dict]:
    """A `json`-protocol request: the operation from X-Amz-Target, parameters from the body."""
    name = request.headers.get("x-amz-target", "").rsplit(".", 1)[-1]
    if name not in model.operation_names:
        raise WireError("UnknownOperationException", f"Unknown operation {name}")
    operation = model.operation_model(name)
    try:
        body = load_json(request.body or b"{}")
    except ValueError:
        raise WireError(
            "SerializationException", "Start of structure or map found where not expected."
        ) from None
    if not isinstance(body, dict):
        raise WireError("SerializationException", "Start of list found where not expected")
    shape = operation.input_shape
    if shape is not None and not body.keys() <= shape.members.keys():
        # AWS's JSON services ignore members the operation does not have (botocore never sends any).
        body = {key: value for key, value in body.items() if key in shape.members}
    try:
        params = decode_json(shape, body) or {}
    except ValueError as error:
        raise WireError("SerializationException", str(error)) from None
    return operation, params


def query_fields(request: HttpRequest) -> dict[str, str]:
    """The form fields of a `query`-protocol request (URL query string and form body together)."""
    fields = dict(request.query)
    if request.body:
        content_type = request.headers.get("content-type", "")
        if content_type and "x-www-form-urlencoded" not in content_type:
            raise WireError("InvalidParameterValue", f"Unsupported content type: {content_type}")
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise WireError(
                "MalformedQueryString", "The request body is not UTF-8 form data."
            ) from None
        fields.update(parse_qsl(text, keep_blank_values=True))
    return fields


def parse_query(
    model: ServiceModel, fields: dict[str, str], invalid_code: str
) -> tuple[OperationModel, dict[str, Any]]:
    """A `query`-protocol request: `Action=…` names the operation, flattened fields its input.

    A field that does not parse as its shape's type gets `invalid_code`, the service's own
    code for a bad parameter value.
    """
    fields = dict(fields)
    action = fields.pop("Action", None)
    fields.pop("Version", None)
    if not action:
        raise WireError("MissingAction", "Missing Action")
    if action not in model.operation_names:
        raise WireError("InvalidAction", f"The action {action} is not valid for this web service.")
    operation = model.operation_model(action)
    try:
        params = decode_query(operation.input_shape, fields) if operation.input_shape else {}
    except (ValueError, binascii.Error) as error:
        raise WireError(invalid_code, f"Malformed parameter value: {error}") from None
    return operation, params or {}


def s3_path(request: HttpRequest) -> str:
    """S3 virtual-host requests (`bucket.s3.localhost`) rewritten to path style."""
    match = _S3_VIRTUAL_HOST.match(request.host)
    if match is None:
        return request.path
    bucket = match.group("bucket") or match.group("local")
    return f"/{quote(bucket)}{request.path if request.path != '/' else ''}"


def parse_rest(
    service: str, protocol: str, request: HttpRequest
) -> tuple[OperationModel, dict[str, Any]]:
    """A `rest-json`/`rest-xml` request: URI template, query string, headers and payload."""
    path = s3_path(request) if service == "s3" else request.path
    found = match_route(service, request, path)
    if found is None:
        raise WireError(
            "UnknownOperationException",
            f"No {service} operation for {request.method} {request.path}",
            404,
        )
    route, labels = found
    operation = route.operation
    shape = operation.input_shape
    if shape is None:
        return operation, {}
    try:
        params = _located_members(shape, route, labels, request)
        params.update(_payload_members(protocol, shape, request.body))
    except (ValueError, binascii.Error) as error:
        raise WireError(
            "SerializationException" if protocol == "rest-json" else "InvalidArgument",
            f"Malformed value in the request: {error}",
        ) from None
    return operation, params


def _located_members(
    shape: Shape, route: Route, labels: dict[str, str], request: HttpRequest
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    query = request.query
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri":
            if wire_name in labels:
                params[name] = parse_scalar(member, labels[wire_name])
        elif location == "querystring":
            if member.type_name == "map":
                found = {k: v for k, v in query if k not in route.static_query}
                if found:
                    params[name] = found
                continue
            values = [v for k, v in query if k == wire_name]
            if values:
                params[name] = (
                    [parse_scalar(member.member, v) for v in values]
                    if member.type_name == "list"
                    else parse_scalar(member, values[-1])
                )
        elif location == "header":
            value = request.headers.get(wire_name.lower())
            if value is None:
                continue
            try:
                params[name] = _header_value(member, value)
            except ValueError:
                # HTTP says an invalid If-Modified-Since (and the like) is ignored, not refused.
                if not wire_name.lower().startswith("if-"):
                    raise
        elif location == "headers":
            prefix = wire_name.lower()
            found_headers = {
                k[len(prefix) :]: v for k, v in request.headers.items() if k.startswith(prefix)
            }
            if found_headers:
                params[name] = found_headers
    return params


def _header_value(member: Shape, value: str) -> Any:
    if member.type_name == "list":
        return [parse_scalar(member.member, v.strip()) for v in value.split(",")]
    if member.serialization.get("jsonvalue"):
        return load_json(base64.b64decode(value))
    return parse_scalar(member, value)


def _payload_members(protocol: str, shape: Shape, body: bytes) -> dict[str, Any]:
    payload_name = shape.serialization.get("payload")
    if payload_name:
        member = shape.members[payload_name]
        if member.type_name == "blob":
            return {payload_name: body}
        if member.type_name == "string":
            return {payload_name: body.decode("utf-8")} if body else {}
        return {payload_name: decode_body(protocol, member, body)} if body else {}
    if not body:
        return {}
    decoded = decode_body(protocol, shape, body)
    if not isinstance(decoded, dict):
        return {}
    return {
        key: value
        for key, value in decoded.items()
        if key in shape.members and not shape.members[key].serialization.get("location")
    }


def decode_body(protocol: str, shape: Shape, body: bytes) -> Any:
    """A REST payload (XML or JSON) as the shape's Python value."""
    if protocol == "rest-xml":
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            raise WireError("MalformedXML", _MALFORMED_XML) from None
        return decode_xml(shape, root)
    try:
        return decode_json(shape, load_json(body))
    except ValueError as error:
        raise WireError("SerializationException", _json_problem(error)) from None


def load_json(body: bytes) -> Any:
    """A JSON request body, refused with 400 (never a RecursionError) when nested too deep."""
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH:
        try:
            value = json.loads(body)
        except RecursionError:
            raise WireError("SerializationException", _TOO_DEEP) from None
        if nesting_depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise WireError("SerializationException", _TOO_DEEP)
        return value
    return json.loads(body)


def nesting_depth(value: Any, limit: int) -> int:
    """How deep lists and objects nest in `value` (counting stops once past `limit`)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _json_problem(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return "Unable to parse the request body as JSON."
    return str(error)
