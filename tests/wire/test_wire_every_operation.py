"""Every operation the lab emulates, sent as botocore serializes it with no parameters, gets an answer.

Requests are built by botocore's own serializers (each service's protocol), with only the URI
labels filled in, so each reaches its operation and fails validation the way AWS would:
an error response, never an internal failure.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from botocore import xform_name
from botocore.model import OperationModel
from botocore.serialize import create_serializer

from engine.http import HttpRequest
from engine.model import service_model
from engine.wire import WireEndpoint


def _labels(operation: OperationModel) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None:
        return {}
    return {
        name: "x" if member.type_name == "string" else 1
        for name, member in shape.members.items()
        if member.serialization.get("location") == "uri"
    }


def _request(service: str, operation: OperationModel) -> HttpRequest:
    """The HTTP request botocore would send for `operation` with only its URI labels set."""
    metadata = service_model(service).metadata
    protocol = metadata["protocol"]
    serialized = create_serializer(protocol, include_validation=False).serialize_to_request(
        _labels(operation), operation
    )
    path, _, inline_query = serialized["url_path"].partition("?")
    query = parse_qsl(inline_query, keep_blank_values=True)
    if isinstance(serialized["query_string"], dict):
        query += list(serialized["query_string"].items())
    body = serialized["body"]
    if isinstance(body, dict):
        body = urlencode(body)
    if isinstance(body, str):
        body = body.encode()
    signing = metadata.get("signingName") or metadata["endpointPrefix"]
    headers = {k.lower(): v for k, v in serialized["headers"].items()}
    headers["host"] = "localhost:4566"
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/{signing}/aws4_request, "
        "SignedHeaders=host, Signature=lab"
    )
    if protocol == "query":
        headers["content-type"] = "application/x-www-form-urlencoded"
    return HttpRequest(serialized["method"], path, query, headers, body or b"")


async def test_no_emulated_operation_fails_internally(eng) -> None:
    endpoint = WireEndpoint(eng)
    answered = 0
    internal: list[str] = []
    for service in eng.available_services():
        emulated = eng.service(service)
        model = service_model(service)
        for name in model.operation_names:
            if not hasattr(emulated, xform_name(name)):
                continue
            response = await endpoint.handle(_request(service, model.operation_model(name)))
            answered += 1
            if response.status >= 500:
                internal.append(f"{service}:{name} {response.body[:160]!r}")
    assert answered > 300
    assert internal == []
