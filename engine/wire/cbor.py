"""The Smithy RPC v2 CBOR protocol (CloudWatch's default in current SDKs), through cbor2.

Requests are `POST /service/{ServiceName}/operation/{Operation}` with `smithy-protocol:
rpc-v2-cbor` and a CBOR body; answers are CBOR with timestamps as tag 1 (epoch seconds).
Errors carry `__type` in the body and, for awsQueryCompatible services, AWS's query error
code in `x-amzn-query-error`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel, Shape

from engine.http import HttpRequest, HttpResponse

from .errors import WireError

CONTENT_TYPE = "application/cbor"


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
    operation = model.operation_model(name)
    body: Any = {}
    if request.body:
        try:
            body = cbor2.loads(request.body)
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


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
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
