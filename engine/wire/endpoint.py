"""The AWS-compatible endpoint: HTTP requests in AWS's wire protocols → engine operations → responses.

Protocols are driven by botocore's models: `json` (X-Amz-Target), `query` (Action=…, XML answers;
SNS, and SQS's legacy form through `sqs_query`), `rest-json` and `rest-xml` (URI templates,
headers, payloads). Errors are serialized the way each protocol carries them, with modeled members
encoded through the error's shape, so botocore's parsers and error classes work unchanged.
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Any

from botocore import xform_name
from botocore.model import OperationModel, ServiceModel

from engine.errors import ServiceError
from engine.http import HttpRequest, HttpResponse
from engine.identity import caller_access_key, caller_over_wire, caller_region
from engine.model import service_metadata, service_model
from engine.services.sqs.errors import missing_parameter

from .cbor import (
    amz_cbor_error,
    amz_cbor_response,
    cbor_error,
    cbor_response,
    cloudwatch_query_code,
    is_amz_cbor,
    is_cbor,
    parse_amz_cbor,
    parse_cbor,
)
from .chunked import is_aws_chunked, unchunked
from .errors import WireError, json_error, query_error, rest_json_error, rest_xml_error
from .requests import parse_json, parse_query, parse_rest, query_fields
from .responses import json_response, query_response, rest_response
from .routing import caller_of, signing_names, target_prefixes
from .s3_listing import encode_listing
from .sqs_query import SQS_QUERY_NAMESPACE, queue_url_from_path, sqs_query_model

if TYPE_CHECKING:
    from engine.engine import Engine

#: The engine validator's words for a missing top-level parameter (boto3 would check it first).
_MISSING_TOP_LEVEL = re.compile(r'Missing required parameter in input: "(\w+)"')
_MISSING_NESTED = re.compile(r"Missing required parameter in (?!input:)")

#: The largest request body the endpoint reads (S3 single PUTs in a lab stay far below AWS's 5 GB).
MAX_BODY = 64 * 1024 * 1024
#: The largest body per protocol: DynamoDB's 16 MB requests bound the JSON protocol, Lambda's
#: 50 MB zip (base64 in JSON) the REST JSON one, S3's lab-sized PUTs the REST XML one.
BODY_LIMITS = {
    "json": 16 * 1024 * 1024,
    "json-cbor": 16 * 1024 * 1024,
    "query": 16 * 1024 * 1024,
    "rest-json": 70 * 1024 * 1024,
    "rest-xml": MAX_BODY,
    "smithy-rpc-v2-cbor": 16 * 1024 * 1024,
}

__all__ = ["BODY_LIMITS", "MAX_BODY", "Served", "WireEndpoint", "WireError"]


class Served:
    """What one request turned out to be, for the access log: service and operation names."""

    __slots__ = ("service", "operation")

    def __init__(self) -> None:
        self.service = "-"
        self.operation = "-"


class WireEndpoint:
    """Turns HTTP requests into calls on the engine's public clients, and their results back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._services = tuple(engine.available_services())

    # -- entry ------------------------------------------------------------------------------
    async def handle(self, request: HttpRequest, served: Served | None = None) -> HttpResponse:
        """Answer one request; never raises. `served` learns the service and operation."""
        service: str | None = None
        protocol = "json"
        try:
            api = self._api_gateway_for(request)
            if api is not None:
                if served is not None:
                    served.service = "execute-api"
                return await api
            service, protocol = self._service_for(request)
            if served is not None:
                served.service = service
            model, operation, params = self._parse(service, protocol, request)
            if served is not None:
                served.operation = operation.name
            if self.engine.trace.enabled:
                self._trace_request(request, service, operation)
            # The engine call runs as the caller's key: STS and IAM answer for it, and with
            # enforcement on its policies decide the call (unknown keys act as the lab's admin).
            caller = caller_of(request)
            token = caller_access_key.set(caller.access_key)
            wire_token = caller_over_wire.set(f"{service}:{operation.name}")
            region_token = caller_region.set(caller.region or None)
            try:
                result = await self._call(service, operation, params)
            finally:
                caller_over_wire.reset(wire_token)
                caller_access_key.reset(token)
                caller_region.reset(region_token)
            if service == "s3":
                result = encode_listing(operation.name, params, result)
            response = self._respond(model, protocol, operation, result)
            response.status = self.engine.service(service).http_status.get(
                operation.name, response.status
            )
        except ServiceError as error:
            response = self._error_response(
                service,
                protocol,
                error.code,
                error.message,
                error.status_code,
                error.extra,
                error.sender_fault,
            )
            response.headers.update(error.headers)
        except WireError as error:
            response = self._error_response(
                service, protocol, error.code, error.message, error.status
            )
        except RecursionError:  # nesting the parsers let through still gets a 400, not a 500
            response = self._error_response(
                service,
                protocol,
                "SerializationException",
                "The request is nested too deeply.",
                400,
            )
        except Exception as error:  # a bug must not take the listener down
            self.engine.report_error("wire", request.path, error)
            response = self._error_response(
                service, protocol, "InternalFailure", f"{type(error).__name__}: {error}", 500
            )
        if service == "dynamodb":
            _add_crc32(response)
        return response

    def is_api_gateway(self, request: HttpRequest) -> bool:
        """Whether the request is for a deployed API's URL (its own CORS rules answer browsers)."""
        return "/_user_request_/" in request.path or ".execute-api." in request.host

    def identify(self, request: HttpRequest, served: Served) -> None:
        """Fill in the service (and a JSON request's operation) from the headers alone."""
        try:
            served.service = self._service_for(request)[0]
        except WireError:
            return
        target = request.headers.get("x-amz-target")
        if target:
            served.operation = target.rsplit(".", 1)[-1]

    def protocol_of(self, request: HttpRequest) -> str:
        """The wire protocol the request speaks, from its headers alone (json when unknown)."""
        try:
            return self._service_for(request)[1]
        except WireError:
            return "json"

    def refuse(self, request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
        """An access-denied answer in the protocol of the service the request is for."""
        protocol = self.protocol_of(request)
        code = "AccessDenied" if protocol in ("query", "rest-xml") else "AccessDeniedException"
        return self.error_for(request, code, message, status)

    def error_for(self, request: HttpRequest, code: str, message: str, status: int) -> HttpResponse:
        """Error `code` answered in the protocol of the service the request is for."""
        try:
            service, protocol = self._service_for(request)
        except WireError:
            service, protocol = None, "json"
        return self._error_response(service, protocol, code, message, status)

    def _trace_request(self, request: HttpRequest, service: str, operation: OperationModel) -> None:
        caller = caller_of(request)
        self.engine.trace.emit(
            "request",
            "wire",
            f"{service}:{operation.name}",
            access_key=caller.access_key,
            region=caller.region,
            method=request.method,
            path=request.path,
        )

    def _api_gateway_for(self, request: HttpRequest) -> Any:
        """A pending API Gateway answer when the request is for a deployed API's URL."""
        if not self.is_api_gateway(request):
            return None
        for name in ("apigateway", "apigatewayv2"):
            if name in self._services:
                handler = getattr(self.engine.service(name), "handle_http", None)
                if handler is not None:
                    return handler(request)
        return None

    # -- which service --------------------------------------------------------------------------
    def _service_for(self, request: HttpRequest) -> tuple[str, str]:
        target = request.headers.get("x-amz-target")
        if target:
            service = target_prefixes(self._services).get(target.rsplit(".", 1)[0])
            if service is None:
                raise WireError("UnknownOperationException", f"Unknown target: {target}")
            return service, "json-cbor" if is_amz_cbor(request) else "json"
        caller = caller_of(request)
        candidates = signing_names(self._services).get(caller.signing_name, [])
        if not candidates:
            candidates = self._guess_from_host(request)
        if not candidates:
            raise WireError(
                "UnrecognizedClientException",
                "The request does not name a service: sign it (SigV4) or send X-Amz-Target.",
            )
        if len(candidates) > 1:
            if "apigatewayv2" in candidates and request.path.startswith("/v2/"):
                return "apigatewayv2", "rest-json"
            candidates = [c for c in candidates if c != "apigatewayv2"] or candidates
        service = candidates[0]
        if is_cbor(request):
            return service, "smithy-rpc-v2-cbor"
        content_type = request.headers.get("content-type", "")
        protocols = service_metadata(service).get("protocols", [])
        if "query" in protocols and "x-www-form-urlencoded" in content_type:
            return service, "query"
        if service == "sqs":
            # Without X-Amz-Target an SQS request is in the legacy query protocol.
            return service, "query"
        return service, service_metadata(service)["protocol"]

    def _guess_from_host(self, request: HttpRequest) -> list[str]:
        host = request.host
        for name in self._services:
            prefix = service_metadata(name).get("endpointPrefix", name)
            if host.startswith(f"{prefix}."):
                return [name]
        return []

    # -- parsing ----------------------------------------------------------------------------------
    def _parse(
        self, service: str, protocol: str, request: HttpRequest
    ) -> tuple[ServiceModel, OperationModel, dict]:
        if protocol == "json":
            model = service_model(service)
            return model, *parse_json(model, request)
        if protocol == "json-cbor":
            model = service_model(service)
            return model, *parse_amz_cbor(model, request)
        if protocol == "smithy-rpc-v2-cbor":
            model = service_model(service)
            return model, *parse_cbor(model, request)
        if protocol == "query":
            fields = query_fields(request)
            if service == "sqs":
                model = sqs_query_model()
                if "QueueUrl" not in fields:
                    url = queue_url_from_path(
                        request.scheme, request.headers.get("host", ""), request.path
                    )
                    if url is not None:
                        fields["QueueUrl"] = url
            else:
                model = service_model(service)
            invalid = self.engine.service(service).validation_error_code
            return model, *parse_query(model, fields, invalid)
        if is_aws_chunked(request):
            request = unchunked(request)
        return service_model(service), *parse_rest(service, protocol, request)

    # -- calling ----------------------------------------------------------------------------------
    async def _call(self, service: str, operation: OperationModel, params: dict) -> dict:
        client = self.engine.client(service)
        method = getattr(client, xform_name(operation.name))
        try:
            result = await method(**params)
        except ServiceError as error:
            if error.code == "ParamValidationError":
                raise self._server_side(service, error) from None
            raise
        result.pop("ResponseMetadata", None)
        return result

    def _server_side(self, service: str, error: ServiceError) -> ServiceError:
        """Over the wire, what boto3 checks before sending is AWS's server-side validation."""
        problems = error.message.replace("Parameter validation failed:\n", "")
        missing = _MISSING_TOP_LEVEL.match(problems)
        if service == "sqs" and missing:
            # SQS names a missing parameter with its own code (the legacy query form meets this).
            return missing_parameter(missing.group(1))
        if service == "s3" and _MISSING_NESTED.match(problems):
            # S3 reads a body missing a required element as XML that fails its schema.
            return ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our "
                "published schema",
            )
        code = self.engine.service(service).validation_error_code
        worded = error.aws_problems
        if worded and service_metadata(service).get("protocol") == "json":
            # The JSON-protocol services answer in their framework's words.
            noun = "error" if len(worded) == 1 else "errors"
            return ServiceError(
                code, f"{len(worded)} validation {noun} detected: " + "; ".join(worded)
            )
        return ServiceError(code, problems)

    # -- responding ---------------------------------------------------------------------------------
    def _respond(
        self, model: ServiceModel, protocol: str, operation: OperationModel, result: dict
    ) -> HttpResponse:
        request_id = self.engine.ids.request_id()
        if protocol == "json":
            return json_response(model, operation, result, request_id)
        if protocol == "smithy-rpc-v2-cbor":
            return cbor_response(result, request_id)
        if protocol == "json-cbor":
            return amz_cbor_response(result, request_id)
        if protocol == "query":
            return query_response(model, operation, result, request_id)
        return rest_response(protocol, operation, result, request_id)

    def _error_response(
        self,
        service: str | None,
        protocol: str,
        code: str,
        message: str,
        status: int,
        extra: dict | None = None,
        sender: bool = True,
    ) -> HttpResponse:
        request_id = self.engine.ids.request_id()
        if status == 304:  # Not Modified (S3's conditional GET): no body, as HTTP says
            return HttpResponse(304, {"x-amz-request-id": request_id}, b"")
        status = status if status >= 400 else 400
        sender = sender and status < 500
        extra = extra or {}
        if service == "cloudwatch" and "QueryErrorCode" not in extra:
            extra = {**extra, "QueryErrorCode": cloudwatch_query_code(code)}
        try:
            return self._serialize_error(
                service, protocol, code, message, status, extra, sender, request_id
            )
        except Exception as error:  # an unserializable member must still give an answer
            self.engine.report_error("wire", code, error)
            return self._serialize_error(
                service, protocol, code, message, status, {}, sender, request_id
            )

    def _serialize_error(
        self,
        service: str | None,
        protocol: str,
        code: str,
        message: str,
        status: int,
        extra: dict,
        sender: bool,
        request_id: str,
    ) -> HttpResponse:
        if protocol == "smithy-rpc-v2-cbor":
            model = service_model(service) if service else None
            return cbor_error(model, code, message, status, extra, sender, request_id)
        if protocol in ("json", "json-cbor"):
            headers, body = json_error(service, code, message, extra, sender)
            version = (
                service_model(service).metadata.get("jsonVersion", "1.0") if service else "1.0"
            )
            headers.update(
                {
                    "content-type": f"application/x-amz-json-{version}",
                    "x-amzn-requestid": request_id,
                }
            )
            if protocol == "json-cbor":
                return amz_cbor_error(status, headers, body)
            return HttpResponse(status, headers, body)
        if protocol == "query":
            if service == "sqs":
                namespace = SQS_QUERY_NAMESPACE
            else:
                namespace = (
                    service_model(service).metadata.get("xmlNamespace", "") if service else ""
                )
            body = query_error(namespace, service, code, message, extra, sender, request_id)
            return HttpResponse(
                status, {"content-type": "text/xml", "x-amzn-requestid": request_id}, body
            )
        if protocol == "rest-xml":
            body = rest_xml_error(service, code, message, extra, request_id)
            return HttpResponse(
                status, {"content-type": "application/xml", "x-amz-request-id": request_id}, body
            )
        headers, body = rest_json_error(service, code, message, extra)
        headers.update({"content-type": "application/json", "x-amzn-requestid": request_id})
        return HttpResponse(status, headers, body)


def _add_crc32(response: HttpResponse) -> None:
    """DynamoDB signs every answer with the CRC32 of its body; botocore checks it when present."""
    response.headers["x-amz-crc32"] = str(zlib.crc32(response.body))
