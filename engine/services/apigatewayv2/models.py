"""HTTP and WebSocket API resources as small typed objects, each with boto3's shape in `describe()`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Cors:
    """An HTTP API's CorsConfiguration."""

    allow_origins: list[str] = field(default_factory=list)
    allow_methods: list[str] = field(default_factory=list)
    allow_headers: list[str] = field(default_factory=list)
    expose_headers: list[str] = field(default_factory=list)
    max_age: int | None = None
    allow_credentials: bool | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Cors:
        """Build from boto3's CorsConfiguration dict."""
        return cls(
            list(params.get("AllowOrigins", [])),
            [m.upper() for m in params.get("AllowMethods", [])],
            [h.lower() for h in params.get("AllowHeaders", [])],
            [h.lower() for h in params.get("ExposeHeaders", [])],
            params.get("MaxAge"),
            params.get("AllowCredentials"),
        )

    def describe(self) -> dict[str, Any]:
        """Boto3's Cors shape."""
        out: dict[str, Any] = {}
        if self.allow_origins:
            out["AllowOrigins"] = list(self.allow_origins)
        if self.allow_methods:
            out["AllowMethods"] = list(self.allow_methods)
        if self.allow_headers:
            out["AllowHeaders"] = list(self.allow_headers)
        if self.expose_headers:
            out["ExposeHeaders"] = list(self.expose_headers)
        if self.max_age is not None:
            out["MaxAge"] = self.max_age
        if self.allow_credentials is not None:
            out["AllowCredentials"] = self.allow_credentials
        return out


@dataclass(slots=True)
class Integration:
    """Where a route sends its requests."""

    id: str
    type: str
    uri: str | None
    method: str | None
    payload_format: str
    timeout_ms: int
    description: str = ""
    request_parameters: dict[str, str] = field(default_factory=dict)
    request_templates: dict[str, str] = field(default_factory=dict)
    template_selection_expression: str | None = None
    passthrough_behavior: str | None = None
    connection_type: str = "INTERNET"
    credentials_arn: str | None = None
    subtype: str | None = None  # first-class AWS integration, e.g. "SQS-SendMessage"
    managed: bool = False  # made by quick create (ApiGatewayManaged)

    def describe(self) -> dict[str, Any]:
        """Boto3's Integration shape."""
        out: dict[str, Any] = {
            "IntegrationId": self.id,
            "IntegrationType": self.type,
            "ConnectionType": self.connection_type,
            "PayloadFormatVersion": self.payload_format,
            "TimeoutInMillis": self.timeout_ms,
            "ApiGatewayManaged": self.managed,
        }
        if self.uri:
            out["IntegrationUri"] = self.uri
        if self.method:
            out["IntegrationMethod"] = self.method
        if self.description:
            out["Description"] = self.description
        if self.request_parameters:
            out["RequestParameters"] = dict(self.request_parameters)
        if self.request_templates:
            out["RequestTemplates"] = dict(self.request_templates)
        if self.template_selection_expression:
            out["TemplateSelectionExpression"] = self.template_selection_expression
        if self.passthrough_behavior:
            out["PassthroughBehavior"] = self.passthrough_behavior
        if self.credentials_arn:
            out["CredentialsArn"] = self.credentials_arn
        if self.subtype:
            out["IntegrationSubtype"] = self.subtype
        return out


@dataclass(slots=True)
class Route:
    """A route key (`GET /items/{id}`, `$default`, `$connect` …) and what it calls."""

    id: str
    key: str
    target: str | None = None  # "integrations/{id}"
    authorization_type: str = "NONE"
    authorizer_id: str | None = None
    authorization_scopes: list[str] = field(default_factory=list)
    api_key_required: bool = False
    operation_name: str | None = None
    route_response_selection_expression: str | None = None
    route_responses: dict[str, str] = field(default_factory=dict)  # RouteResponseId → key
    managed: bool = False  # made by quick create (ApiGatewayManaged)

    @property
    def integration_id(self) -> str | None:
        """The id of the integration in `target`, if any."""
        if self.target and self.target.startswith("integrations/"):
            return self.target[len("integrations/") :]
        return None

    def describe(self) -> dict[str, Any]:
        """Boto3's Route shape."""
        out: dict[str, Any] = {
            "RouteId": self.id,
            "RouteKey": self.key,
            "AuthorizationType": self.authorization_type,
            "ApiKeyRequired": self.api_key_required,
            "ApiGatewayManaged": self.managed,
        }
        if self.target:
            out["Target"] = self.target
        if self.authorizer_id:
            out["AuthorizerId"] = self.authorizer_id
        if self.authorization_scopes:
            out["AuthorizationScopes"] = list(self.authorization_scopes)
        if self.operation_name:
            out["OperationName"] = self.operation_name
        if self.route_response_selection_expression:
            out["RouteResponseSelectionExpression"] = self.route_response_selection_expression
        return out


@dataclass(slots=True)
class Authorizer:
    """A JWT or Lambda (REQUEST) authorizer."""

    id: str
    name: str
    type: str
    identity_source: list[str]
    issuer: str | None = None
    audience: list[str] = field(default_factory=list)
    uri: str | None = None
    payload_format: str | None = None
    simple_responses: bool = False
    ttl: int = 0

    def describe(self) -> dict[str, Any]:
        """Boto3's Authorizer shape."""
        out: dict[str, Any] = {
            "AuthorizerId": self.id,
            "AuthorizerType": self.type,
            "Name": self.name,
            "IdentitySource": list(self.identity_source),
        }
        if self.type == "JWT":
            out["JwtConfiguration"] = {"Audience": list(self.audience), "Issuer": self.issuer}
        else:
            out["AuthorizerUri"] = self.uri
            out["AuthorizerResultTtlInSeconds"] = self.ttl
            if self.payload_format:
                out["AuthorizerPayloadFormatVersion"] = self.payload_format
                out["EnableSimpleResponses"] = self.simple_responses
        return out


@dataclass(slots=True)
class Deployment:
    """A frozen copy of an API's routes, integrations and authorizers."""

    id: str
    created: datetime
    description: str = ""
    auto_deployed: bool = False
    routes: dict[str, Route] = field(default_factory=dict)
    integrations: dict[str, Integration] = field(default_factory=dict)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    by_key: dict[str, Route] = field(default_factory=dict)  # route key → route, for WebSockets

    def __post_init__(self) -> None:
        self.by_key = {route.key: route for route in self.routes.values()}

    def describe(self) -> dict[str, Any]:
        """Boto3's Deployment shape."""
        out: dict[str, Any] = {
            "DeploymentId": self.id,
            "DeploymentStatus": "DEPLOYED",
            "CreatedDate": self.created,
            "AutoDeployed": self.auto_deployed,
        }
        if self.description:
            out["Description"] = self.description
        return out


@dataclass(slots=True)
class RouteSettings:
    """Throttling (and logging switches) for the default route or one route key."""

    rate: float | None = None
    burst: int | None = None
    detailed_metrics: bool = False
    logging_level: str | None = None
    data_trace: bool = False

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> RouteSettings:
        """Build from boto3's RouteSettings dict."""
        return cls(
            params.get("ThrottlingRateLimit"),
            params.get("ThrottlingBurstLimit"),
            params.get("DetailedMetricsEnabled", False),
            params.get("LoggingLevel"),
            params.get("DataTraceEnabled", False),
        )

    def describe(self, protocol: str) -> dict[str, Any]:
        """Boto3's RouteSettings shape."""
        out: dict[str, Any] = {"DetailedMetricsEnabled": self.detailed_metrics}
        if self.rate is not None:
            out["ThrottlingRateLimit"] = self.rate
        if self.burst is not None:
            out["ThrottlingBurstLimit"] = self.burst
        if protocol == "WEBSOCKET":
            out["DataTraceEnabled"] = self.data_trace
            out["LoggingLevel"] = self.logging_level or "OFF"
        return out


@dataclass(slots=True)
class Stage:
    """A named, deployed stage; `$default` serves at the API's root."""

    name: str
    created: datetime
    deployment_id: str | None = None
    auto_deploy: bool = False
    description: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    default_settings: RouteSettings = field(default_factory=RouteSettings)
    route_settings: dict[str, RouteSettings] = field(default_factory=dict)
    access_log_destination: str | None = None
    access_log_format: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    last_updated: datetime | None = None
    managed: bool = False  # the `$default` stage quick create made (ApiGatewayManaged)

    def describe(self, protocol: str) -> dict[str, Any]:
        """Boto3's Stage shape."""
        out: dict[str, Any] = {
            "StageName": self.name,
            "CreatedDate": self.created,
            "LastUpdatedDate": self.last_updated or self.created,
            "DefaultRouteSettings": self.default_settings.describe(protocol),
            "RouteSettings": {k: v.describe(protocol) for k, v in self.route_settings.items()},
            "StageVariables": dict(self.variables),
            "Tags": dict(self.tags),
            "ApiGatewayManaged": self.managed,
        }
        if protocol == "HTTP":
            out["AutoDeploy"] = self.auto_deploy
        if self.deployment_id:
            out["DeploymentId"] = self.deployment_id
        if self.description:
            out["Description"] = self.description
        if self.access_log_destination:
            out["AccessLogSettings"] = {
                "DestinationArn": self.access_log_destination,
                "Format": self.access_log_format or "",
            }
        return out


@dataclass(slots=True)
class Api:
    """An HTTP or WebSocket API and everything defined on it."""

    id: str
    name: str
    protocol: str
    created: datetime
    route_selection_expression: str
    region: str
    api_key_selection_expression: str = "$request.header.x-api-key"
    description: str = ""
    version: str | None = None
    cors: Cors | None = None
    disable_execute_api_endpoint: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    routes: dict[str, Route] = field(default_factory=dict)
    integrations: dict[str, Integration] = field(default_factory=dict)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    deployments: dict[str, Deployment] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        """The ApiEndpoint AWS reports."""
        scheme = "wss" if self.protocol == "WEBSOCKET" else "https"
        return f"{scheme}://{self.id}.execute-api.{self.region}.amazonaws.com"

    def describe(self) -> dict[str, Any]:
        """Boto3's Api shape."""
        out: dict[str, Any] = {
            "ApiEndpoint": self.endpoint,
            "ApiId": self.id,
            "ApiKeySelectionExpression": self.api_key_selection_expression,
            "CreatedDate": self.created,
            "DisableExecuteApiEndpoint": self.disable_execute_api_endpoint,
            "Name": self.name,
            "ProtocolType": self.protocol,
            "RouteSelectionExpression": self.route_selection_expression,
            "Tags": dict(self.tags),
        }
        if self.description:
            out["Description"] = self.description
        if self.version:
            out["Version"] = self.version
        if self.cors is not None:
            out["CorsConfiguration"] = self.cors.describe()
        return out
