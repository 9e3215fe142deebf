"""A REST API request's journey: route, throttle, authorize, meter, validate, cache, integrate, respond.

Each stage is traced (`request`, `throttled`, `authorized`, `cache-hit` …), so a learner can see which
stage decided the answer.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from engine.errors import FunctionError, ServiceError
from engine.http import HttpRequest, HttpResponse
from engine.service import Envelope

from .authorizers import AuthorizerCache, AuthResult, authorize
from .deadlines import Deadlines
from .latency import Latencies
from .models import Integration, IntegrationResponse, Method, Resource, RestApi, Stage
from .responses import DEFAULT_TEMPLATE, DEFAULTS, default_response
from .throttle import Buckets
from .vtl import Templates

if TYPE_CHECKING:
    from .service import ApiGatewayService

ACCOUNT_RATE, ACCOUNT_BURST = 10_000.0, 5_000
MAX_PAYLOAD = 10 * 1024 * 1024
_LAMBDA_URI = re.compile(
    r"^arn:aws:apigateway:[^:]*:lambda:path/[^/]+/functions/(.+?)/invocations$"
)
_AWS_URI = re.compile(r"^arn:aws:apigateway:([^:]*):([^:]+):(path|action)/(.*)$")
_STATIC_VALUE = re.compile(r"^'(.*)'$", re.S)


class GatewayAnswer(Exception):
    """API Gateway itself answers (an error of one of its response types)."""

    def __init__(self, response_type: str, message: str | None = None, **context: Any) -> None:
        super().__init__(response_type)
        self.response_type = response_type
        self.message = message if message is not None else DEFAULTS[response_type][2]
        self.context = context


@dataclass(slots=True)
class Route:
    """The resource and method a request matched, and its path parameters."""

    resource: Resource
    method: Method
    path_parameters: dict[str, str]


@dataclass(slots=True)
class RequestContext:
    """Everything the pipeline learns about one request on its way through."""

    api: RestApi
    stage: Stage
    request: HttpRequest
    route: Route | None = None
    request_id: str = ""
    auth: AuthResult | None = None
    api_key_id: str | None = None
    started: float = 0.0
    real_started: float = 0.0
    decided_by: str = ""
    integration_status: int | None = None
    integration_latency_ms: int = 0
    canary: bool = False
    log: list[str] = field(default_factory=list)


class StageCache:
    """Per-stage response caches with a TTL on the engine clock."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], dict[str, tuple[float, HttpResponse]]] = {}

    def get(self, api_id: str, stage: str, key: str, now: float) -> HttpResponse | None:
        """A cached response still within its TTL."""
        entry = self._entries.get((api_id, stage), {}).get(key)
        if entry is None or entry[0] <= now:
            return None
        return entry[1]

    def put(
        self, api_id: str, stage: str, key: str, response: HttpResponse, expires: float
    ) -> None:
        """Keep a response until `expires`."""
        self._entries.setdefault((api_id, stage), {})[key] = (expires, response)

    def invalidate(self, api_id: str, stage: str, key: str) -> None:
        """Drop one entry (Cache-Control: max-age=0)."""
        self._entries.get((api_id, stage), {}).pop(key, None)

    def forget_stage(self, api_id: str, stage: str) -> None:
        """Flush a stage's cache."""
        self._entries.pop((api_id, stage), None)


class Pipeline:
    """Runs requests through deployed REST API stages."""

    def __init__(self, service: ApiGatewayService) -> None:
        self.service = service
        self.templates = Templates()
        self.buckets = Buckets(service.clock)
        self.cache = StageCache()
        self.deadlines = Deadlines(service.clock)
        self._routers: dict[tuple[str, str], ResourceRouter] = {}
        self.authorizers = AuthorizerCache()
        self.counters: dict[str, dict[str, int]] = {}
        #: API id → its request latencies (CloudWatch's Latency).
        self.latencies: dict[str, Latencies] = {}
        self.access_logs: dict[tuple[str, str], deque[str]] = {}

    # -- entry -----------------------------------------------------------------------------------
    async def handle(self, api_id: str, stage_name: str, request: HttpRequest) -> HttpResponse:
        """Answer one request to `api_id`/`stage_name`; never raises."""
        service = self.service
        api = service.apis.get(api_id)
        if api is None:
            return HttpResponse(
                404, {"content-type": "application/json"}, b'{"message":"Not Found"}'
            )
        stage = api.stages.get(stage_name)
        context = RequestContext(api, stage or _placeholder_stage(stage_name), request)
        context.request_id = service.ids.uuid()
        context.started = service.clock.now()
        context.real_started = time.perf_counter()
        counters = self.counters.setdefault(
            api_id, {"requests": 0, "4xx": 0, "5xx": 0, "cache_hits": 0}
        )
        counters["requests"] += 1
        try:
            if stage is None:
                raise GatewayAnswer("MISSING_AUTHENTICATION_TOKEN")
            response = await self._run(context)
        except GatewayAnswer as answer:
            context.decided_by = context.decided_by or answer.response_type.lower()
            response = self._gateway_response(context, answer)
        except Exception as error:  # a bug in the lab must still answer like API Gateway
            service.engine.report_error(service.arn_of(api_id), None, error)
            response = self._gateway_response(context, GatewayAnswer("API_CONFIGURATION_ERROR"))
        if response.status >= 500:
            counters["5xx"] += 1
        elif response.status >= 400:
            counters["4xx"] += 1
        latencies = self.latencies.get(api_id)
        if latencies is None:
            latencies = self.latencies[api_id] = Latencies()
        latencies.add((service.clock.now() - context.started) * 1000)
        response.headers.setdefault("x-amzn-requestid", context.request_id)
        self._access_log(context, response)
        if service.trace.enabled:
            service.emit(
                "response",
                service.arn_of(api_id),
                message_id=context.request_id,
                trace_id=self._trace_id(context),
                status=response.status,
                decided_by=context.decided_by or "integration",
                latency_ms=int((time.perf_counter() - context.real_started) * 1000),
                method=context.request.method,
                path=context.request.path,
                cors=_cors_headers(response.headers),
            )
        return response

    def _trace_id(self, context: RequestContext) -> str:
        header = context.request.headers.get("x-amzn-trace-id", "")
        if header.startswith("Root="):
            return header.split(";", 1)[0]
        return f"Root=1-{int(context.started):08x}-{context.request_id.replace('-', '')[:24]}"

    async def _run(self, context: RequestContext) -> HttpResponse:
        service = self.service
        request = context.request
        arn = service.arn_of(context.api.id)
        if service.trace.enabled:
            service.emit(
                "request",
                arn,
                message_id=context.request_id,
                trace_id=self._trace_id(context),
                method=request.method,
                path=request.path,
                stage=context.stage.name,
            )
        if len(request.body) > MAX_PAYLOAD:
            raise GatewayAnswer("REQUEST_TOO_LARGE")
        deployment = self._canary(context) or context.api.deployments.get(
            context.stage.deployment_id
        )
        if deployment is None:
            raise GatewayAnswer("MISSING_AUTHENTICATION_TOKEN")
        router = self._routers.get((context.api.id, deployment.id))
        if router is None:
            router = self._routers[(context.api.id, deployment.id)] = ResourceRouter(
                deployment.resources
            )
        route = router.match(request.method, request.path)
        if route is None:
            raise GatewayAnswer("MISSING_AUTHENTICATION_TOKEN")
        context.route = route
        self._throttle(context)
        if route.method.authorization_type != "NONE":
            context.auth = await authorize(self, context)
            context.decided_by = ""
            if service.trace.enabled:
                service.emit(
                    "authorized",
                    arn,
                    message_id=context.request_id,
                    trace_id=self._trace_id(context),
                    principal=context.auth.principal_id,
                    cached=context.auth.cached,
                )
        self._meter(context)
        self._validate(context)
        cache_key = self._cache_key(context)
        if cache_key is not None:
            now = service.clock.now()
            if self._cache_control_refresh(context):
                self.cache.invalidate(context.api.id, context.stage.name, cache_key)
            else:
                hit = self.cache.get(context.api.id, context.stage.name, cache_key, now)
                if hit is not None:
                    context.decided_by = "cache"
                    self.counters[context.api.id]["cache_hits"] += 1
                    if service.trace.enabled:
                        service.emit(
                            "cache-hit",
                            arn,
                            message_id=context.request_id,
                            trace_id=self._trace_id(context),
                        )
                    return HttpResponse(hit.status, dict(hit.headers), hit.body)
            if service.trace.enabled:
                service.emit(
                    "cache-miss",
                    arn,
                    message_id=context.request_id,
                    trace_id=self._trace_id(context),
                )
        response = await self._integrate(context)
        if cache_key is not None and response.status < 400:
            self.cache.put(
                context.api.id,
                context.stage.name,
                cache_key,
                HttpResponse(response.status, dict(response.headers), response.body),
                service.clock.now() + context.stage.cache_ttl,
            )
        return response

    def _canary(self, context: RequestContext) -> Any:
        """The canary deployment for this request when the stage's canary takes it, else None."""
        canary = context.stage.canary
        if not canary:
            return None
        deployment = context.api.deployments.get(canary.get("deploymentId", ""))
        percent = float(canary.get("percentTraffic", 0.0))
        if deployment is None or self.service.ids.random() * 100 >= percent:
            return None
        # A canary request sees the stage's variables with the canary's overrides on top.
        overrides = canary.get("stageVariableOverrides") or {}
        if overrides:
            context.stage = replace(
                context.stage, variables={**context.stage.variables, **overrides}
            )
        context.canary = True
        return deployment

    # -- throttling and metering ---------------------------------------------------------------------
    def _throttle(self, context: RequestContext) -> None:
        stage = context.stage
        route = context.route
        assert route is not None
        limits = [("account", ACCOUNT_RATE, ACCOUNT_BURST)]
        method_key = f"{route.resource.path}/{route.method.http_method}"
        if method_key in stage.method_throttles:
            rate, burst = stage.method_throttles[method_key]
            limits.append((f"{context.api.id}/{stage.name}/{method_key}", rate, burst))
        elif stage.throttle_rate is not None:
            # The stage's default method throttling gives every method its own bucket.
            limits.append(
                (
                    f"{context.api.id}/{stage.name}/{method_key}",
                    stage.throttle_rate,
                    stage.throttle_burst or 0,
                )
            )
        for key, rate, burst in limits:
            if not self.buckets.take(key, rate, burst):
                context.decided_by = "throttle"
                self._trace_stop(context, "throttled", level=key)
                raise GatewayAnswer("THROTTLED")

    def _meter(self, context: RequestContext) -> None:
        route = context.route
        assert route is not None
        if not route.method.api_key_required:
            return
        keys = self.service.keys
        if context.api.api_key_source == "AUTHORIZER":
            value = context.auth.usage_identifier_key if context.auth else None
        else:
            value = context.request.headers.get("x-api-key")
        key = keys.key_for_value(value) if value else None
        if key is None or not key.enabled:
            context.decided_by = "api-key"
            self._trace_stop(context, "rejected", reason="invalid API key")
            raise GatewayAnswer("INVALID_API_KEY")
        plan = keys.plan_for(context.api.id, context.stage.name, key)
        if plan is None:
            context.decided_by = "api-key"
            self._trace_stop(
                context, "rejected", reason="API key not in a usage plan for this stage"
            )
            raise GatewayAnswer("INVALID_API_KEY")
        context.api_key_id = key.id
        if plan.throttle_rate is not None and not self.buckets.take(
            f"plan/{plan.id}/{key.id}", plan.throttle_rate, plan.throttle_burst or 0
        ):
            context.decided_by = "usage-plan throttle"
            self._trace_stop(context, "throttled", level="usage plan")
            raise GatewayAnswer("THROTTLED")
        if not keys.count(plan, key):
            context.decided_by = "quota"
            self._trace_stop(context, "throttled", level="quota")
            raise GatewayAnswer("QUOTA_EXCEEDED")

    def _trace_stop(self, context: RequestContext, kind: str, **detail: Any) -> None:
        if self.service.trace.enabled:
            self.service.emit(
                kind,
                self.service.arn_of(context.api.id),
                message_id=context.request_id,
                trace_id=self._trace_id(context),
                **detail,
            )

    # -- validation ----------------------------------------------------------------------------------------
    def _validate(self, context: RequestContext) -> None:
        route = context.route
        assert route is not None
        method = route.method
        if not method.request_validator_id:
            return
        validator = context.api.validators.get(method.request_validator_id)
        if validator is None:
            return
        request = context.request
        if validator.validate_parameters:
            missing = []
            for name, required in method.request_parameters.items():
                if not required:
                    continue
                _, _, where, param = (name.split(".", 3) + ["", "", "", ""])[:4]
                if where == "header":
                    present = param.lower() in request.headers
                elif where == "querystring":
                    present = any(k == param for k, _ in request.query)
                elif where == "path":
                    present = param in route.path_parameters
                else:
                    present = True
                if not present:
                    missing.append(param)
            if missing:
                context.decided_by = "validation"
                self._trace_stop(
                    context, "rejected", reason="missing parameters", parameters=missing
                )
                raise GatewayAnswer(
                    "BAD_REQUEST_PARAMETERS",
                    f"Missing required request parameters: [{', '.join(missing)}]",
                )
        if validator.validate_body and method.request_models:
            content_type = (
                request.headers.get("content-type", "application/json").split(";")[0].strip()
            )
            model_name = method.request_models.get(content_type) or method.request_models.get(
                "$default"
            )
            model = next((m for m in context.api.models.values() if m.name == model_name), None)
            if model is None:
                return
            from jsonschema import Draft4Validator

            try:
                document = json.loads(request.body or b"null")
            except ValueError:
                document = request.body.decode("utf-8", "replace")
            errors = sorted(
                Draft4Validator(json.loads(model.schema)).iter_errors(document), key=str
            )
            if errors:
                context.decided_by = "validation"
                detail = "; ".join(_schema_error(e) for e in errors[:3])
                self._trace_stop(context, "rejected", reason="invalid body", errors=detail)
                raise GatewayAnswer("BAD_REQUEST_BODY", f"Invalid request body [{detail}]")

    # -- caching ---------------------------------------------------------------------------------------------
    def _cache_key(self, context: RequestContext) -> str | None:
        stage = context.stage
        route = context.route
        assert route is not None
        if not stage.cache_enabled:
            return None
        method_key = f"{route.resource.path}/{route.method.http_method}"
        enabled = method_key in stage.caching_enabled_methods or (
            "*/*" in stage.caching_enabled_methods and route.method.http_method == "GET"
        )
        if not enabled:
            return None
        integration = route.method.integration
        parts = [route.method.http_method, route.resource.path]
        for name in sorted(integration.cache_key_parameters if integration else []):
            parts.append(f"{name}={_request_parameter(context, name) or ''}")
        for name, value in sorted(route.path_parameters.items()):
            parts.append(f"path.{name}={value}")
        return "|".join(parts)

    def _cache_control_refresh(self, context: RequestContext) -> bool:
        control = context.request.headers.get("cache-control", "")
        if "max-age=0" not in control.replace(" ", ""):
            return False
        if context.stage.require_authorization_for_cache_control:
            # The lab has no IAM: a signed request stands for one allowed to invalidate.
            return "authorization" in context.request.headers
        return True

    # -- integration ------------------------------------------------------------------------------------------
    async def _integrate(self, context: RequestContext) -> HttpResponse:
        route = context.route
        assert route is not None
        integration = route.method.integration
        if integration is None:
            raise GatewayAnswer("API_CONFIGURATION_ERROR")
        service = self.service
        if service.trace.enabled:
            service.emit(
                "integration",
                service.arn_of(context.api.id),
                message_id=context.request_id,
                trace_id=self._trace_id(context),
                type=integration.type,
                target=self.integration_target(integration) or integration.uri,
            )
        started = time.perf_counter()
        if integration.type == "AWS_PROXY":
            work = self._lambda_proxy(context, integration)
        elif integration.type == "HTTP_PROXY":
            work = self._http_proxy(context, integration)
        else:
            work = self._mapped(context, integration)
        try:
            return await self.deadlines.within(integration.timeout_ms / 1000, work)
        except TimeoutError:
            context.decided_by = "integration timeout"
            context.log.append(
                f"Execution failed due to a timeout after {integration.timeout_ms} ms"
            )
            raise GatewayAnswer("INTEGRATION_TIMEOUT") from None
        finally:
            context.integration_latency_ms = int((time.perf_counter() - started) * 1000)

    async def _lambda_proxy(
        self, context: RequestContext, integration: Integration
    ) -> HttpResponse:
        match = _LAMBDA_URI.match(integration.uri or "")
        if match is None:
            raise GatewayAnswer("API_CONFIGURATION_ERROR")
        event = self.proxy_event(context)
        try:
            result = await self.service.engine.fabric.deliver(
                match.group(1),
                Envelope(
                    body=event,
                    source_arn=self.service.arn_of(context.api.id),
                    trace_id=self._trace_id(context),
                    options={"invocation_type": "RequestResponse"},
                ),
            )
        except FunctionError:
            context.integration_status = 200
            raise GatewayAnswer("DEFAULT_5XX", "Internal server error", status="502") from None
        except ServiceError as error:
            context.log.append(f"Lambda invocation failed: {error.code}: {error.message}")
            raise GatewayAnswer("DEFAULT_5XX", "Internal server error", status="502") from None
        context.integration_status = 200
        return _proxy_response(result)

    def proxy_event(self, context: RequestContext) -> dict[str, Any]:
        """The Lambda proxy integration's (payload format 1.0) event."""
        request = context.request
        route = context.route
        assert route is not None
        headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        for key, value in request.headers.items():
            name = _canonical_header(key)
            headers[name] = value
            multi_headers.setdefault(name, []).append(value)
        query: dict[str, str] = {}
        multi_query: dict[str, list[str]] = {}
        for key, value in request.query:
            query[key] = value
            multi_query.setdefault(key, []).append(value)
        content_type = request.headers.get("content-type", "")
        binary = any(
            _media_matches(media, content_type) for media in context.api.binary_media_types
        )
        if request.body:
            body: str | None = (
                base64.b64encode(request.body).decode()
                if binary
                else request.body.decode("utf-8", "replace")
            )
        else:
            body = None
        now = context.started
        request_context = {
            "resourceId": route.resource.id,
            "resourcePath": route.resource.path,
            "httpMethod": request.method,
            "extendedRequestId": context.request_id[:16],
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{context.stage.name}{request.path}",
            "accountId": self.service.account_id,
            "protocol": "HTTP/1.1",
            "stage": context.stage.name,
            "domainPrefix": context.api.id,
            "requestTimeEpoch": int(now * 1000),
            "requestId": context.request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": request.source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": request.headers.get("user-agent"),
                "user": None,
                "apiKey": request.headers.get("x-api-key") if context.api_key_id else None,
                "apiKeyId": context.api_key_id,
            },
            "domainName": f"{context.api.id}.execute-api.{self.service.region}.amazonaws.com",
            "apiId": context.api.id,
        }
        if context.auth is not None:
            request_context["authorizer"] = context.auth.context_for_event()
        return {
            "resource": route.resource.path,
            "path": request.path,
            "httpMethod": request.method,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": route.path_parameters or None,
            "stageVariables": dict(context.stage.variables) or None,
            "requestContext": request_context,
            "body": body,
            "isBase64Encoded": bool(body) and binary,
        }

    async def _http_proxy(self, context: RequestContext, integration: Integration) -> HttpResponse:
        request = context.request
        route = context.route
        assert route is not None
        url = _fill_path(integration.uri or "", route.path_parameters, context)
        if request.query:
            url += ("&" if "?" in url else "?") + urlencode(request.query)
        status, headers, body = await self._http_call(
            context,
            integration.http_method or request.method,
            url,
            dict(request.headers),
            request.body,
        )
        context.integration_status = status
        return HttpResponse(status, headers, body)

    async def _http_call(
        self, context: RequestContext, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        from .http_backend import call_http

        return await call_http(self.service, context, method, url, headers, body)

    async def _mapped(self, context: RequestContext, integration: Integration) -> HttpResponse:
        """MOCK, AWS and HTTP integrations: request template → backend → integration response."""
        request = context.request
        content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
        body_text = request.body.decode("utf-8", "replace")
        template = integration.request_templates.get(content_type)
        if (
            template is None
            and integration.request_templates
            and integration.passthrough_behavior in ("NEVER", "WHEN_NO_TEMPLATES")
        ):
            raise GatewayAnswer("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type")
        rendered = body_text if template is None else self._render(context, template, body_text)
        headers = self._integration_headers(context, integration)
        error_message: str | None = None
        if integration.type == "MOCK":
            try:
                mock = json.loads(rendered) if rendered.strip() else {}
            except ValueError:
                raise GatewayAnswer("API_CONFIGURATION_ERROR") from None
            status = int(mock.get("statusCode", 200)) if isinstance(mock, dict) else 200
            backend_headers: dict[str, str] = {}
            backend_body = b""
        elif integration.type == "AWS":
            status, backend_headers, backend_body, error_message = await self._aws_call(
                context, integration, headers, rendered.encode()
            )
        else:
            url = _fill_path(integration.uri or "", context.route.path_parameters, context)
            query = self._integration_query(context, integration)
            if query:
                url += ("&" if "?" in url else "?") + urlencode(query)
            status, backend_headers, backend_body = await self._http_call(
                context, integration.http_method or request.method, url, headers, rendered.encode()
            )
        context.integration_status = status
        selected = _select_response(integration, status, error_message)
        if selected is None:
            if integration.type == "MOCK" or not integration.responses:
                context.log.append("No integration response matched; configuration error")
            raise GatewayAnswer("API_CONFIGURATION_ERROR")
        return self._respond(context, selected, backend_headers, backend_body)

    async def _aws_call(
        self,
        context: RequestContext,
        integration: Integration,
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes, str | None]:
        """An AWS service integration, sent to the lab's own service endpoint in AWS's wire format."""
        match = _AWS_URI.match(integration.uri or "")
        if match is None:
            raise GatewayAnswer("API_CONFIGURATION_ERROR")
        region, service_name, kind, rest = match.groups()
        from engine.wire import WireEndpoint

        endpoint = WireEndpoint(self.service.engine)
        method = integration.http_method or "POST"
        json_target = None
        if kind == "action":
            action, _, query = rest.partition("&")
            path = "/"
            json_target = _json_target(service_name, action)
            query_pairs = [] if json_target else [("Action", action)]
            query_pairs += [tuple(p.split("=", 1)) for p in query.split("&") if "=" in p]
            query_pairs += list(self._integration_query(context, integration).items())
        else:
            path = "/" + _fill_path(rest, context.route.path_parameters, context).lstrip("/")
            query_pairs = list(self._integration_query(context, integration).items())
        headers = {k.lower(): v for k, v in headers.items()}
        headers.setdefault("host", f"{service_name}.{region or self.service.region}.amazonaws.com")
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential=APIGATEWAY/20260101/{region or self.service.region}/"
            f"{service_name}/aws4_request, SignedHeaders=host, Signature=lab"
        )
        if json_target is not None:
            # JSON-protocol services (Kinesis, DynamoDB, Step Functions, EventBridge …) take the
            # action as X-Amz-Target, which API Gateway adds for action-style URIs.
            headers["x-amz-target"] = json_target[0]
            headers.setdefault("content-type", json_target[1])
        if service_name == "lambda":
            headers.setdefault("x-amz-invocation-type", "RequestResponse")
        answer = await endpoint.handle(HttpRequest(method, path, query_pairs, headers, body))
        error_message = None
        if service_name == "lambda" and answer.headers.get("x-amz-function-error"):
            try:
                error_message = json.loads(answer.body).get("errorMessage")
            except (ValueError, AttributeError):
                error_message = answer.body.decode("utf-8", "replace")
        return answer.status, answer.headers, answer.body, error_message

    def _integration_headers(
        self, context: RequestContext, integration: Integration
    ) -> dict[str, str]:
        return self._mapped_parameters(context, integration, "integration.request.header.")

    def _integration_query(
        self, context: RequestContext, integration: Integration
    ) -> dict[str, str]:
        return self._mapped_parameters(context, integration, "integration.request.querystring.")

    def _mapped_parameters(
        self, context: RequestContext, integration: Integration, prefix: str
    ) -> dict[str, str]:
        """The integration request parameters under `prefix`, with their values for this request."""
        mapped: dict[str, str] = {}
        for target, source in integration.request_parameters.items():
            if target.startswith(prefix):
                value = self._parameter_value(context, source)
                if value is not None:
                    mapped[target[len(prefix) :]] = value
        return mapped

    def _parameter_value(self, context: RequestContext, source: str) -> str | None:
        static = _STATIC_VALUE.match(source)
        if static:
            return static.group(1)
        if source.startswith("method.request."):
            return _request_parameter(context, source)
        if source.startswith("stageVariables."):
            return context.stage.variables.get(source.split(".", 1)[1])
        if source.startswith("context."):
            return str(_dig(self._context_variables(context), source.split(".")[1:]) or "")
        return None

    def _render(self, context: RequestContext, template: str, body: str) -> str:
        try:
            return self.templates.render(
                template,
                body,
                self._template_params(context),
                self._context_variables(context),
                dict(context.stage.variables),
            )
        except ServiceError:
            raise GatewayAnswer("API_CONFIGURATION_ERROR") from None
        except Exception as error:
            context.log.append(f"Mapping template failed: {type(error).__name__}: {error}")
            raise GatewayAnswer("API_CONFIGURATION_ERROR") from None

    def _template_params(self, context: RequestContext) -> dict[str, dict[str, str]]:
        request = context.request
        return {
            "path": dict(context.route.path_parameters) if context.route else {},
            "querystring": dict(request.query),
            "header": {_canonical_header(k): v for k, v in request.headers.items()},
        }

    def _context_variables(
        self, context: RequestContext, error: GatewayAnswer | None = None
    ) -> dict[str, Any]:
        request = context.request
        route = context.route
        variables: dict[str, Any] = {
            "requestId": context.request_id,
            "extendedRequestId": context.request_id[:16],
            "apiId": context.api.id,
            "accountId": self.service.account_id,
            "httpMethod": request.method,
            "stage": context.stage.name,
            "isCanaryRequest": context.canary,
            "resourcePath": route.resource.path if route else request.path,
            "resourceId": route.resource.id if route else "",
            "path": f"/{context.stage.name}{request.path}",
            "protocol": "HTTP/1.1",
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(context.started)),
            "requestTimeEpoch": int(context.started * 1000),
            "domainName": f"{context.api.id}.execute-api.{self.service.region}.amazonaws.com",
            "identity": {
                "sourceIp": request.source_ip,
                "userAgent": request.headers.get("user-agent", ""),
                "apiKeyId": context.api_key_id or "",
            },
            "authorizer": context.auth.context_for_template() if context.auth else {},
            "status": "",
            "responseLength": 0,
            "integrationStatus": context.integration_status or "",
            "integrationLatency": context.integration_latency_ms,
        }
        if error is not None:
            message = error.message
            variables["error"] = {
                "message": message,
                "messageString": json.dumps(message),
                "responseType": error.response_type,
            }
        return variables

    def _respond(
        self,
        context: RequestContext,
        selected: IntegrationResponse,
        backend_headers: dict[str, str],
        backend_body: bytes,
    ) -> HttpResponse:
        status = int(selected.status_code)
        headers: dict[str, str] = {}
        body_text = backend_body.decode("utf-8", "replace")
        for target, source in selected.response_parameters.items():
            if not target.startswith("method.response.header."):
                continue
            name = target[len("method.response.header.") :]
            static = _STATIC_VALUE.match(source)
            if static:
                headers[name] = static.group(1)
            elif source.startswith("integration.response.header."):
                value = _case_insensitive(
                    backend_headers, source[len("integration.response.header.") :]
                )
                if value is not None:
                    headers[name] = value
            elif source.startswith("integration.response.body"):
                from .vtl import json_path

                try:
                    document = json.loads(body_text)
                    value = json_path(document, "$" + source[len("integration.response.body") :])
                    headers[name] = value if isinstance(value, str) else json.dumps(value)
                except ValueError:
                    pass
        template = selected.response_templates.get("application/json")
        if template is None and selected.response_templates:
            template = next(iter(selected.response_templates.values()))
        if template is not None:
            body = self._render(context, template, body_text).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = backend_body
            headers.setdefault(
                "Content-Type",
                _case_insensitive(backend_headers, "content-type") or "application/json",
            )
        return HttpResponse(status, headers, body)

    # -- answers from the gateway itself -------------------------------------------------------------------
    def _gateway_response(self, context: RequestContext, answer: GatewayAnswer) -> HttpResponse:
        kind = answer.response_type
        api = context.api
        configured = api.gateway_responses.get(kind)
        status_text, error_type, _ = DEFAULTS[kind]
        status_text = answer.context.get("status") or status_text
        if configured is None:
            family = "DEFAULT_5XX" if (status_text or "500").startswith("5") else "DEFAULT_4XX"
            configured = api.gateway_responses.get(family)
        response = configured or default_response(kind)
        status = int(response.status_code or status_text or 500)
        variables = self._context_variables(context, answer)
        template = response.response_templates.get("application/json") or DEFAULT_TEMPLATE
        try:
            body = self.templates.render(
                template,
                "",
                self._template_params(context),
                variables,
                dict(context.stage.variables),
            )
        except Exception:
            body = json.dumps({"message": answer.message})
        headers = {"Content-Type": "application/json"}
        if error_type:
            headers["x-amzn-ErrorType"] = error_type
        for target, source in response.response_parameters.items():
            if target.startswith("gatewayresponse.header."):
                static = _STATIC_VALUE.match(source)
                headers[target[len("gatewayresponse.header.") :]] = (
                    static.group(1) if static else source
                )
        return HttpResponse(status, headers, body.encode())

    # -- logs, views and tests ---------------------------------------------------------------------------------
    def _access_log(self, context: RequestContext, response: HttpResponse) -> None:
        stage = context.stage
        if not stage.access_log_destination:
            return
        variables = self._context_variables(context)
        variables["status"] = response.status
        variables["responseLength"] = len(response.body)
        line = re.sub(
            r"\$context\.([A-Za-z.]+)",
            lambda m: str(_dig(variables, m.group(1).split(".")) or "-"),
            stage.access_log_format
            or "$context.requestId $context.httpMethod $context.path $context.status",
        )
        log = self.access_logs.setdefault((context.api.id, stage.name), deque(maxlen=1000))
        log.append(line)
        self.service.emit("access-log", self.service.arn_of(context.api.id), line=line)
        self.service.engine.service("logs").ingest_arn(
            stage.access_log_destination, f"{context.api.id}_{stage.name}", line
        )

    def integration_target(self, integration: Integration | None) -> str | None:
        """The ARN an integration calls (a function, a queue …), for the flow map."""
        if integration is None or not integration.uri:
            return None
        match = _LAMBDA_URI.match(integration.uri)
        if match:
            return match.group(1)
        match = _AWS_URI.match(integration.uri)
        if match:
            region, service_name, kind, rest = match.groups()
            if service_name == "sqs" and kind == "path":
                parts = rest.strip("/").split("/")
                if len(parts) >= 2:
                    return f"arn:aws:sqs:{region or self.service.region}:{parts[0]}:{parts[1]}"
            if service_name == "states":
                return None
        return None

    async def test_invoke(self, params: dict) -> dict:
        """TestInvokeMethod: run the current (undeployed) method, skipping auth, throttling and cache."""
        service = self.service
        api = service.api(params["restApiId"])
        resource = service._resource(api, params["resourceId"])
        method = resource.methods.get(params["httpMethod"].upper())
        if method is None:
            from .service import not_found

            raise not_found("Invalid Method identifier specified")
        path_with_query = params.get("pathWithQueryString") or resource.path
        path, _, query_string = path_with_query.partition("?")
        from urllib.parse import parse_qsl

        headers = {k.lower(): v for k, v in params.get("headers", {}).items()}
        request = HttpRequest(
            params["httpMethod"].upper(),
            path,
            parse_qsl(query_string, keep_blank_values=True),
            headers,
            (params.get("body") or "").encode(),
        )
        stage = _placeholder_stage("test-invoke-stage")
        stage.variables = dict(params.get("stageVariables", {}))
        context = RequestContext(api, stage, request)
        context.request_id = service.ids.uuid()
        context.started = service.clock.now()
        context.real_started = time.perf_counter()
        match = match_route({resource.id: resource}, request.method, path) or Route(
            resource, method, {}
        )
        context.route = Route(resource, method, match.path_parameters)
        try:
            response = await self._integrate(context)
        except GatewayAnswer as answer:
            response = self._gateway_response(context, answer)
        latency = int((time.perf_counter() - context.real_started) * 1000)
        if service.trace.enabled:
            service.emit(
                "test-invoked",
                service.arn_of(api.id),
                message_id=context.request_id,
                status=response.status,
                method=request.method,
                path=path,
                resource_path=resource.path,
                cors=_cors_headers(response.headers),
            )
        log = "\n".join(
            [
                f"Execution log for request {context.request_id}",
                f"Starting execution for request: {context.request_id}",
                f"HTTP Method: {request.method}, Resource Path: {path}",
                *context.log,
                f"Method completed with status: {response.status}",
            ]
        )
        return {
            "status": response.status,
            "body": response.body.decode("utf-8", "replace"),
            "headers": dict(response.headers),
            "multiValueHeaders": {k: [v] for k, v in response.headers.items()},
            "log": log,
            "latency": latency,
        }


# -- helpers ----------------------------------------------------------------------------------------------


def _cors_headers(headers: dict[str, str]) -> dict[str, str]:
    """The CORS headers of a response (lower-case names), for the trace."""
    return {
        name.lower(): value
        for name, value in headers.items()
        if name.lower().startswith("access-control-")
    }


def _placeholder_stage(name: str) -> Stage:
    from datetime import UTC, datetime

    return Stage(name, "", datetime.fromtimestamp(0, UTC))


class ResourceRouter:
    """A deployment's resources compiled once: literal paths in a dict, the rest by specificity."""

    def __init__(self, resources: dict[str, Resource]) -> None:
        self.literal: dict[str, Resource] = {}
        patterned: list[tuple[tuple[int, int, int], int, Resource, list[str]]] = []
        for order, resource in enumerate(resources.values()):
            pattern = [s for s in resource.path.split("/") if s]
            if not any(part.startswith("{") for part in pattern):
                self.literal["/" + "/".join(pattern)] = resource
                continue
            greedy = sum(1 for part in pattern if part.endswith("+}"))
            variables = sum(1 for part in pattern if part.startswith("{")) - greedy
            patterned.append(((-greedy, -variables, len(pattern)), -order, resource, pattern))
        # Most specific first; among equals, the resource made first (as AWS keeps creation order).
        patterned.sort(key=lambda item: (item[0], item[1]), reverse=True)
        self.patterns = [(resource, pattern) for _, _, resource, pattern in patterned]

    def match(self, http_method: str, path: str) -> Route | None:
        """The resource and method for `path`: literal segments beat {variables}, then {proxy+}."""
        method_name = http_method.upper()
        segments = [s for s in path.split("/") if s]
        resource = self.literal.get("/" + "/".join(segments))
        if resource is not None:
            method = resource.methods.get(method_name) or resource.methods.get("ANY")
            if method is not None:
                return Route(resource, method, {})
        for resource, pattern in self.patterns:
            params = _match_segments(pattern, segments)
            if params is None:
                continue
            method = resource.methods.get(method_name) or resource.methods.get("ANY")
            if method is not None:
                return Route(resource, method, params)
        return None


def match_route(resources: dict[str, Resource], http_method: str, path: str) -> Route | None:
    """The resource and method for `path` among `resources` (compiles them each call)."""
    return ResourceRouter(resources).match(http_method, path)


def _match_segments(pattern: list[str], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, part in enumerate(pattern):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            from urllib.parse import unquote

            params[part[1:-1]] = unquote(segments[index])
        elif part != segments[index]:
            return None
    return params if len(pattern) == len(segments) else None


def _json_target(uri_service: str, action: str) -> tuple[str, str] | None:
    """(X-Amz-Target, Content-Type) for an action on a JSON-protocol service, else None."""
    from engine.model import service_metadata
    from engine.services import SERVICE_MODULES

    names = {"states": "stepfunctions", "execute-api": "apigateway"}
    name = names.get(uri_service, uri_service)
    if name not in SERVICE_MODULES:
        return None
    metadata = service_metadata(name)
    if metadata.get("protocol") != "json" or not metadata.get("targetPrefix"):
        return None
    if "awsQueryCompatible" in metadata:
        # SQS: API Gateway's action URIs speak its query protocol (Action=SendMessage&…).
        return None
    content_type = f"application/x-amz-json-{metadata.get('jsonVersion', '1.0')}"
    return f"{metadata['targetPrefix']}.{action}", content_type


def _proxy_response(result: Any) -> HttpResponse:
    """A Lambda proxy result as an HTTP response (502 when it breaks the contract)."""

    def malformed() -> GatewayAnswer:
        return GatewayAnswer("DEFAULT_5XX", "Internal server error", status="502")

    if not isinstance(result, dict):
        raise malformed()
    allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
    if set(result) - allowed:
        raise malformed()
    status = result.get("statusCode", 200)
    if isinstance(status, str) and status.isdigit():
        status = int(status)  # API Gateway accepts the status as a numeric string too
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise malformed()
    raw_headers = result.get("headers") or {}
    raw_multi = result.get("multiValueHeaders") or {}
    if not isinstance(raw_headers, dict) or not isinstance(raw_multi, dict):
        raise malformed()
    headers = {str(k): str(v) for k, v in raw_headers.items()}
    for key, values in raw_multi.items():
        if not isinstance(values, list):
            raise malformed()
        headers[str(key)] = ",".join(str(v) for v in values)
    body = result.get("body")
    if body is None:
        payload = b""
    elif not isinstance(body, str):
        raise malformed()
    elif result.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(body, validate=True)
        except ValueError:
            raise malformed() from None
    else:
        payload = body.encode()
    headers.setdefault("Content-Type", "application/json")
    return HttpResponse(status, headers, payload)


def _select_response(
    integration: Integration, status: int, error_message: str | None
) -> IntegrationResponse | None:
    """The integration response whose selectionPattern matches (the default one otherwise)."""
    subject = error_message if error_message is not None else str(status)
    default = None
    for response in integration.responses.values():
        pattern = response.selection_pattern
        if not pattern:
            default = response
            continue
        if re.fullmatch(pattern, subject, re.S):
            return response
    if error_message is not None and default is not None:
        return default
    return default


def _request_parameter(context: RequestContext, name: str) -> str | None:
    parts = name.split(".", 3)
    if len(parts) < 4 or parts[0] != "method" or parts[1] != "request":
        return None
    where, param = parts[2], parts[3]
    request = context.request
    if where == "header":
        return request.headers.get(param.lower())
    if where == "querystring":
        values = [v for k, v in request.query if k == param]
        return values[-1] if values else None
    if where == "path":
        return context.route.path_parameters.get(param) if context.route else None
    return None


def _fill_path(uri: str, path_parameters: dict[str, str], context: RequestContext) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1).rstrip("+")
        return path_parameters.get(name, "")

    return re.sub(r"\{([^}]+)\}", replace, uri)


def _canonical_header(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _case_insensitive(headers: dict[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _media_matches(pattern: str, content_type: str) -> bool:
    if pattern in ("*/*", "*~1*"):
        return True
    return content_type.split(";")[0].strip() == pattern.replace("~1", "/")


def _dig(data: Any, keys: list[str]) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _schema_error(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{error.message}{f' at /{where}' if where else ''}"
