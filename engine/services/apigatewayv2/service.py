"""Amazon API Gateway v2: HTTP APIs and WebSocket APIs — the control plane.

Requests are served by `http_pipeline.py` (HTTP APIs) and `websocket.py` (WebSocket APIs).

Internal API (the console, the wire server and lessons use it):
- `await invoke(api_id, stage, HttpRequest)` → HttpResponse, `handle_http(request)` for execute-api URLs,
  `owns_api(api_id)`;
- `await connect(api_id, stage, headers=None, query=None)` → `LabSocket` (`send(text)`,
  `await receive(timeout=None)`, `close()`), a WebSocket client a learner can type into;
- `handle_websocket(scope, receive, send)`: an ASGI WebSocket served as the API at its path;
- `connections`: the live WebSocket connections (`post`, `get`, `delete`) that the
  `apigatewaymanagementapi` service exposes.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from engine.errors import ServiceError
from engine.http import HttpRequest, HttpResponse
from engine.service import Service
from engine.topology import Edge, Node

from ..apigateway.persistence import classes_of, from_data, to_data
from .http_pipeline import HttpPipeline, lambda_target
from .models import (
    Api,
    Authorizer,
    Cors,
    Deployment,
    Integration,
    Route,
    RouteSettings,
    Stage,
)
from .service_integrations import check_subtype
from .websocket import Connections, LabSocket, WebSocketGateway

_HTTP_ROUTE_KEY = re.compile(
    r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (/|(/(\{[A-Za-z0-9._-]+\+?\}|[^/{}\s]+))+)$"
)
_STAGE_NAME = re.compile(r"^(\$default|[A-Za-z0-9_-]{1,128})$")
INTEGRATION_TYPES = ("AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK")


def not_found(message: str) -> ServiceError:
    """NotFoundException (404)."""
    return ServiceError("NotFoundException", message, status_code=404)


def bad_request(message: str) -> ServiceError:
    """BadRequestException (400)."""
    return ServiceError("BadRequestException", message)


def conflict(message: str) -> ServiceError:
    """ConflictException (409)."""
    return ServiceError("ConflictException", message, status_code=409)


class ApiGatewayV2Service(Service):
    """HTTP and WebSocket APIs: routes, integrations, authorizers, deployments, stages."""

    name = "apigatewayv2"
    validation_error_code = "BadRequestException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.apis: dict[str, Api] = {}
        self.pipeline = HttpPipeline(self)
        self.connections = Connections(self)
        self.websockets = WebSocketGateway(self)

    # -- lookups ------------------------------------------------------------------------------
    def api(self, api_id: str) -> Api:
        """The API with this id; NotFoundException otherwise."""
        api = self.apis.get(api_id)
        if api is None:
            raise not_found(f"Invalid API identifier specified {self.account_id}:{api_id}")
        return api

    def owns_api(self, api_id: str) -> bool:
        """Whether `api_id` names an HTTP or WebSocket API of this lab."""
        return api_id in self.apis

    def arn_of(self, api_id: str) -> str:
        """The ARN of an API."""
        return f"arn:aws:apigateway:{self.region}::/apis/{api_id}"

    def owns(self, arn: str) -> bool:
        match = re.match(r"^arn:aws:apigateway:[^:]*::/apis/([^/]+)$", arn)
        return bool(match) and match.group(1) in self.apis

    def _route(self, api: Api, route_id: str) -> Route:
        route = api.routes.get(route_id)
        if route is None:
            raise not_found(
                f"Invalid Route identifier specified {self.account_id}:{api.id}:{route_id}"
            )
        return route

    def _integration(self, api: Api, integration_id: str) -> Integration:
        integration = api.integrations.get(integration_id)
        if integration is None:
            raise not_found(
                f"Invalid Integration identifier specified {self.account_id}:{api.id}:{integration_id}"
            )
        return integration

    def _authorizer(self, api: Api, authorizer_id: str) -> Authorizer:
        authorizer = api.authorizers.get(authorizer_id)
        if authorizer is None:
            raise not_found(
                f"Invalid Authorizer identifier specified {self.account_id}:{api.id}:{authorizer_id}"
            )
        return authorizer

    def _stage(self, api: Api, name: str) -> Stage:
        stage = api.stages.get(name)
        if stage is None:
            raise not_found(f"Invalid stage identifier specified {self.account_id}:{api.id}:{name}")
        return stage

    # -- APIs ---------------------------------------------------------------------------------
    def create_api(self, params: dict) -> dict:
        protocol = params["ProtocolType"]
        if protocol not in ("HTTP", "WEBSOCKET"):
            raise bad_request(f"Invalid protocol type: {protocol}")
        selection = params.get("RouteSelectionExpression")
        if protocol == "WEBSOCKET":
            if not selection:
                raise bad_request("RouteSelectionExpression is required for WEBSOCKET APIs")
            if params.get("CorsConfiguration"):
                raise bad_request("CORS is not supported for WEBSOCKET APIs")
            if params.get("Target") or params.get("RouteKey"):
                raise bad_request("Quick create is not supported for WEBSOCKET APIs")
        elif selection and selection != "${request.method} ${request.path}":
            raise bad_request(
                "Route selection expression for HTTP APIs must be ${request.method} ${request.path}"
            )
        target = params.get("Target")
        route_key = params.get("RouteKey", "$default")
        if target is not None:
            self._check_quick_target(target)
            self._check_route_key("HTTP", route_key)
        api = Api(
            self.ids.hex(10),
            params["Name"],
            protocol,
            self.clock.datetime(),
            selection or "${request.method} ${request.path}",
            self.region,
            params.get("ApiKeySelectionExpression", "$request.header.x-api-key"),
            params.get("Description", ""),
            params.get("Version"),
            Cors.from_params(params["CorsConfiguration"])
            if params.get("CorsConfiguration")
            else None,
            params.get("DisableExecuteApiEndpoint", False),
            dict(params.get("Tags", {})),
        )
        self.apis[api.id] = api
        if target is not None:
            self._quick_create(api, target, route_key)
        self.emit("created", self.arn_of(api.id), name=api.name, protocol=protocol)
        return api.describe()

    def _check_quick_target(self, target: str) -> None:
        if lambda_target(target) is None and not re.match(r"^https?://", target):
            raise bad_request("Target must be a Lambda function ARN or an HTTP URL")

    def _quick_create(self, api: Api, target: str, route_key: str) -> None:
        """Quick create: one integration, one route and a `$default` stage that auto-deploys."""
        is_lambda = lambda_target(target) is not None
        integration = Integration(
            self.ids.hex(7),
            "AWS_PROXY" if is_lambda else "HTTP_PROXY",
            target,
            "POST" if is_lambda else "ANY",
            "2.0" if is_lambda else "1.0",
            30_000,
            managed=True,
        )
        api.integrations[integration.id] = integration
        route = Route(self.ids.hex(7), route_key, f"integrations/{integration.id}", managed=True)
        api.routes[route.id] = route
        stage = Stage("$default", self.clock.datetime(), auto_deploy=True, managed=True)
        api.stages[stage.name] = stage
        self._changed(api)

    def get_api(self, params: dict) -> dict:
        return self.api(params["ApiId"]).describe()

    def get_apis(self, params: dict) -> dict:
        return _page([a.describe() for a in self.apis.values()], params)

    def update_api(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        if params.get("CorsConfiguration") is not None and api.protocol == "WEBSOCKET":
            raise bad_request("CORS is not supported for WEBSOCKET APIs")
        selection = params.get("RouteSelectionExpression")
        if selection and api.protocol == "HTTP" and selection != api.route_selection_expression:
            raise bad_request(
                "Route selection expression for HTTP APIs must be ${request.method} ${request.path}"
            )
        if "Name" in params:
            api.name = params["Name"]
        if "Description" in params:
            api.description = params["Description"]
        if "Version" in params:
            api.version = params["Version"]
        if selection:
            api.route_selection_expression = selection
        if "DisableExecuteApiEndpoint" in params:
            api.disable_execute_api_endpoint = params["DisableExecuteApiEndpoint"]
        if params.get("CorsConfiguration") is not None:
            api.cors = Cors.from_params(params["CorsConfiguration"])
        return api.describe()

    def delete_api(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        del self.apis[api.id]
        self.pipeline.latencies.pop(api.id, None)
        self.connections.api_deleted(api.id)
        self.emit("deleted", self.arn_of(api.id))
        return {}

    def delete_cors_configuration(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        api.cors = None
        return {}

    # -- routes -------------------------------------------------------------------------------
    def _check_route_key(self, protocol: str, key: str) -> None:
        if protocol == "HTTP":
            if key == "$default" or _HTTP_ROUTE_KEY.match(key):
                path = key.split(" ", 1)[-1]
                greedy = [i for i, p in enumerate(path.split("/")) if p.endswith("+}")]
                if greedy and greedy[-1] != len(path.split("/")) - 1:
                    raise bad_request("A greedy path variable must be the last part of the path")
                return
            raise bad_request(
                f"Unable to create route {key}: the route key must be $default or an HTTP method "
                "and a path, such as 'GET /pets/{petId}'"
            )
        if not key or key.strip() != key:
            raise bad_request(f"Invalid route key: {key!r}")

    def _check_target(self, api: Api, target: str | None) -> None:
        if target is None:
            return
        if not target.startswith("integrations/") or target[13:] not in api.integrations:
            raise bad_request(f"Invalid target specified: {target}")

    def _check_authorization(self, api: Api, kind: str, authorizer_id: str | None) -> None:
        allowed = ("NONE", "AWS_IAM", "JWT", "CUSTOM")
        if api.protocol == "WEBSOCKET":
            allowed = ("NONE", "AWS_IAM", "CUSTOM")
        if kind not in allowed:
            raise bad_request(f"Invalid authorization type {kind} for {api.protocol} API")
        if kind in ("JWT", "CUSTOM"):
            if not authorizer_id:
                raise bad_request(f"An authorizer is required for authorization type {kind}")
            authorizer = self._authorizer(api, authorizer_id)
            expected = "JWT" if kind == "JWT" else "REQUEST"
            if authorizer.type != expected:
                raise bad_request(
                    f"Authorization type {kind} needs an authorizer of type {expected}"
                )

    def create_route(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        key = params["RouteKey"]
        self._check_route_key(api.protocol, key)
        if any(r.key == key for r in api.routes.values()):
            raise conflict(f"Route with key {key} already exists for this API")
        self._check_target(api, params.get("Target"))
        kind = params.get("AuthorizationType", "NONE")
        self._check_authorization(api, kind, params.get("AuthorizerId"))
        if api.protocol == "WEBSOCKET" and kind != "NONE" and key != "$connect":
            raise bad_request("Authorization is only supported on the $connect route")
        route = Route(
            self.ids.hex(7),
            key,
            params.get("Target"),
            kind,
            params.get("AuthorizerId"),
            list(params.get("AuthorizationScopes", [])),
            params.get("ApiKeyRequired", False),
            params.get("OperationName"),
            params.get("RouteResponseSelectionExpression"),
        )
        api.routes[route.id] = route
        self._changed(api)
        return route.describe()

    def get_route(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        return self._route(api, params["RouteId"]).describe()

    def get_routes(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        return _page([r.describe() for r in api.routes.values()], params)

    def update_route(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        route = self._route(api, params["RouteId"])
        key = params.get("RouteKey", route.key)
        self._check_route_key(api.protocol, key)
        if any(r.key == key and r.id != route.id for r in api.routes.values()):
            raise conflict(f"Route with key {key} already exists for this API")
        self._check_target(api, params.get("Target"))
        kind = params.get("AuthorizationType", route.authorization_type)
        self._check_authorization(api, kind, params.get("AuthorizerId", route.authorizer_id))
        route.key = key
        route.target = params.get("Target", route.target)
        route.authorization_type = kind
        route.authorizer_id = params.get("AuthorizerId", route.authorizer_id)
        if kind in ("NONE", "AWS_IAM"):
            route.authorizer_id = None
        route.authorization_scopes = list(
            params.get("AuthorizationScopes", route.authorization_scopes)
        )
        route.api_key_required = params.get("ApiKeyRequired", route.api_key_required)
        route.operation_name = params.get("OperationName", route.operation_name)
        route.route_response_selection_expression = params.get(
            "RouteResponseSelectionExpression", route.route_response_selection_expression
        )
        self._changed(api)
        return route.describe()

    def delete_route(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        route = self._route(api, params["RouteId"])
        del api.routes[route.id]
        self._changed(api)
        return {}

    def create_route_response(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        route = self._route(api, params["RouteId"])
        if api.protocol != "WEBSOCKET":
            raise bad_request("Route responses are only supported for WEBSOCKET APIs")
        key = params["RouteResponseKey"]
        if key in route.route_responses.values():
            raise conflict(f"Route response with key {key} already exists for this route")
        response_id = self.ids.hex(6)
        route.route_responses[response_id] = key
        self._changed(api)
        return {"RouteResponseId": response_id, "RouteResponseKey": key}

    def get_route_response(self, params: dict) -> dict:
        route = self._route(self.api(params["ApiId"]), params["RouteId"])
        key = route.route_responses.get(params["RouteResponseId"])
        if key is None:
            raise not_found("Invalid RouteResponse identifier specified")
        return {"RouteResponseId": params["RouteResponseId"], "RouteResponseKey": key}

    def get_route_responses(self, params: dict) -> dict:
        route = self._route(self.api(params["ApiId"]), params["RouteId"])
        items = [
            {"RouteResponseId": i, "RouteResponseKey": k} for i, k in route.route_responses.items()
        ]
        return _page(items, params)

    def update_route_response(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        route = self._route(api, params["RouteId"])
        response_id = params["RouteResponseId"]
        if response_id not in route.route_responses:
            raise not_found("Invalid RouteResponse identifier specified")
        key = params.get("RouteResponseKey", route.route_responses[response_id])
        if any(k == key and i != response_id for i, k in route.route_responses.items()):
            raise conflict(f"Route response with key {key} already exists for this route")
        route.route_responses[response_id] = key
        self._changed(api)
        return {"RouteResponseId": response_id, "RouteResponseKey": key}

    def delete_route_response(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        route = self._route(api, params["RouteId"])
        if route.route_responses.pop(params["RouteResponseId"], None) is None:
            raise not_found("Invalid RouteResponse identifier specified")
        self._changed(api)
        return {}

    # -- integrations ---------------------------------------------------------------------------
    def _integration_from(self, api: Api, params: dict, base: Integration | None) -> Integration:
        """An integration from create/update parameters, validated before anything changes."""
        kind = params.get("IntegrationType", base.type if base else "")
        if kind not in INTEGRATION_TYPES:
            raise bad_request(f"Invalid integration type: {kind}")
        uri = params.get("IntegrationUri", base.uri if base else None)
        method = params.get("IntegrationMethod", base.method if base else None)
        if api.protocol == "HTTP" and kind in ("AWS", "HTTP", "MOCK"):
            raise bad_request(f"Integration type {kind} is not supported for HTTP APIs")
        subtype = params.get("IntegrationSubtype", base.subtype if base else None)
        parameters = dict(params.get("RequestParameters", base.request_parameters if base else {}))
        if subtype is not None:
            if kind != "AWS_PROXY" or api.protocol != "HTTP":
                raise bad_request(
                    "IntegrationSubtype needs an AWS_PROXY integration of an HTTP API"
                )
            if not params.get("CredentialsArn", base.credentials_arn if base else None):
                raise bad_request("CredentialsArn is required for AWS service integrations")
            problem = check_subtype(subtype, parameters)
            if problem:
                raise bad_request(problem)
        elif kind == "AWS_PROXY" and (not uri or lambda_target(uri) is None):
            raise bad_request("IntegrationUri must be a Lambda function ARN for AWS_PROXY")
        if kind in ("HTTP", "HTTP_PROXY"):
            if not uri or not re.match(r"^https?://", uri):
                raise bad_request(f"Invalid HTTP endpoint specified for URI: {uri}")
            if not method:
                raise bad_request("IntegrationMethod is required for HTTP integrations")
        default_format = "1.0"
        if (
            base is None
            and api.protocol == "HTTP"
            and kind == "AWS_PROXY"
            and subtype is None
            and "PayloadFormatVersion" not in params
        ):
            raise bad_request(
                "PayloadFormatVersion is required for Lambda proxy integrations of HTTP APIs "
                "(1.0 or 2.0)"
            )
        payload = params.get(
            "PayloadFormatVersion", base.payload_format if base else default_format
        )
        if payload not in ("1.0", "2.0"):
            raise bad_request(f"Invalid payload format version: {payload}")
        if payload == "2.0" and (api.protocol != "HTTP" or kind != "AWS_PROXY" or subtype):
            raise bad_request(
                "Payload format version 2.0 is only supported for HTTP API Lambda proxy integrations"
            )
        maximum = 30_000 if api.protocol == "HTTP" else 29_000
        timeout = params.get("TimeoutInMillis", base.timeout_ms if base else maximum)
        if not 50 <= timeout <= maximum:
            raise bad_request(f"Timeout must be between 50 ms and {maximum} ms")
        passthrough = params.get("PassthroughBehavior", base.passthrough_behavior if base else None)
        if api.protocol == "WEBSOCKET" and passthrough is None and kind in ("AWS", "HTTP", "MOCK"):
            passthrough = "WHEN_NO_MATCH"
        return Integration(
            base.id if base else self.ids.hex(7),
            kind,
            uri,
            method.upper() if method else None,
            payload,
            timeout,
            params.get("Description", base.description if base else ""),
            parameters,
            dict(params.get("RequestTemplates", base.request_templates if base else {})),
            params.get(
                "TemplateSelectionExpression",
                base.template_selection_expression if base else None,
            ),
            passthrough,
            params.get("ConnectionType", base.connection_type if base else "INTERNET"),
            params.get("CredentialsArn", base.credentials_arn if base else None),
            subtype,
        )

    def create_integration(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        integration = self._integration_from(api, params, None)
        api.integrations[integration.id] = integration
        self._changed(api)
        return integration.describe()

    def get_integration(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        return self._integration(api, params["IntegrationId"]).describe()

    def get_integrations(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        return _page([i.describe() for i in api.integrations.values()], params)

    def update_integration(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        current = self._integration(api, params["IntegrationId"])
        api.integrations[current.id] = updated = self._integration_from(api, params, current)
        self._changed(api)
        return updated.describe()

    def delete_integration(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        integration = self._integration(api, params["IntegrationId"])
        if any(r.integration_id == integration.id for r in api.routes.values()):
            raise conflict(f"Cannot delete integration {integration.id}: a route still targets it")
        del api.integrations[integration.id]
        self._changed(api)
        return {}

    # -- authorizers ---------------------------------------------------------------------------------
    def _authorizer_from(self, api: Api, params: dict, base: Authorizer | None) -> Authorizer:
        kind = params.get("AuthorizerType", base.type if base else "")
        if kind not in ("JWT", "REQUEST"):
            raise bad_request(f"Invalid authorizer type: {kind}")
        if kind == "JWT" and api.protocol != "HTTP":
            raise bad_request("JWT authorizers are only supported for HTTP APIs")
        sources = list(params.get("IdentitySource", base.identity_source if base else []))
        jwt_config = params.get("JwtConfiguration")
        issuer = (jwt_config or {}).get("Issuer", base.issuer if base else None)
        audience = list((jwt_config or {}).get("Audience", base.audience if base else []))
        uri = params.get("AuthorizerUri", base.uri if base else None)
        payload = params.get(
            "AuthorizerPayloadFormatVersion", base.payload_format if base else None
        )
        simple = params.get("EnableSimpleResponses", base.simple_responses if base else False)
        ttl = params.get("AuthorizerResultTtlInSeconds", base.ttl if base else 0)
        if kind == "JWT":
            if not issuer:
                raise bad_request("JwtConfiguration.Issuer is required for JWT authorizers")
            if not audience:
                raise bad_request("JwtConfiguration.Audience is required for JWT authorizers")
            if len(sources) != 1:
                raise bad_request("A JWT authorizer takes exactly one identity source")
        else:
            if not uri or lambda_target(uri) is None:
                raise bad_request("AuthorizerUri must be a Lambda function invocation URI")
            if api.protocol == "HTTP":
                if payload not in ("1.0", "2.0"):
                    raise bad_request(
                        "AuthorizerPayloadFormatVersion (1.0 or 2.0) is required for HTTP APIs"
                    )
                if simple and payload != "2.0":
                    raise bad_request("Simple responses need authorizer payload format 2.0")
            if not 0 <= ttl <= 3600:
                raise bad_request("AuthorizerResultTtlInSeconds must be between 0 and 3600")
            if ttl > 0 and not sources:
                raise bad_request("Identity sources are required when result caching is on")
        for source in sources:
            if not re.match(
                r"^(\$request\.(header|querystring)\.|\$context\.|\$stageVariables\.|route\.request\.(header|querystring)\.)",
                source,
            ):
                raise bad_request(f"Invalid identity source: {source}")
        return Authorizer(
            base.id if base else self.ids.hex(6),
            params.get("Name", base.name if base else ""),
            kind,
            sources,
            issuer,
            audience,
            uri,
            payload,
            simple,
            ttl,
        )

    def create_authorizer(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        authorizer = self._authorizer_from(api, params, None)
        api.authorizers[authorizer.id] = authorizer
        self._changed(api)
        return authorizer.describe()

    def get_authorizer(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        return self._authorizer(api, params["AuthorizerId"]).describe()

    def get_authorizers(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        return _page([a.describe() for a in api.authorizers.values()], params)

    def update_authorizer(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        current = self._authorizer(api, params["AuthorizerId"])
        api.authorizers[current.id] = updated = self._authorizer_from(api, params, current)
        self.pipeline.auth_cache.flush(api.id)
        self._changed(api)
        return updated.describe()

    def delete_authorizer(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        authorizer = self._authorizer(api, params["AuthorizerId"])
        if any(r.authorizer_id == authorizer.id for r in api.routes.values()):
            raise conflict(f"Cannot delete authorizer {authorizer.id}: a route still uses it")
        del api.authorizers[authorizer.id]
        self._changed(api)
        return {}

    def reset_authorizers_cache(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        self._stage(api, params["StageName"])
        self.pipeline.auth_cache.flush(api.id)
        return {}

    # -- deployments and stages -------------------------------------------------------------------------
    def _snapshot(self, api: Api, description: str, auto: bool) -> Deployment:
        deployment = Deployment(
            self.ids.hex(6),
            self.clock.datetime(),
            description,
            auto,
            copy.deepcopy(api.routes),
            copy.deepcopy(api.integrations),
            copy.deepcopy(api.authorizers),
        )
        api.deployments[deployment.id] = deployment
        return deployment

    def _changed(self, api: Api) -> None:
        """Auto-deploying stages get a fresh deployment after every change (as AWS does)."""
        for stage in api.stages.values():
            if stage.auto_deploy:
                stage.deployment_id = self._snapshot(api, "Automatic deployment", True).id
                stage.last_updated = self.clock.datetime()

    def create_deployment(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        stage_name = params.get("StageName")
        stage = self._stage(api, stage_name) if stage_name else None
        if stage is not None and stage.auto_deploy:
            raise bad_request(
                f"Stage {stage_name} has AutoDeploy enabled: deployments are made for you"
            )
        if not api.routes:
            raise bad_request("At least one route is required before deploying the Api.")
        for route in api.routes.values():
            if api.protocol == "WEBSOCKET" and route.integration_id is None:
                raise bad_request(f"Route {route.key} has no integration")
        deployment = self._snapshot(api, params.get("Description", ""), False)
        if stage is not None:
            stage.deployment_id = deployment.id
            stage.last_updated = self.clock.datetime()
        self.emit("deployed", self.arn_of(api.id), deployment=deployment.id, stage=stage_name)
        return deployment.describe()

    def get_deployment(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        deployment = api.deployments.get(params["DeploymentId"])
        if deployment is None:
            raise not_found("Invalid Deployment identifier specified")
        return deployment.describe()

    def get_deployments(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        return _page([d.describe() for d in api.deployments.values()], params)

    def update_deployment(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        deployment = api.deployments.get(params["DeploymentId"])
        if deployment is None:
            raise not_found("Invalid Deployment identifier specified")
        deployment.description = params.get("Description", deployment.description)
        return deployment.describe()

    def delete_deployment(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        deployment_id = params["DeploymentId"]
        if deployment_id not in api.deployments:
            raise not_found("Invalid Deployment identifier specified")
        if any(s.deployment_id == deployment_id for s in api.stages.values()):
            raise bad_request("Active stages pointing to this deployment must be moved or deleted")
        del api.deployments[deployment_id]
        return {}

    def _apply_stage(self, api: Api, stage: Stage, params: dict) -> None:
        """Apply stage settings from create/update parameters (already validated)."""
        if "Description" in params:
            stage.description = params["Description"]
        if "StageVariables" in params:
            stage.variables = dict(params["StageVariables"])
        if "DefaultRouteSettings" in params:
            stage.default_settings = RouteSettings.from_params(params["DefaultRouteSettings"])
        if "RouteSettings" in params:
            stage.route_settings = {
                k: RouteSettings.from_params(v) for k, v in params["RouteSettings"].items()
            }
        if "AccessLogSettings" in params:
            stage.access_log_destination = params["AccessLogSettings"].get("DestinationArn")
            stage.access_log_format = params["AccessLogSettings"].get("Format")
        if "DeploymentId" in params:
            stage.deployment_id = params["DeploymentId"]
        if "AutoDeploy" in params:
            turned_on = params["AutoDeploy"] and not stage.auto_deploy
            stage.auto_deploy = params["AutoDeploy"]
            if turned_on:
                stage.deployment_id = self._snapshot(api, "Automatic deployment", True).id
        stage.last_updated = self.clock.datetime()

    def _check_stage_params(self, api: Api, params: dict) -> None:
        deployment_id = params.get("DeploymentId")
        if deployment_id and deployment_id not in api.deployments:
            raise not_found("Invalid Deployment identifier specified")
        if params.get("AutoDeploy") and api.protocol == "WEBSOCKET":
            raise bad_request("AutoDeploy is not supported for WEBSOCKET APIs")
        settings = [params.get("DefaultRouteSettings") or {}]
        settings += list((params.get("RouteSettings") or {}).values())
        for entry in settings:
            rate = entry.get("ThrottlingRateLimit")
            burst = entry.get("ThrottlingBurstLimit")
            if (rate is not None and rate < 0) or (burst is not None and burst < 0):
                raise bad_request("Throttling limits must not be negative")
        for key in params.get("RouteSettings") or {}:
            if not any(r.key == key for r in api.routes.values()):
                raise not_found(
                    f"Unable to find Route by key {key} within the provided RouteSettings"
                )

    def create_stage(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        name = params["StageName"]
        if not _STAGE_NAME.match(name):
            raise bad_request("Stage name only allows a-zA-Z0-9_- (or $default)")
        if name in api.stages:
            raise conflict(f"Stage {name} already exists")
        self._check_stage_params(api, params)
        stage = Stage(name, self.clock.datetime(), tags=dict(params.get("Tags", {})))
        self._apply_stage(api, stage, params)
        api.stages[name] = stage
        return stage.describe(api.protocol)

    def get_stage(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        return self._stage(api, params["StageName"]).describe(api.protocol)

    def get_stages(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        return _page([s.describe(api.protocol) for s in api.stages.values()], params)

    def update_stage(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        stage = self._stage(api, params["StageName"])
        self._check_stage_params(api, params)
        self._apply_stage(api, stage, params)
        return stage.describe(api.protocol)

    def delete_stage(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        stage = self._stage(api, params["StageName"])
        del api.stages[stage.name]
        return {}

    def delete_route_settings(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        stage = self._stage(api, params["StageName"])
        if stage.route_settings.pop(params["RouteKey"], None) is None:
            raise not_found(f"Unable to find route settings for {params['RouteKey']}")
        return {}

    def delete_access_log_settings(self, params: dict) -> dict:
        api = self.api(params["ApiId"])
        stage = self._stage(api, params["StageName"])
        stage.access_log_destination = stage.access_log_format = None
        return {}

    # -- tags -----------------------------------------------------------------------------------------------
    def _taggable(self, arn: str) -> Api | Stage:
        match = re.match(r"^arn:aws:apigateway:[^:]*::/apis/([^/]+)(?:/stages/([^/]+))?$", arn)
        if match is None:
            raise bad_request(f"Invalid resource ARN: {arn}")
        api = self.api(match.group(1))
        return self._stage(api, match.group(2)) if match.group(2) else api

    def tag_resource(self, params: dict) -> dict:
        self._taggable(params["ResourceArn"]).tags.update(params.get("Tags", {}))
        return {}

    def untag_resource(self, params: dict) -> dict:
        target = self._taggable(params["ResourceArn"])
        for key in params["TagKeys"]:
            target.tags.pop(key, None)
        return {}

    def get_tags(self, params: dict) -> dict:
        return {"Tags": dict(self._taggable(params["ResourceArn"]).tags)}

    # -- serving ------------------------------------------------------------------------------------------------
    async def invoke(self, api_id: str, stage: str, request: HttpRequest) -> HttpResponse:
        """Send one request through an HTTP API stage (`$default` for the default stage)."""
        return await self.pipeline.handle(api_id, stage, request)

    async def handle_http(self, request: HttpRequest) -> HttpResponse:
        """Serve execute-api URLs of HTTP APIs (path or host form, as the REST service does)."""
        return await self.pipeline.handle_url(request)

    async def connect(
        self,
        api_id: str,
        stage: str,
        *,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> LabSocket:
        """Open a lab WebSocket client on a deployed WebSocket API stage (runs `$connect`)."""
        return await self.websockets.lab_connect(api_id, stage, headers or {}, query or {})

    async def handle_websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Serve an ASGI WebSocket at `/{stage}` of host `{api}.execute-api.*` or `/restapis/{api}/{stage}`."""
        await self.websockets.serve_asgi(scope, receive, send)

    async def close(self) -> None:
        await self.connections.close_all()

    # -- save/open -------------------------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """HTTP and WebSocket APIs with their deployments and stages (live connections are not saved)."""
        return {"apis": to_data(self.apis)} if self.apis else None

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` produced."""
        from . import models

        self.apis = from_data(data.get("apis", {"$map": {}}), classes_of(models))

    # -- views ----------------------------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes, edges = [], []
        for api in self.apis.values():
            arn = self.arn_of(api.id)
            counters = dict(self.pipeline.counters.get(api.id, {}))
            if api.protocol == "WEBSOCKET":
                counters["connections"] = self.connections.count(api.id)
            nodes.append(Node(arn, "api", api.name, self.name, counters))
            for route in api.routes.values():
                integration = api.integrations.get(route.integration_id or "")
                target = lambda_target(integration.uri or "") if integration else None
                if target:
                    edges.append(Edge(arn, target, "integration", route.key))
        return nodes, edges


def _page(items: list[dict], params: dict) -> dict:
    limit = int(params.get("MaxResults") or 100)
    if limit < 1:
        raise bad_request("MaxResults must be at least 1")
    start = (
        int(params.get("NextToken") or 0) if str(params.get("NextToken") or "0").isdigit() else 0
    )
    result: dict[str, Any] = {"Items": items[start : start + limit]}
    if start + limit < len(items):
        result["NextToken"] = str(start + limit)
    return result
