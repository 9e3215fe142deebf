"""The AWS-compatible endpoint: HTTP requests in AWS's wire protocols → engine operations → responses.

Protocols are driven by botocore's models: `json` (X-Amz-Target), `query` (Action=…, XML answers),
`rest-json` and `rest-xml` (URI templates, headers, payloads). Errors are serialized the way each
protocol carries them, so botocore's parsers and error classes work unchanged.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote
from xml.etree import ElementTree

from botocore import xform_name
from botocore.model import OperationModel

from engine.errors import ServiceError
from engine.http import HttpRequest, HttpResponse
from engine.model import service_model

from .codec import (
    decode_json,
    decode_query,
    decode_xml,
    encode_json,
    encode_xml,
    parse_scalar,
    read_blob,
    scalar_text,
)
from .routing import caller_of, match_route, signing_names, target_prefixes

if TYPE_CHECKING:
    from engine.engine import Engine

#: The largest request body the endpoint reads (S3 single PUTs in a lab stay far below AWS's 5 GB).
MAX_BODY = 64 * 1024 * 1024
_S3_HOST_SUFFIXES = (".s3.localhost", ".localhost", ".s3.amazonaws.com")


class WireError(Exception):
    """A request the endpoint cannot map to an operation (bad target, action, body …)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class WireEndpoint:
    """Turns HTTP requests into calls on the engine's public clients, and their results back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._services = tuple(engine.available_services())

    # -- entry ------------------------------------------------------------------------------
    async def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request; never raises."""
        service = operation = None
        protocol = "json"
        try:
            api = self._api_gateway_for(request)
            if api is not None:
                return await api
            service, protocol = self._service_for(request)
            operation, params = self._parse(service, protocol, request)
            if self.engine.trace.enabled:
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
            result = await self._call(service, operation, params)
            return self._respond(service, protocol, operation, result)
        except ServiceError as error:
            return self._error(
                service,
                protocol,
                operation,
                error.code,
                error.message,
                error.status_code,
                error.extra,
            )
        except WireError as error:
            return self._error(
                service, protocol, operation, error.code, error.message, error.status
            )
        except Exception as error:  # a bug must not take the listener down
            self.engine.trace.emit(
                "engine-error", "wire", request.path, error=f"{type(error).__name__}: {error}"
            )
            return self._error(
                service,
                protocol,
                operation,
                "InternalFailure",
                f"{type(error).__name__}: {error}",
                500,
            )

    def _api_gateway_for(self, request: HttpRequest) -> Any:
        """A pending API Gateway answer when the request is for a deployed API's URL."""
        path = request.path
        host = request.host
        if "/_user_request_/" not in path and ".execute-api." not in host:
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
            prefix = target.rsplit(".", 1)[0]
            service = target_prefixes(self._services).get(prefix)
            if service is None:
                raise WireError("UnknownOperationException", f"Unknown target: {target}")
            return service, "json"
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
        return service, service_model(service).metadata["protocol"]

    def _guess_from_host(self, request: HttpRequest) -> list[str]:
        host = request.host
        for name in self._services:
            prefix = service_model(name).metadata.get("endpointPrefix", name)
            if host.startswith(f"{prefix}."):
                return [name]
        return []

    # -- parsing ----------------------------------------------------------------------------------
    def _parse(
        self, service: str, protocol: str, request: HttpRequest
    ) -> tuple[OperationModel, dict]:
        model = service_model(service)
        if protocol == "json":
            name = request.headers.get("x-amz-target", "").rsplit(".", 1)[-1]
            if name not in model.operation_names:
                raise WireError("UnknownOperationException", f"Unknown operation {name}")
            operation = model.operation_model(name)
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                raise WireError(
                    "SerializationException", "Start of structure or map found where not expected."
                ) from None
            if not isinstance(body, dict):
                raise WireError("SerializationException", "Start of list found where not expected")
            return operation, decode_json(operation.input_shape, body) or {}
        if protocol == "query":
            content_type = request.headers.get("content-type", "")
            fields = dict(request.query)
            if request.body:
                if "x-www-form-urlencoded" not in content_type and content_type:
                    raise WireError(
                        "InvalidParameterValue", f"Unsupported content type: {content_type}"
                    )
                fields.update(
                    parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
                )
            action = fields.pop("Action", None)
            fields.pop("Version", None)
            if not action:
                raise WireError("MissingAction", "Missing Action")
            if action not in model.operation_names:
                raise WireError(
                    "InvalidAction", f"The action {action} is not valid for this web service."
                )
            operation = model.operation_model(action)
            params = decode_query(operation.input_shape, fields) if operation.input_shape else {}
            return operation, params or {}
        return self._parse_rest(service, protocol, request)

    def _parse_rest(
        self, service: str, protocol: str, request: HttpRequest
    ) -> tuple[OperationModel, dict]:
        path = request.path
        if service == "s3":
            path = self._s3_path_style(request)
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
        params: dict[str, Any] = {}
        if shape is None:
            return operation, params
        query = request.query
        payload_name = shape.serialization.get("payload")
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire_name = member.serialization.get("name", name)
            if location == "uri":
                if wire_name in labels:
                    params[name] = parse_scalar(member, labels[wire_name])
            elif location == "querystring":
                if member.type_name == "map":
                    params[name] = {k: v for k, v in query if k not in route.static_query}
                    if not params[name]:
                        del params[name]
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
                if value is not None:
                    if member.type_name == "list":
                        params[name] = [
                            parse_scalar(member.member, v.strip()) for v in value.split(",")
                        ]
                    elif member.serialization.get("jsonvalue"):
                        params[name] = json.loads(base64.b64decode(value))
                    else:
                        params[name] = parse_scalar(member, value)
            elif location == "headers":
                prefix = wire_name.lower()
                found_headers = {
                    k[len(prefix) :]: v for k, v in request.headers.items() if k.startswith(prefix)
                }
                if found_headers:
                    params[name] = found_headers
        body = request.body
        if payload_name:
            member = shape.members[payload_name]
            if member.type_name in ("blob", "string"):
                if body or member.type_name == "blob":
                    params[payload_name] = body if member.type_name == "blob" else body.decode()
            elif body:
                params[payload_name] = self._decode_body(protocol, member, body)
        elif body:
            decoded = self._decode_body(protocol, shape, body)
            if isinstance(decoded, dict):
                for key, value in decoded.items():
                    if key in shape.members and not shape.members[key].serialization.get(
                        "location"
                    ):
                        params[key] = value
        return operation, params

    def _decode_body(self, protocol: str, shape: Any, body: bytes) -> Any:
        if protocol == "rest-xml":
            try:
                root = ElementTree.fromstring(body)
            except ElementTree.ParseError:
                raise WireError(
                    "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our published schema",
                ) from None
            return decode_xml(shape, root)
        try:
            data = json.loads(body)
        except ValueError:
            raise WireError(
                "SerializationException", "Unable to parse the request body as JSON."
            ) from None
        return decode_json(shape, data)

    def _s3_path_style(self, request: HttpRequest) -> str:
        """S3 virtual-host requests (`bucket.s3.localhost`) rewritten to path style."""
        host = request.host
        for suffix in _S3_HOST_SUFFIXES:
            if host.endswith(suffix) and host != suffix.lstrip("."):
                bucket = host[: -len(suffix)]
                if bucket and not bucket.startswith("s3"):
                    return f"/{quote(bucket)}{request.path if request.path != '/' else ''}"
        return request.path

    # -- calling ----------------------------------------------------------------------------------
    async def _call(self, service: str, operation: OperationModel, params: dict) -> dict:
        client = self.engine.client(service)
        method = getattr(client, xform_name(operation.name))
        try:
            result = await method(**params)
        except ServiceError as error:
            if error.code == "ParamValidationError":
                # Over the wire, what boto3 checks before sending is AWS's server-side validation.
                service_object = self.engine.service(service)
                raise ServiceError(
                    service_object.validation_error_code,
                    error.message.replace("Parameter validation failed:\n", ""),
                ) from None
            raise
        result.pop("ResponseMetadata", None)
        return result

    # -- responding ---------------------------------------------------------------------------------
    def _respond(
        self, service: str, protocol: str, operation: OperationModel, result: dict
    ) -> HttpResponse:
        request_id = self.engine.ids.request_id()
        shape = operation.output_shape
        if protocol == "json":
            body = encode_json(shape, result) if shape is not None else {}
            version = service_model(service).metadata.get("jsonVersion", "1.0")
            return HttpResponse(
                200,
                {
                    "content-type": f"application/x-amz-json-{version}",
                    "x-amzn-requestid": request_id,
                },
                json.dumps(body).encode(),
            )
        if protocol == "query":
            namespace = service_model(service).metadata.get("xmlNamespace", "")
            root = ElementTree.Element(f"{operation.name}Response", {"xmlns": namespace})
            if shape is not None:
                wrapper = shape.serialization.get("resultWrapper", f"{operation.name}Result")
                result_element = ElementTree.SubElement(root, wrapper)
                for name, member in shape.members.items():
                    if name in result:
                        encode_xml(
                            result_element,
                            member,
                            result[name],
                            member.serialization.get("name", name),
                        )
            metadata = ElementTree.SubElement(root, "ResponseMetadata")
            ElementTree.SubElement(metadata, "RequestId").text = request_id
            return HttpResponse(
                200,
                {"content-type": "text/xml", "x-amzn-requestid": request_id},
                ElementTree.tostring(root, xml_declaration=False),
            )
        return self._respond_rest(protocol, operation, result, request_id)

    def _respond_rest(
        self, protocol: str, operation: OperationModel, result: dict, request_id: str
    ) -> HttpResponse:
        shape = operation.output_shape
        status = operation.http.get("responseCode", 200)
        headers = {"x-amzn-requestid": request_id, "x-amz-request-id": request_id}
        if shape is None:
            return HttpResponse(status, headers, b"")
        body = b""
        payload_name = shape.serialization.get("payload")
        for name, member in shape.members.items():
            if name not in result or result[name] is None:
                continue
            location = member.serialization.get("location")
            wire_name = member.serialization.get("name", name)
            value = result[name]
            if location == "statusCode":
                status = int(value)
            elif location == "header":
                if member.serialization.get("jsonvalue"):
                    headers[wire_name.lower()] = base64.b64encode(
                        json.dumps(value).encode()
                    ).decode()
                elif member.type_name == "list":
                    headers[wire_name.lower()] = ",".join(
                        scalar_text(member.member, v) for v in value
                    )
                else:
                    headers[wire_name.lower()] = scalar_text(member, value, "rfc822")
            elif location == "headers":
                for key, item in value.items():
                    headers[f"{wire_name.lower()}{key}"] = str(item)
        if payload_name:
            member = shape.members[payload_name]
            value = result.get(payload_name)
            if value is not None:
                if member.type_name in ("blob", "string"):
                    body = read_blob(value)
                    headers.setdefault("content-type", "application/octet-stream")
                elif protocol == "rest-xml":
                    root = ElementTree.Element("root")
                    encode_xml(root, member, value, member.serialization.get("name", payload_name))
                    body = ElementTree.tostring(root[0])
                    headers["content-type"] = "application/xml"
                else:
                    body = json.dumps(encode_json(member, value)).encode()
                    headers["content-type"] = "application/json"
        elif protocol == "rest-xml":
            root = ElementTree.Element("root")
            body_members = {
                k: v
                for k, v in result.items()
                if k in shape.members and not shape.members[k].serialization.get("location")
            }
            if body_members:
                encode_xml(root, shape, body_members, shape.serialization.get("name", shape.name))
                element = root[0]
                if "xmlns" not in element.attrib:
                    element.set("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/")
                body = ElementTree.tostring(element)
                headers["content-type"] = "application/xml"
        else:
            body = json.dumps(encode_json(shape, result)).encode()
            headers["content-type"] = "application/json"
        return HttpResponse(status, headers, body)

    def _error(
        self,
        service: str | None,
        protocol: str,
        operation: OperationModel | None,
        code: str,
        message: str,
        status: int,
        extra: dict | None = None,
    ) -> HttpResponse:
        request_id = self.engine.ids.request_id()
        status = status if status >= 400 else 400
        extra = extra or {}
        if protocol == "json":
            headers = {"content-type": "application/x-amz-json-1.0", "x-amzn-requestid": request_id}
            query_code = extra.get("QueryErrorCode")
            type_name = code
            if query_code and query_code != code:
                # SQS speaks JSON but keeps its query-era codes: botocore reads them from this header.
                headers["x-amzn-query-error"] = f"{code};{extra.get('Type', 'Sender')}"
                type_name = query_code
            body = {"__type": type_name, "message": message}
            body.update({k: v for k, v in extra.items() if k not in ("QueryErrorCode", "Type")})
            return HttpResponse(status, headers, json.dumps(body).encode())
        if protocol == "query":
            namespace = service_model(service).metadata.get("xmlNamespace", "") if service else ""
            root = ElementTree.Element("ErrorResponse", {"xmlns": namespace})
            error = ElementTree.SubElement(root, "Error")
            ElementTree.SubElement(error, "Type").text = "Sender" if status < 500 else "Receiver"
            ElementTree.SubElement(error, "Code").text = code
            ElementTree.SubElement(error, "Message").text = message
            ElementTree.SubElement(root, "RequestId").text = request_id
            return HttpResponse(status, {"content-type": "text/xml"}, ElementTree.tostring(root))
        if protocol == "rest-xml":
            root = ElementTree.Element("Error")
            ElementTree.SubElement(root, "Code").text = code
            ElementTree.SubElement(root, "Message").text = message
            for key, value in extra.items():
                ElementTree.SubElement(root, key).text = str(value)
            ElementTree.SubElement(root, "RequestId").text = request_id
            return HttpResponse(
                status,
                {"content-type": "application/xml", "x-amz-request-id": request_id},
                ElementTree.tostring(root),
            )
        body = {"message": message, "Message": message}
        body.update(extra)
        return HttpResponse(
            status,
            {
                "content-type": "application/json",
                "x-amzn-errortype": code,
                "x-amzn-requestid": request_id,
            },
            json.dumps(body, default=str).encode(),
        )
