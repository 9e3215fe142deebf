"""REST API resources as small typed objects: APIs, resources, methods, integrations, stages, keys."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class IntegrationResponse:
    """How one backend answer (chosen by selectionPattern) becomes a method response."""

    status_code: str
    selection_pattern: str | None = None
    response_parameters: dict[str, str] = field(default_factory=dict)
    response_templates: dict[str, str] = field(default_factory=dict)
    content_handling: str | None = None

    def describe(self) -> dict[str, Any]:
        """Boto3's IntegrationResponse shape."""
        out: dict[str, Any] = {"statusCode": self.status_code}
        if self.selection_pattern is not None:
            out["selectionPattern"] = self.selection_pattern
        if self.response_parameters:
            out["responseParameters"] = dict(self.response_parameters)
        if self.response_templates:
            out["responseTemplates"] = dict(self.response_templates)
        if self.content_handling:
            out["contentHandling"] = self.content_handling
        return out


@dataclass(slots=True)
class Integration:
    """What a method calls: MOCK, AWS, AWS_PROXY, HTTP or HTTP_PROXY."""

    type: str
    http_method: str | None = None
    uri: str | None = None
    credentials: str | None = None
    request_parameters: dict[str, str] = field(default_factory=dict)
    request_templates: dict[str, str] = field(default_factory=dict)
    passthrough_behavior: str = "WHEN_NO_MATCH"
    content_handling: str | None = None
    timeout_ms: int = 29_000
    cache_namespace: str = ""
    cache_key_parameters: list[str] = field(default_factory=list)
    connection_type: str | None = "INTERNET"
    responses: dict[str, IntegrationResponse] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Boto3's Integration shape."""
        out: dict[str, Any] = {
            "type": self.type,
            "passthroughBehavior": self.passthrough_behavior,
            "timeoutInMillis": self.timeout_ms,
            "cacheNamespace": self.cache_namespace,
            "cacheKeyParameters": list(self.cache_key_parameters),
        }
        if self.connection_type:
            out["connectionType"] = self.connection_type
        if self.http_method:
            out["httpMethod"] = self.http_method
        if self.uri:
            out["uri"] = self.uri
        if self.credentials:
            out["credentials"] = self.credentials
        if self.request_parameters:
            out["requestParameters"] = dict(self.request_parameters)
        if self.request_templates:
            out["requestTemplates"] = dict(self.request_templates)
        if self.content_handling:
            out["contentHandling"] = self.content_handling
        if self.responses:
            out["integrationResponses"] = {k: v.describe() for k, v in self.responses.items()}
        return out


@dataclass(slots=True)
class MethodResponse:
    """A status code the method may answer with, its headers and models."""

    status_code: str
    response_parameters: dict[str, bool] = field(default_factory=dict)
    response_models: dict[str, str] = field(default_factory=dict)
    given: tuple[str, ...] = ()  # members the caller set, shown even when empty (as AWS does)

    def describe(self) -> dict[str, Any]:
        """Boto3's MethodResponse shape."""
        out: dict[str, Any] = {"statusCode": self.status_code}
        if self.response_parameters or "responseParameters" in self.given:
            out["responseParameters"] = dict(self.response_parameters)
        if self.response_models or "responseModels" in self.given:
            out["responseModels"] = dict(self.response_models)
        return out


@dataclass(slots=True)
class Method:
    """An HTTP method on a resource: its authorization, validation and integration."""

    http_method: str
    authorization_type: str = "NONE"
    authorizer_id: str | None = None
    api_key_required: bool = False
    request_validator_id: str | None = None
    operation_name: str | None = None
    request_parameters: dict[str, bool] = field(default_factory=dict)
    request_models: dict[str, str] = field(default_factory=dict)
    authorization_scopes: list[str] = field(default_factory=list)
    integration: Integration | None = None
    responses: dict[str, MethodResponse] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Boto3's Method shape."""
        out: dict[str, Any] = {
            "httpMethod": self.http_method,
            "authorizationType": self.authorization_type,
            "apiKeyRequired": self.api_key_required,
        }
        if self.authorizer_id:
            out["authorizerId"] = self.authorizer_id
        if self.request_validator_id:
            out["requestValidatorId"] = self.request_validator_id
        if self.operation_name:
            out["operationName"] = self.operation_name
        if self.request_parameters:
            out["requestParameters"] = dict(self.request_parameters)
        if self.request_models:
            out["requestModels"] = dict(self.request_models)
        if self.authorization_scopes:
            out["authorizationScopes"] = list(self.authorization_scopes)
        if self.responses:
            out["methodResponses"] = {k: v.describe() for k, v in self.responses.items()}
        if self.integration is not None:
            out["methodIntegration"] = self.integration.describe()
        return out


@dataclass(slots=True)
class Resource:
    """A path segment of an API, with its methods."""

    id: str
    parent_id: str | None
    path_part: str
    path: str
    methods: dict[str, Method] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Boto3's Resource shape."""
        out: dict[str, Any] = {"id": self.id, "path": self.path}
        if self.parent_id:
            out["parentId"] = self.parent_id
            out["pathPart"] = self.path_part
        if self.methods:
            out["resourceMethods"] = {k: m.describe() for k, m in self.methods.items()}
        return out


@dataclass(slots=True)
class Authorizer:
    """A Lambda (TOKEN or REQUEST) or Cognito user-pool authorizer."""

    id: str
    name: str
    type: str
    authorizer_uri: str | None = None
    identity_source: str | None = None
    identity_validation_expression: str | None = None
    result_ttl: int = 300
    provider_arns: list[str] = field(default_factory=list)
    auth_type: str | None = None

    def describe(self) -> dict[str, Any]:
        """Boto3's Authorizer shape."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "authorizerResultTtlInSeconds": self.result_ttl,
        }
        for key, value in (
            ("authorizerUri", self.authorizer_uri),
            ("identitySource", self.identity_source),
            ("identityValidationExpression", self.identity_validation_expression),
            ("authType", self.auth_type),
        ):
            if value:
                out[key] = value
        if self.provider_arns:
            out["providerARNs"] = list(self.provider_arns)
        return out


@dataclass(slots=True)
class Model:
    """A JSON Schema (draft 4) model for request validation."""

    id: str
    name: str
    schema: str
    content_type: str = "application/json"
    description: str = ""

    def describe(self) -> dict[str, Any]:
        """Boto3's Model shape."""
        out = {
            "id": self.id,
            "name": self.name,
            "schema": self.schema,
            "contentType": self.content_type,
        }
        if self.description:
            out["description"] = self.description
        return out


@dataclass(slots=True)
class RequestValidator:
    """Which parts of a request are validated."""

    id: str
    name: str
    validate_body: bool = False
    validate_parameters: bool = False

    def describe(self) -> dict[str, Any]:
        """Boto3's RequestValidator shape."""
        return {
            "id": self.id,
            "name": self.name,
            "validateRequestBody": self.validate_body,
            "validateRequestParameters": self.validate_parameters,
        }


@dataclass(slots=True)
class GatewayResponse:
    """A customised answer for a gateway error type (DEFAULT_4XX, UNAUTHORIZED …)."""

    response_type: str
    status_code: str | None = None
    response_parameters: dict[str, str] = field(default_factory=dict)
    response_templates: dict[str, str] = field(default_factory=dict)
    default: bool = False

    def describe(self) -> dict[str, Any]:
        """Boto3's GatewayResponse shape."""
        out: dict[str, Any] = {"responseType": self.response_type, "defaultResponse": self.default}
        if self.status_code:
            out["statusCode"] = self.status_code
        out["responseParameters"] = dict(self.response_parameters)
        out["responseTemplates"] = dict(self.response_templates)
        return out


@dataclass(slots=True)
class Deployment:
    """A frozen copy of an API's resources that stages serve."""

    id: str
    created: datetime
    description: str = ""
    resources: dict[str, Resource] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Boto3's Deployment shape."""
        out: dict[str, Any] = {"id": self.id, "createdDate": self.created}
        if self.description:
            out["description"] = self.description
        return out


@dataclass(slots=True)
class Stage:
    """A named deployment with variables, throttling, caching, access logs and an optional canary."""

    name: str
    deployment_id: str
    created: datetime
    description: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    cache_enabled: bool = False
    cache_size: str | None = None
    cache_ttl: int = 300
    caching_enabled_methods: set[str] = field(default_factory=set)  # "resourcePath/METHOD" or "*/*"
    require_authorization_for_cache_control: bool = True
    throttle_rate: float | None = None
    throttle_burst: int | None = None
    method_throttles: dict[str, tuple[float, int]] = field(default_factory=dict)
    access_log_format: str | None = None
    access_log_destination: str | None = None
    canary: dict[str, Any] | None = None
    tracing_enabled: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    last_updated: datetime | None = None

    def describe(self) -> dict[str, Any]:
        """Boto3's Stage shape."""
        settings: dict[str, Any] = {}
        for key in sorted(self.caching_enabled_methods | set(self.method_throttles)):
            entry: dict[str, Any] = {
                "cachingEnabled": key in self.caching_enabled_methods,
                "cacheTtlInSeconds": self.cache_ttl,
            }
            if key in self.method_throttles:
                rate, burst = self.method_throttles[key]
                entry["throttlingRateLimit"] = rate
                entry["throttlingBurstLimit"] = burst
            settings[key] = entry
        out: dict[str, Any] = {
            "stageName": self.name,
            "deploymentId": self.deployment_id,
            "cacheClusterEnabled": self.cache_enabled,
            "cacheClusterStatus": "AVAILABLE" if self.cache_enabled else "NOT_AVAILABLE",
            "methodSettings": settings,
            "tracingEnabled": self.tracing_enabled,
            "createdDate": self.created,
            "lastUpdatedDate": self.last_updated or self.created,
        }
        if self.cache_size:
            out["cacheClusterSize"] = self.cache_size
        if self.description:
            out["description"] = self.description
        if self.variables:
            out["variables"] = dict(self.variables)
        if self.access_log_destination:
            out["accessLogSettings"] = {
                "format": self.access_log_format or "",
                "destinationArn": self.access_log_destination,
            }
        if self.canary:
            out["canarySettings"] = copy.deepcopy(self.canary)
        if self.tags:
            out["tags"] = dict(self.tags)
        return out


@dataclass(slots=True)
class RestApi:
    """A REST API: its resource tree, deployments, stages and settings."""

    id: str
    name: str
    created: datetime
    description: str = ""
    version: str | None = None
    binary_media_types: list[str] = field(default_factory=list)
    api_key_source: str = "HEADER"
    endpoint_types: list[str] = field(default_factory=lambda: ["EDGE"])
    ip_address_type: str = "ipv4"
    policy: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    disable_execute_api_endpoint: bool = False
    root_id: str = ""
    resources: dict[str, Resource] = field(default_factory=dict)
    deployments: dict[str, Deployment] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    validators: dict[str, RequestValidator] = field(default_factory=dict)
    gateway_responses: dict[str, GatewayResponse] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Boto3's RestApi shape."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "createdDate": self.created,
            "apiKeySource": self.api_key_source,
            "endpointConfiguration": {
                "types": list(self.endpoint_types),
                "ipAddressType": self.ip_address_type,
            },
            "disableExecuteApiEndpoint": self.disable_execute_api_endpoint,
            "rootResourceId": self.root_id,
        }
        if self.description:
            out["description"] = self.description
        if self.version:
            out["version"] = self.version
        if self.binary_media_types:
            out["binaryMediaTypes"] = list(self.binary_media_types)
        if self.policy:
            out["policy"] = self.policy
        if self.tags:
            out["tags"] = dict(self.tags)
        return out


@dataclass(slots=True)
class ApiKey:
    """An API key a usage plan meters."""

    id: str
    name: str
    value: str
    created: datetime
    enabled: bool = True
    description: str = ""
    customer_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def describe(self, include_value: bool = False) -> dict[str, Any]:
        """Boto3's ApiKey shape (the value only when asked for)."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "enabled": self.enabled,
            "createdDate": self.created,
            "lastUpdatedDate": self.created,
            "stageKeys": [],
        }
        if include_value:
            out["value"] = self.value
        if self.description:
            out["description"] = self.description
        if self.customer_id:
            out["customerId"] = self.customer_id
        if self.tags:
            out["tags"] = dict(self.tags)
        return out


@dataclass(slots=True)
class UsagePlan:
    """Throttle and quota for the API keys attached to it, on some API stages."""

    id: str
    name: str
    api_stages: list[tuple[str, str]] = field(default_factory=list)
    throttle_rate: float | None = None
    throttle_burst: int | None = None
    quota_limit: int | None = None
    quota_period: str | None = None  # DAY | WEEK | MONTH
    quota_offset: int = 0
    description: str = ""
    key_ids: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Boto3's UsagePlan shape."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "apiStages": [{"apiId": api, "stage": stage} for api, stage in self.api_stages],
        }
        if self.description:
            out["description"] = self.description
        if self.throttle_rate is not None or self.throttle_burst is not None:
            out["throttle"] = {}
            if self.throttle_rate is not None:
                out["throttle"]["rateLimit"] = self.throttle_rate
            if self.throttle_burst is not None:
                out["throttle"]["burstLimit"] = self.throttle_burst
        if self.quota_limit is not None:
            out["quota"] = {
                "limit": self.quota_limit,
                "period": self.quota_period,
                "offset": self.quota_offset,
            }
        if self.tags:
            out["tags"] = dict(self.tags)
        return out


#: What GetVpcLink says of a link that is ready.
VPC_LINK_READY = "Your vpc link is ready for use"


@dataclass(slots=True)
class VpcLink:
    """A VPC link: its name, description and target load balancer ARNs."""

    id: str
    name: str
    target_arns: list[str]
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "PENDING"

    def describe(self, *, with_tags: bool = True) -> dict[str, Any]:
        """Boto3's VpcLink shape (GetVpcLinks leaves out the tags, as AWS does)."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "targetArns": list(self.target_arns),
            "status": self.status,
        }
        if self.description:
            out["description"] = self.description
        if self.status == "AVAILABLE":
            out["statusMessage"] = VPC_LINK_READY
        if with_tags:
            out["tags"] = dict(self.tags)
        return out
