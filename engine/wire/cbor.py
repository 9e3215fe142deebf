"""CBOR on the wire, through cbor2: Smithy RPC v2 CBOR, and the JSON protocol's CBOR form.

Smithy RPC v2 CBOR is CloudWatch's default in current SDKs. Requests are `POST /service/{ServiceName}/operation/{Operation}` with `smithy-protocol:
rpc-v2-cbor` and a CBOR body; answers are CBOR with timestamps as tag 1 (epoch seconds).
Errors carry `__type` in the body and, for awsQueryCompatible services, AWS's query error
code in `x-amzn-query-error`.

The JSON protocol's CBOR form (`application/x-amz-cbor-1.1`, which Kinesis's SDKs send) keeps
X-Amz-Target and the JSON protocol's members and errors, encoded as CBOR instead of JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel, Shape

from engine.http import HttpRequest, HttpResponse

from .errors import WireError

CONTENT_TYPE = "application/cbor"


#: The content type of the JSON protocol's CBOR form (Kinesis's SDKs send it).
AMZ_CBOR_1_1 = "application/x-amz-cbor-1.1"


def is_amz_cbor(request: HttpRequest) -> bool:
    """Whether a JSON-protocol request carries its body as CBOR (`application/x-amz-cbor-1.1`)."""
    return request.headers.get("content-type", "").startswith(AMZ_CBOR_1_1)


def parse_amz_cbor(model: ServiceModel, request: HttpRequest) -> tuple[OperationModel, dict]:
    """A JSON-protocol request in CBOR: the operation from X-Amz-Target, parameters from the body."""
    name = request.headers.get("x-amz-target", "").rsplit(".", 1)[-1]
    if name not in model.operation_names:
        raise WireError("UnknownOperationException", f"Unknown operation {name}")
    return _decoded(model.operation_model(name), request.body, _EPOCH_MILLIS)


def _epoch_millis_datetime(value: Any, _immutable: bool = False) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


#: AWS's CBOR form of the JSON protocol puts timestamps in tag 1 as integer epoch
#: *milliseconds* (not the seconds RFC 8949 says; aws/aws-sdk-java-v2#4661), both ways.
_EPOCH_MILLIS = {1: _epoch_millis_datetime}


def amz_cbor_response(result: dict, request_id: str) -> HttpResponse:
    """A JSON-protocol answer in CBOR."""
    return HttpResponse(
        200,
        {"content-type": AMZ_CBOR_1_1, "x-amzn-requestid": request_id},
        cbor2.dumps(_plain(result, millis=True)),
    )


def amz_cbor_error(status: int, headers: dict[str, str], json_body: bytes) -> HttpResponse:
    """A JSON-protocol error in CBOR: the same members as its JSON form."""
    headers = {**headers, "content-type": AMZ_CBOR_1_1}
    return HttpResponse(status, headers, cbor2.dumps(json.loads(json_body)))


def is_cbor(request: HttpRequest) -> bool:
    """Whether a request speaks rpc-v2-cbor."""
    return request.headers.get("smithy-protocol", "") == "rpc-v2-cbor" or (
        request.path.startswith("/service/") and "/operation/" in request.path
    )


def parse_cbor(model: ServiceModel, request: HttpRequest) -> tuple[OperationModel, dict]:
    """The operation named in the path and its parameters from the CBOR body."""
    name = request.path.rstrip("/").rsplit("/operation/", 1)[-1]
    if name not in model.operation_names:
        raise WireError("UnknownOperationException", f"Unknown operation {name}")
    return _decoded(model.operation_model(name), request.body)


def _decoded(
    operation: OperationModel, payload: bytes, semantic: dict | None = None
) -> tuple[OperationModel, dict]:
    body: Any = {}
    if payload:
        try:
            body = (
                cbor2.loads(payload, semantic_decoders=semantic)
                if semantic
                else cbor2.loads(payload)
            )
        except Exception:  # cbor2 raises several types for malformed input
            raise WireError("SerializationException", "The CBOR body is malformed.") from None
    if not isinstance(body, dict):
        raise WireError("SerializationException", "Expected a CBOR map as the request body.")
    shape = operation.input_shape
    return operation, (_decode(shape, body) if shape is not None else {})


def _decode(shape: Shape, value: Any) -> Any:
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            if name in value and value[name] is not None:
                out[name] = _decode(member, value[name])
        return out
    if kind == "list" and isinstance(value, list):
        return [_decode(shape.member, item) for item in value]  # type: ignore[attr-defined]
    if kind == "map" and isinstance(value, dict):
        return {k: _decode(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    if kind == "timestamp" and isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if kind in ("double", "float") and isinstance(value, int):
        return float(value)
    return value


def _plain(value: Any, millis: bool = False) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v, millis) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v, millis) for v in value]
    if isinstance(value, datetime):
        if millis:
            return cbor2.CBORTag(1, round(value.timestamp() * 1000))
        return cbor2.CBORTag(1, value.timestamp())
    return value


def cloudwatch_query_code(code: str) -> str:
    """The shape name CloudWatch's JSON and CBOR errors carry for a query error code."""
    from engine.model import service_model

    for name in service_model("cloudwatch").error_shapes:
        if name.error_code == code:
            return name.name
    return "ValidationException" if code == "ValidationError" else code


def cbor_response(result: dict, request_id: str) -> HttpResponse:
    """A CBOR answer."""
    return HttpResponse(
        200,
        {
            "content-type": CONTENT_TYPE,
            "smithy-protocol": "rpc-v2-cbor",
            "x-amzn-requestid": request_id,
        },
        cbor2.dumps(_plain(result)),
    )


def cbor_error(
    model: ServiceModel | None,
    code: str,
    message: str,
    status: int,
    extra: dict[str, Any],
    sender: bool,
    request_id: str,
) -> HttpResponse:
    """A CBOR error: `__type` names the shape; query-compatible services add their code."""
    headers = {
        "content-type": CONTENT_TYPE,
        "smithy-protocol": "rpc-v2-cbor",
        "x-amzn-requestid": request_id,
    }
    type_name = extra.get("QueryErrorCode") or code
    if model is not None and "awsQueryCompatible" in model.metadata:
        fault = extra.get("Type") or ("Sender" if sender else "Receiver")
        headers["x-amzn-query-error"] = f"{code};{fault}"
    body: dict[str, Any] = {"__type": type_name}
    if message:  # AWS leaves an empty message out
        body["message"] = message
    for key, value in extra.items():
        if key not in ("QueryErrorCode", "Type"):
            body[key] = value
    return HttpResponse(status, headers, cbor2.dumps(_plain(body)))
