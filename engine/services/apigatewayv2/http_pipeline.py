"""An HTTP API request's journey: stage, CORS preflight, route, throttle, authorize, integrate, respond.

Each step is traced (`request`, `throttled`, `authorized`, `integration`, `response`), and answers
API Gateway gives itself use HTTP APIs' bodies: `{"message":"Not Found"}` (404),
`{"message":"Unauthorized"}` (401), `{"message":"Forbidden"}` (403),
`{"message":"Too Many Requests"}` (429), `{"message":"Internal Server Error"}` (500),
`{"message":"Service Unavailable"}` (503, integration timeout).
"""

from __future__ import annotations

import base64
import json
import re
from collections import deque
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from engine.errors import ServiceError
from engine.http import HttpRequest, HttpResponse
from engine.service import Envelope

from ..apigateway.deadlines import Deadlines
from ..apigateway.latency import Latencies
from ..apigateway.throttle import Buckets
from .auth import AuthCache, Denied, check_jwt, check_lambda
from .models import Api, Cors, Deployment, Integration, Route, Stage
from .payloads import HttpCall, MalformedResponse, event_v1, event_v2, response_v1, response_v2
from .routing import Router

if TYPE_CHECKING:
    from .service import ApiGatewayV2Service

ACCOUNT_RATE, ACCOUNT_BURST = 10_000.0, 5_000
MAX_PAYLOAD = 10 * 1024 * 1024
_LAMBDA_PATH = re.compile(
    r"^arn:aws:apigateway:[^:]*:lambda:path/[^/]+/functions/(.+?)/invocations$"
)
_FUNCTION_ARN = re.compile(
    r"^arn:aws:lambda:[^:]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$"
)
_LAB_HOST = re.compile(r"^([a-z0-9]+)\.execute-api\.[^.]+\.amazonaws\.com$")
_HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding"}
_JSON = "application/json"
T = TypeVar("T")


def lambda_target(uri: str) -> str | None:
    """The function ARN an integration or authorizer URI names (function ARN or invocation URI)."""
    match = _LAMBDA_PATH.match(uri)
    if match:
        return match.group(1)
    return uri if _FUNCTION_ARN.match(uri) else None


def request_id_from(ids: Any) -> str:
    """An API Gateway v2 request id: 16 base64 characters ending in '=' (seeded, cheap)."""
    return base64.b64encode(int(ids.hex(22), 16).to_bytes(11, "big")).decode()


def message(status: int, text: str, headers: dict[str, str] | None = None) -> HttpResponse:
    """An answer API Gateway gives itself: `{"message": text}`."""
    return HttpResponse(
        status,
        {"content-type": _JSON, **(headers or {})},
        json.dumps({"message": text}, separators=(",", ":")).encode(),
    )


class HttpPipeline:
    """Runs requests through HTTP API stages."""

    def __init__(self, service: ApiGatewayV2Service) -> None:
        self.service = service
        self.auth_cache = AuthCache()
        self.counters: dict[str, dict[str, int]] = {}
        #: API id → its request latencies (CloudWatch's Latency).
        self.latencies: dict[str, Latencies] = {}
        self.access_logs: dict[tuple[str, str], deque[str]] = {}
        self._routers: dict[tuple[str, str], Router] = {}
        self._buckets: Buckets | None = None
        self.deadlines = Deadlines(service.clock)

    @property
    def buckets(self) -> Buckets:
        """Token buckets shared with REST APIs (the account-level limit covers both)."""
        if self._buckets is None:
            self._buckets = self.service.engine.service("apigateway").pipeline.buckets
        return self._buckets

    def router(self, api: Api, deployment: Deployment) -> Router:
        """The compiled router of a deployment (deployments never change, so it is kept)."""
        key = (api.id, deployment.id)
        router = self._routers.get(key)
        if router is None:
            router = self._routers[key] = Router(deployment.routes)
        return router

    # -- entry ----------------------------------------------------------------------------------
    async def handle_url(self, request: HttpRequest) -> HttpResponse:
        """Serve `/restapis/{id}/{stage}/_user_request_/…` or host `{id}.execute-api.*` URLs."""
        match = re.match(r"^/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?$", request.path)
        if match:
            api_id, stage, rest = match.group(1), match.group(2), match.group(3) or "/"
        else:
            api_id = request.host.split(".", 1)[0]
            api = self.service.apis.get(api_id)
            if api is None:
                return message(404, "Not Found")
            first, _, remainder = request.path.lstrip("/").partition("/")
            if first and first != "$default" and first in api.stages:
                stage, rest = first, "/" + remainder
            else:
                stage, rest = "$default", request.path or "/"
        api = self.service.apis.get(api_id)
        if api is not None and api.protocol == "WEBSOCKET" and rest.startswith("/@connections/"):
            return await connections_http(self.service, request.method, rest[14:], request.body)
        inner = HttpRequest(
            request.method, rest, request.query, request.headers, request.body, request.source_ip
        )
        return await self.handle(api_id, stage, inner)

    async def handle(self, api_id: str, stage_name: str, request: HttpRequest) -> HttpResponse:
        """Answer one request to an HTTP API stage; never raises."""
        service = self.service
        api = service.apis.get(api_id)
        if api is None or api.protocol != "HTTP":
            return message(404, "Not Found")
        counters = self.counters.get(api_id)
        if counters is None:
            counters = self.counters[api_id] = {"requests": 0, "4xx": 0, "5xx": 0}
        counters["requests"] += 1
        request_id = request_id_from(service.ids)
        started = service.clock.now()
        tracing = service.trace.enabled
        arn = service.arn_of(api_id)
        header = request.headers.get("x-amzn-trace-id", "")
        if header.startswith("Root="):
            trace_id: str | None = header.split(";", 1)[0]
        else:
            trace_id = service.ids.trace_id(started) if tracing else None
        if tracing:
            service.emit(
                "request",
                arn,
                message_id=request_id,
                trace_id=trace_id,
                method=request.method,
                path=request.path,
                stage=stage_name,
            )
        state: dict[str, Any] = {
            "route_key": "-",
            "integration_status": "-",
            "error": "-",
            "trace_id": trace_id,
        }
        try:
            response = await self._run(api, stage_name, request, request_id, started, state)
        except Exception as error:  # a lab bug must still answer like API Gateway
            service.engine.report_error(arn, None, error)
            response = message(500, "Internal Server Error")
        if response.status >= 500:
            counters["5xx"] += 1
        elif response.status >= 400:
            counters["4xx"] += 1
        latencies = self.latencies.get(api_id)
        if latencies is None:
            latencies = self.latencies[api_id] = Latencies()
        latencies.add((service.clock.now() - started) * 1000)
        response.headers["apigw-requestid"] = request_id
        stage = api.stages.get(stage_name)
        if stage is not None and stage.access_log_destination:
            self._access_log(api, stage, request, response, request_id, started, state)
        if tracing:
            service.emit(
                "response",
                arn,
                message_id=request_id,
                trace_id=trace_id,
                status=response.status,
                route=state["route_key"],
                decided_by=state.get("decided_by", "integration"),
            )
        return response

    async def _run(
        self,
        api: Api,
        stage_name: str,
        request: HttpRequest,
        request_id: str,
        started: float,
        state: dict[str, Any],
    ) -> HttpResponse:
        service = self.service
        stage = api.stages.get(stage_name)
        deployment = api.deployments.get(stage.deployment_id or "") if stage else None
        if stage is None or deployment is None:
            state["decided_by"] = "stage"
            return message(404, "Not Found")
        if len(request.body) > MAX_PAYLOAD:
            state["decided_by"] = "size"
            return message(413, "Request Entity Too Large")
        cors = api.cors
        origin = request.headers.get("origin")
        if (
            cors is not None
            and request.method == "OPTIONS"
            and origin
            and "access-control-request-method" in request.headers
        ):
            state["decided_by"] = "cors"
            return HttpResponse(204, _preflight_headers(cors, origin, request), b"")
        matched = self.router(api, deployment).match(request.method, request.path)
        if matched is None:
            state["decided_by"] = "route"
            return self._with_cors(cors, origin, message(404, "Not Found"))
        route, path_parameters = matched
        state["route_key"] = route.key
        if not self._throttle(api, stage, route):
            state["decided_by"] = "throttle"
            self._trace(api, request_id, "throttled", state["trace_id"], route=route.key)
            return self._with_cors(cors, origin, message(429, "Too Many Requests"))
        call = HttpCall(
            api.id,
            stage.name,
            request,
            route.key,
            route.key.partition(" ")[2] or route.key,
            path_parameters,
            request_id,
            started,
            f"{api.id}.execute-api.{service.region}.amazonaws.com",
            service.account_id,
            stage.variables,
        )
        if route.authorization_type != "NONE":
            try:
                call.authorizer = await self._authorize(api, deployment, stage, route, call)
            except Denied as denied:
                state["decided_by"] = "auth"
                state["error"] = denied.reason
                self._trace(api, request_id, "rejected", state["trace_id"], reason=denied.reason)
                text = {401: "Unauthorized", 403: "Forbidden"}.get(
                    denied.status, "Internal Server Error"
                )
                return self._with_cors(cors, origin, message(denied.status, text, denied.headers))
            self._trace(api, request_id, "authorized", state["trace_id"], route=route.key)
        integration = deployment.integrations.get(route.integration_id or "")
        if integration is None:
            state["decided_by"] = "route"
            return self._with_cors(cors, origin, message(404, "Not Found"))
        response = await self._integrate(api, integration, call, state)
        return self._with_cors(cors, origin, response)

    # -- steps ------------------------------------------------------------------------------------
    def _throttle(self, api: Api, stage: Stage, route: Route) -> bool:
        buckets = self.buckets
        if not buckets.take("account", ACCOUNT_RATE, ACCOUNT_BURST):
            return False
        settings = stage.route_settings.get(route.key)
        rate = settings.rate if settings is not None and settings.rate is not None else None
        burst = settings.burst if settings is not None and settings.burst is not None else None
        if rate is None:
            rate = stage.default_settings.rate
        if burst is None:
            burst = stage.default_settings.burst
        if rate is None and burst is None:
            return True
        return buckets.take(
            f"v2/{api.id}/{stage.name}/{route.key}",
            rate if rate is not None else ACCOUNT_RATE,
            int(burst if burst is not None else ACCOUNT_BURST),
        )

    async def _authorize(
        self, api: Api, deployment: Deployment, stage: Stage, route: Route, call: HttpCall
    ) -> dict[str, Any]:
        service = self.service
        request = call.request
        if route.authorization_type == "AWS_IAM":
            # The lab has no IAM: a SigV4-signed request stands for an allowed caller.
            if "authorization" not in request.headers:
                raise Denied(403, "the request is not signed")
            return {"iam": {"accessKey": "lab", "userArn": None}}
        authorizer = deployment.authorizers.get(route.authorizer_id or "")
        if authorizer is None:
            raise Denied(500, "the route's authorizer is missing")
        view = request_view(request, stage, call)
        if authorizer.type == "JWT":
            return check_jwt(service, authorizer, route.authorization_scopes, view)
        route_arn = (
            f"arn:aws:execute-api:{service.region}:{service.account_id}:{api.id}/{stage.name}/"
            f"{request.method}{request.path}"
        )

        def build_event(auth: Any, arn: str, identities: list[str]) -> dict[str, Any]:
            if auth.payload_format == "2.0":
                event = event_v2(call)
                event.pop("body", None)
                event.pop("isBase64Encoded", None)
                return {
                    "version": "2.0",
                    "type": "REQUEST",
                    "routeArn": arn,
                    "identitySource": identities,
                    **{k: v for k, v in event.items() if k != "version"},
                }
            event = event_v1(call)
            event.pop("body", None)
            event.pop("isBase64Encoded", None)
            return {"version": "1.0", "type": "REQUEST", "methodArn": arn, **event}

        context = await check_lambda(
            service, self.auth_cache, api.id, authorizer, route_arn, view, build_event
        )
        return {"lambda": context}

    async def _integrate(
        self, api: Api, integration: Integration, call: HttpCall, state: dict[str, Any]
    ) -> HttpResponse:
        self._trace(
            api,
            call.request_id,
            "integration",
            state["trace_id"],
            type=integration.type,
            uri=integration.uri,
        )
        timeout = integration.timeout_ms / 1000
        try:
            if integration.subtype is not None:
                work = self._service_action(integration, call, state)
            elif integration.type == "AWS_PROXY":
                work = self._lambda(integration, call, state)
            else:
                work = self._http_proxy(integration, call, state)
            response = await self.deadlines.within(timeout, work)
        except TimeoutError:
            state["decided_by"] = "timeout"
            state["error"] = "Integration timeout"
            return message(503, "Service Unavailable")
        return response

    async def _lambda(
        self, integration: Integration, call: HttpCall, state: dict[str, Any]
    ) -> HttpResponse:
        function = lambda_target(integration.uri or "")
        assert function is not None  # checked when the integration was made
        version = integration.payload_format
        event = event_v2(call) if version == "2.0" else event_v1(call)
        try:
            result = await self.service.engine.fabric.deliver(
                function,
                Envelope(
                    body=event,
                    source_arn=self.service.arn_of(call.api_id),
                    trace_id=state["trace_id"],
                    options={"invocation_type": "RequestResponse"},
                ),
            )
        except ServiceError as error:
            state["integration_status"] = 200 if error.status_code == 200 else error.status_code
            state["error"] = f"{error.code}: {error.message}"
            state["decided_by"] = "integration error"
            return message(500, "Internal Server Error")
        state["integration_status"] = 200
        try:
            return response_v2(result) if version == "2.0" else response_v1(result)
        except MalformedResponse as malformed:
            state["error"] = f"Malformed Lambda proxy response: {malformed}"
            state["decided_by"] = "integration error"
            return message(500, "Internal Server Error")

    async def _service_action(
        self, integration: Integration, call: HttpCall, state: dict[str, Any]
    ) -> HttpResponse:
        from .service_integrations import call_subtype

        assert integration.subtype is not None
        response = await call_subtype(
            self.service.engine, integration.subtype, integration.request_parameters, call
        )
        state["integration_status"] = response.status
        return response

    async def _http_proxy(
        self, integration: Integration, call: HttpCall, state: dict[str, Any]
    ) -> HttpResponse:
        request = call.request
        url = integration.uri or ""
        if call.path_parameters:
            url = re.sub(
                r"\{([^}]+?)\+?\}", lambda m: call.path_parameters.get(m.group(1), ""), url
            )
        if request.query:
            from urllib.parse import urlencode

            url += ("&" if "?" in url else "?") + urlencode(request.query)
        method = integration.method if integration.method not in (None, "ANY") else request.method
        headers = {k: v for k, v in request.headers.items() if k not in _HOP_BY_HOP}
        try:
            status, answer_headers, body = await call_http(
                self.service, method or "GET", url, headers, request.body
            )
        except OSError as error:
            state["error"] = f"Network error: {error}"
            state["decided_by"] = "integration error"
            return message(500, "Internal Server Error")
        state["integration_status"] = status
        return HttpResponse(status, answer_headers, body)

    def _with_cors(
        self, cors: Cors | None, origin: str | None, response: HttpResponse
    ) -> HttpResponse:
        if cors is None or not origin:
            return response
        # With CORS configured, API Gateway replaces whatever CORS headers the backend sent.
        for name in [k for k in response.headers if k.lower().startswith("access-control-")]:
            del response.headers[name]
        allowed = _allowed_origin(cors, origin)
        if allowed is None:
            return response
        response.headers["access-control-allow-origin"] = allowed
        if cors.allow_credentials:
            response.headers["access-control-allow-credentials"] = "true"
        if cors.expose_headers:
            response.headers["access-control-expose-headers"] = ",".join(cors.expose_headers)
        response.headers["vary"] = "origin"
        return response

    def _trace(
        self, api: Api, request_id: str, kind: str, trace_id: str | None = None, **detail: Any
    ) -> None:
        if self.service.trace.enabled:
            self.service.emit(
                kind,
                self.service.arn_of(api.id),
                message_id=request_id,
                trace_id=trace_id,
                **detail,
            )

    def _access_log(
        self,
        api: Api,
        stage: Stage,
        request: HttpRequest,
        response: HttpResponse,
        request_id: str,
        started: float,
        state: dict[str, Any],
    ) -> None:
        import time as _time

        variables = {
            "requestId": request_id,
            "apiId": api.id,
            "stage": stage.name,
            "routeKey": state["route_key"],
            "httpMethod": request.method,
            "path": request.path,
            "protocol": "HTTP/1.1",
            "status": response.status,
            "responseLength": len(response.body),
            "requestTime": _time.strftime("%d/%b/%Y:%H:%M:%S +0000", _time.gmtime(started)),
            "requestTimeEpoch": int(started * 1000),
            "identity.sourceIp": request.source_ip,
            "identity.userAgent": request.headers.get("user-agent", "-"),
            "integrationStatus": state["integration_status"],
            "integrationErrorMessage": state["error"],
            "error.message": state["error"],
        }
        line = re.sub(
            r"\$context\.([A-Za-z.]+[A-Za-z])",
            lambda m: str(variables.get(m.group(1), "-")),
            stage.access_log_format or "$context.requestId $context.routeKey $context.status",
        )
        log = self.access_logs.setdefault((api.id, stage.name), deque(maxlen=1000))
        log.append(line)
        self.service.emit("access-log", self.service.arn_of(api.id), line=line)
        self.service.engine.service("logs").ingest_arn(
            stage.access_log_destination, f"{api.id}_{stage.name}", line
        )


def request_view(request: HttpRequest, stage: Stage, call: HttpCall | None) -> dict[str, Any]:
    """The request's headers, query, stage variables and context, as identity sources read them."""
    return {
        "header": request.headers,
        "querystring": request.query_dict(),
        "stage": stage.variables,
        "context": {"requestId": call.request_id if call else "", "stage": stage.name},
    }


def _allowed_origin(cors: Cors, origin: str) -> str | None:
    if "*" in cors.allow_origins:
        return "*" if not cors.allow_credentials else origin
    return origin if origin in cors.allow_origins else None


def _preflight_headers(cors: Cors, origin: str, request: HttpRequest) -> dict[str, str]:
    allowed = _allowed_origin(cors, origin)
    if allowed is None:
        return {}
    wanted = request.headers["access-control-request-method"].upper()
    methods = cors.allow_methods
    if methods and "*" not in methods and wanted not in methods:
        return {}
    headers = {"access-control-allow-origin": allowed, "vary": "origin"}
    headers["access-control-allow-methods"] = (
        ",".join(methods) if methods and "*" not in methods else wanted
    )
    asked = request.headers.get("access-control-request-headers", "")
    if cors.allow_headers:
        headers["access-control-allow-headers"] = (
            asked if "*" in cors.allow_headers and asked else ",".join(cors.allow_headers)
        )
    if cors.max_age is not None:
        headers["access-control-max-age"] = str(cors.max_age)
    if cors.allow_credentials:
        headers["access-control-allow-credentials"] = "true"
    return headers


async def call_http(
    service: ApiGatewayV2Service, method: str, url: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """Call an HTTP backend: lab APIs in-process, loopback hosts over real HTTP; OSError otherwise."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    lab = _LAB_HOST.match(host)
    if lab:
        inner = HttpRequest(
            method,
            parts.path or "/",
            [tuple(p.split("=", 1)) for p in parts.query.split("&") if "=" in p],  # type: ignore[misc]
            {**headers, "host": host},
            body,
        )
        v1 = service.engine.service("apigateway")
        response = await v1.handle_http(inner)
        return response.status, dict(response.headers), response.body
    service.engine.outbound.check(url, "apigatewayv2")
    import httpx

    try:
        async with httpx.AsyncClient(trust_env=False) as client:
            answer = await client.request(method, url, headers=headers, content=body)
    except httpx.HTTPError as error:
        raise OSError(str(error)) from None
    out = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
    return answer.status_code, out, answer.content


async def connections_http(
    service: ApiGatewayV2Service, method: str, connection_id: str, body: bytes
) -> HttpResponse:
    """The `@connections` management API over HTTP (rest-json), for SDKs pointed at the lab."""
    from urllib.parse import unquote

    connection_id = unquote(connection_id)
    connections = service.connections
    try:
        if method == "POST":
            await connections.post(connection_id, body)
            return HttpResponse(200, {"content-type": _JSON}, b"")
        if method == "GET":
            connection = connections.get(connection_id)
            described = connection.describe()
            payload = {
                "connectedAt": described["ConnectedAt"].isoformat().replace("+00:00", "Z"),
                "identity": {
                    "sourceIp": connection.source_ip,
                    "userAgent": connection.user_agent,
                },
                "lastActiveAt": described["LastActiveAt"].isoformat().replace("+00:00", "Z"),
            }
            return HttpResponse(200, {"content-type": _JSON}, json.dumps(payload).encode())
        if method == "DELETE":
            await connections.delete(connection_id)
            return HttpResponse(204, {"content-type": _JSON}, b"")
    except ServiceError as error:
        return HttpResponse(
            error.status_code,
            {"content-type": _JSON, "x-amzn-errortype": error.code},
            json.dumps({"message": error.message}).encode(),
        )
    return message(403, "Forbidden")
