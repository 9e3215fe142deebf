"""HTTP API Lambda proxy payloads: the 2.0 and 1.0 events, and how a function's answer becomes HTTP."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from engine.http import HttpRequest, HttpResponse

#: Content types whose bodies reach the function as text; anything else is base64-encoded.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


class MalformedResponse(Exception):
    """The function's answer breaks the proxy response contract (the API answers 500)."""


@dataclass(slots=True)
class HttpCall:
    """One HTTP API request as the integration sees it, after routing and authorization."""

    api_id: str
    stage: str
    request: HttpRequest
    route_key: str
    route_path: str
    path_parameters: dict[str, str]
    request_id: str
    started: float
    domain: str
    account_id: str
    stage_variables: dict[str, str]
    authorizer: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def raw_path(self) -> str:
        """The path as the client sent it (with the stage prefix for named stages)."""
        if self.stage == "$default":
            return self.request.path
        return f"/{self.stage}{self.request.path}"


def is_text(content_type: str) -> bool:
    """Whether API Gateway passes a body of this content type as text."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return not kind or kind.startswith(_TEXT_TYPES) or kind.endswith(("+json", "+xml"))


def _body(request: HttpRequest) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    if is_text(request.headers.get("content-type", "")):
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode(), True


def _request_time(epoch: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch))


def event_v2(call: HttpCall) -> dict[str, Any]:
    """The payload format 2.0 event."""
    request = call.request
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers.items():
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        else:
            headers[name] = value
    query: dict[str, str] = {}
    for key, value in request.query:
        query[key] = f"{query[key]},{value}" if key in query else value
    raw_query = "&".join(f"{k}={v}" if v != "" else k for k, v in request.query)
    body, encoded = _body(request)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": call.route_key,
        "rawPath": call.raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    context: dict[str, Any] = {
        "accountId": call.account_id,
        "apiId": call.api_id,
        "domainName": call.domain,
        "domainPrefix": call.api_id,
        "http": {
            "method": request.method,
            "path": call.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": request.headers.get("user-agent", ""),
        },
        "requestId": call.request_id,
        "routeKey": call.route_key,
        "stage": call.stage,
        "time": _request_time(call.started),
        "timeEpoch": int(call.started * 1000),
    }
    if call.authorizer is not None:
        context["authorizer"] = call.authorizer
    event["requestContext"] = context
    if body is not None:
        event["body"] = body
    if call.path_parameters:
        event["pathParameters"] = dict(call.path_parameters)
    event["isBase64Encoded"] = encoded
    if call.stage_variables:
        event["stageVariables"] = dict(call.stage_variables)
    return event


def event_v1(call: HttpCall) -> dict[str, Any]:
    """The payload format 1.0 event (REST's proxy event shape, with HTTP API's request context)."""
    request = call.request
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in request.query:
        query[key] = value
        multi_query.setdefault(key, []).append(value)
    body, encoded = _body(request)
    identity = {
        "accessKey": None,
        "accountId": None,
        "caller": None,
        "cognitoAmr": None,
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": None,
        "sourceIp": request.source_ip,
        "user": None,
        "userAgent": request.headers.get("user-agent", ""),
        "userArn": None,
    }
    context: dict[str, Any] = {
        "accountId": call.account_id,
        "apiId": call.api_id,
        "domainName": call.domain,
        "domainPrefix": call.api_id,
        "extendedRequestId": call.request_id,
        "httpMethod": request.method,
        "identity": identity,
        "path": call.raw_path,
        "protocol": "HTTP/1.1",
        "requestId": call.request_id,
        "requestTime": _request_time(call.started),
        "requestTimeEpoch": int(call.started * 1000),
        "resourceId": call.route_key,
        "resourcePath": call.route_path,
        "stage": call.stage,
    }
    if call.authorizer is not None:
        context["authorizer"] = _v1_authorizer(call.authorizer)
    return {
        "version": "1.0",
        "resource": call.route_path,
        "path": call.raw_path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "requestContext": context,
        "pathParameters": dict(call.path_parameters) or None,
        "stageVariables": dict(call.stage_variables) or None,
        "body": body,
        "isBase64Encoded": encoded,
    }


def _v1_authorizer(authorizer: dict[str, Any]) -> dict[str, Any]:
    """Payload 1.0 flattens the authorizer: JWT claims and scopes, or the Lambda context."""
    if "jwt" in authorizer:
        return {"claims": authorizer["jwt"]["claims"], "scopes": authorizer["jwt"]["scopes"]}
    if "lambda" in authorizer:
        return dict(authorizer["lambda"] or {})
    return dict(authorizer)


def response_v2(result: Any) -> HttpResponse:
    """A 2.0 function answer as HTTP: a dict with statusCode is structured, other JSON is the body."""
    if isinstance(result, dict) and "statusCode" in result:
        return _structured(result, allow_cookies=True)
    if isinstance(result, str):
        # A bare string result is itself the body (sent as JSON text, as AWS does).
        return HttpResponse(200, {"content-type": "application/json"}, result.encode())
    return HttpResponse(200, {"content-type": "application/json"}, json.dumps(result).encode())


def response_v1(result: Any) -> HttpResponse:
    """A 1.0 function answer as HTTP; anything but the documented shape is malformed."""
    if not isinstance(result, dict):
        raise MalformedResponse("the function must return an object")
    allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
    if set(result) - allowed:
        raise MalformedResponse(f"unexpected fields {sorted(set(result) - allowed)}")
    return _structured(result, allow_cookies=False)


def _structured(result: dict[str, Any], *, allow_cookies: bool) -> HttpResponse:
    status = result.get("statusCode", 200)
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedResponse(f"invalid statusCode {status!r}")
    headers: dict[str, str] = {}
    raw_headers = result.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise MalformedResponse("headers must be an object")
    for key, value in raw_headers.items():
        headers[str(key).lower()] = value if isinstance(value, str) else json.dumps(value)
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(multi, dict):
        raise MalformedResponse("multiValueHeaders must be an object")
    for key, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponse("multiValueHeaders values must be lists")
        headers[str(key).lower()] = ",".join(str(v) for v in values)
    if allow_cookies and result.get("cookies"):
        cookies = result["cookies"]
        if not isinstance(cookies, list):
            raise MalformedResponse("cookies must be a list")
        headers["set-cookie"] = ", ".join(str(c) for c in cookies)
    body = result.get("body")
    if body is None:
        payload = b""
    elif not isinstance(body, str):
        raise MalformedResponse("body must be a string")
    elif result.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(body, validate=True)
        except ValueError:
            raise MalformedResponse("body is not valid base64") from None
    else:
        payload = body.encode()
    headers.setdefault("content-type", "application/json")
    return HttpResponse(status, headers, payload)
