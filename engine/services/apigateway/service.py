"""Amazon API Gateway REST APIs: the control plane, plus the request pipeline in `pipeline.py`.

Internal API: `await invoke(api_id, stage, HttpRequest)` → HttpResponse (the console's request
command and the wire endpoint use it), `handle_http(request)` for execute-api URLs, and
`invocation_url(api_id, stage)`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from engine.errors import ServiceError
from engine.http import HttpRequest, HttpResponse
from engine.service import Service, delegate_operations
from engine.topology import Edge, Node

from .authorizers import LabUserPools
from .keys import KeysAndPlans
from .models import (
    Authorizer,
    Deployment,
    GatewayResponse,
    Integration,
    IntegrationResponse,
    Method,
    MethodResponse,
    Model,
    RequestValidator,
    Resource,
    RestApi,
    Stage,
)
from .patch import apply_patch
from .persistence import classes_of, from_data, to_data
from .pipeline import Pipeline
from .updates import UpdateOperations
from .vpc_links import VpcLinks

#: In the order AWS lists them when a method is not one of them.
HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
INTEGRATION_TYPES = {"HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY"}
_PATH_PART = re.compile(r"^(\{[A-Za-z0-9._-]+\+?\}|[A-Za-z0-9._~:@!$&'()*+,;=-]+)$")
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def not_found(message: str) -> ServiceError:
    """NotFoundException (404)."""
    return ServiceError("NotFoundException", message, status_code=404)


def bad_request(message: str) -> ServiceError:
    """BadRequestException (400)."""
    return ServiceError("BadRequestException", message)


def conflict(message: str) -> ServiceError:
    """ConflictException (409)."""
    return ServiceError("ConflictException", message, status_code=409)


def _validator_not_found() -> ServiceError:
    """What AWS answers for a request validator it cannot find (or whose API it cannot)."""
    return not_found("Invalid Request Validator identifier specified")


class ApiGatewayService(Service):
    """REST APIs, resources, methods, integrations, deployments, stages, keys, plans, authorizers."""

    name = "apigateway"
    validation_error_code = "BadRequestException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.apis: dict[str, RestApi] = {}
        self.keys = KeysAndPlans(self)
        self.vpc_links = VpcLinks(self)
        self.pipeline = Pipeline(self)
        self.updates_api = UpdateOperations(self)
        self._user_pools: LabUserPools | None = None

    @property
    def user_pools(self) -> LabUserPools:
        """The lab's stand-in for Cognito user pools (keys made on first use)."""
        if self._user_pools is None:
            self._user_pools = LabUserPools(self.region, self.clock)
        return self._user_pools

    # -- helpers ------------------------------------------------------------------------------
    def _id(self, length: int = 10) -> str:
        return self.ids.hex(length)

    def api(self, api_id: str, missing: ServiceError | None = None) -> RestApi:
        """The REST API with this id; `missing` (or AWS's NotFoundException) otherwise."""
        api = self.apis.get(api_id)
        if api is None:
            raise missing or not_found(
                f"Invalid API identifier specified {self.account_id}:{api_id}"
            )
        return api

    def resource_api(self, api_id: str) -> RestApi:
        """The API of a call about a resource's methods: AWS names the resource when it is missing."""
        return self.api(api_id, not_found("Invalid Resource identifier specified"))

    def _resource(self, api: RestApi, resource_id: str) -> Resource:
        resource = api.resources.get(resource_id)
        if resource is None:
            raise not_found("Invalid Resource identifier specified")
        return resource

    def find_method(self, api: RestApi, resource_id: str, http_method: str) -> Method:
        """The method on a resource; NotFoundException if the API has none such."""
        resource = self._resource(api, resource_id)
        method = resource.methods.get(http_method.upper())
        if method is None:
            raise not_found("Invalid Method identifier specified")
        return method

    def find_integration(self, api: RestApi, params: dict) -> Integration:
        """The integration of the method a request names; NotFoundException if none."""
        method = self.find_method(api, params["resourceId"], params["httpMethod"])
        if method.integration is None:
            raise not_found("Invalid Integration identifier specified")
        return method.integration

    def invocation_url(self, api_id: str, stage: str) -> str:
        """The URL AWS gives a deployed stage."""
        return f"https://{api_id}.execute-api.{self.region}.amazonaws.com/{stage}"

    def arn_of(self, api_id: str) -> str:
        """The ARN of a REST API."""
        return f"arn:aws:apigateway:{self.region}::/restapis/{api_id}"

    def owns(self, arn: str) -> bool:
        return any(arn == self.arn_of(api_id) for api_id in self.apis)

    # -- REST APIs ------------------------------------------------------------------------------
    def create_rest_api(self, params: dict) -> dict:
        name = params["name"]
        if not name.strip():
            raise bad_request("Invalid name: name must not be blank")
        endpoint = params.get("endpointConfiguration", {}).get("types") or ["EDGE"]
        for kind in endpoint:
            if kind not in ("EDGE", "REGIONAL", "PRIVATE"):
                raise bad_request(f"Invalid endpoint configuration type: {kind}")
        # Private APIs are reached over dual-stack VPC endpoints; the others default to IPv4.
        ip_type = params.get("endpointConfiguration", {}).get("ipAddressType") or (
            "dualstack" if "PRIVATE" in endpoint else "ipv4"
        )
        source = params.get("apiKeySource", "HEADER")
        if source not in ("HEADER", "AUTHORIZER"):
            raise bad_request(f"Invalid apiKeySource: {source}")
        api_id = self._id(10)
        root = Resource(self._id(10), None, "", "/")
        api = RestApi(
            api_id,
            name,
            self.clock.datetime(),
            description=params.get("description", ""),
            version=params.get("version"),
            binary_media_types=list(params.get("binaryMediaTypes", [])),
            api_key_source=source,
            endpoint_types=list(endpoint),
            ip_address_type=ip_type,
            policy=params.get("policy"),
            tags=dict(params.get("tags", {})),
            disable_execute_api_endpoint=params.get("disableExecuteApiEndpoint", False),
            root_id=root.id,
        )
        api.resources[root.id] = root
        self.apis[api_id] = api
        self.emit("created", self.arn_of(api_id), name=name)
        return api.describe()

    def get_rest_api(self, params: dict) -> dict:
        return self.api(params["restApiId"]).describe()

    def get_rest_apis(self, params: dict) -> dict:
        items = [api.describe() for api in self.apis.values()]
        return page(items, params)

    def delete_rest_api(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        del self.apis[api.id]
        self.pipeline.latencies.pop(api.id, None)
        self.keys.api_deleted(api.id)
        self.emit("deleted", self.arn_of(api.id))
        return {}

    def update_rest_api(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        apply_patch(
            api,
            params.get("patchOperations", []),
            {
                "/name": "name",
                "/description": "description",
                "/version": "version",
                "/apiKeySource": "api_key_source",
                "/policy": "policy",
                "/disableExecuteApiEndpoint": "disable_execute_api_endpoint",
                "/endpointConfiguration/ipAddressType": "ip_address_type",
            },
            lists={"/binaryMediaTypes": "binary_media_types"},
        )
        return api.describe()

    # -- resources ----------------------------------------------------------------------------
    def get_resources(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        items = [r.describe() for r in sorted(api.resources.values(), key=lambda r: r.path)]
        return page(items, params)

    def get_resource(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        return self._resource(api, params["resourceId"]).describe()

    def create_resource(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        parent = self._resource(api, params["parentId"])
        part = params["pathPart"]
        if not _PATH_PART.match(part):
            raise bad_request(
                "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace."
            )
        self._check_siblings(api, parent, part, "")
        if parent.path_part.endswith("+}"):
            raise bad_request(
                f"Cannot create a child of a resource with a greedy path variable: {parent.path_part}"
            )
        path = ("" if parent.path == "/" else parent.path) + "/" + part
        resource = Resource(self._id(6), parent.id, part, path)
        api.resources[resource.id] = resource
        return resource.describe()

    def delete_resource(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        resource = self._resource(api, params["resourceId"])
        if resource.id == api.root_id:
            raise bad_request("Cannot delete the root resource")
        doomed = {resource.id}
        changed = True
        while changed:
            changed = False
            for other in api.resources.values():
                if other.parent_id in doomed and other.id not in doomed:
                    doomed.add(other.id)
                    changed = True
        for resource_id in doomed:
            del api.resources[resource_id]
        return {}

    def update_resource(self, params: dict) -> dict:
        """UpdateResource: rename (/pathPart) or move (/parentId); paths below follow."""
        api = self.api(params["restApiId"])
        resource = self._resource(api, params["resourceId"])
        moved = Resource(resource.id, resource.parent_id, resource.path_part, resource.path)
        apply_patch(
            moved,
            params.get("patchOperations", []),
            {"/pathPart": "path_part", "/parentId": "parent_id"},
            ops=frozenset({"replace"}),
        )
        if resource.id == api.root_id:
            if moved.path_part != resource.path_part:
                raise bad_request("Root resource cannot update its pathPart.")
            if moved.parent_id != resource.parent_id:
                raise bad_request("Root resource cannot update its parentId.")
            return resource.describe()
        parent = self._resource(api, moved.parent_id or "")
        ancestor: Resource | None = parent
        while ancestor is not None:
            if ancestor.id == resource.id:
                raise bad_request("Resources cannot be cyclical.")
            ancestor = api.resources.get(ancestor.parent_id or "")
        self._check_siblings(api, parent, moved.path_part, resource.id)
        resource.parent_id, resource.path_part = moved.parent_id, moved.path_part
        self._repath(api, resource, parent)
        return resource.describe()

    def _check_siblings(self, api: RestApi, parent: Resource, part: str, own_id: str) -> None:
        for sibling in api.resources.values():
            if sibling.parent_id == parent.id and sibling.id != own_id:
                if sibling.path_part == part:
                    raise conflict(
                        f"Another resource with the same parent already has this name: {part}"
                    )
                if part.startswith("{") and sibling.path_part.startswith("{"):
                    raise bad_request(
                        f"A sibling ({sibling.path_part}) of this resource already has a variable path part -- only one is allowed"
                    )

    @staticmethod
    def _repath(api: RestApi, resource: Resource, parent: Resource) -> None:
        """Recompute the path of `resource` and of everything below it."""
        resource.path = ("" if parent.path == "/" else parent.path) + "/" + resource.path_part
        for child in api.resources.values():
            if child.parent_id == resource.id:
                ApiGatewayService._repath(api, child, resource)

    # -- methods ---------------------------------------------------------------------------------
    def put_method(self, params: dict) -> dict:
        api = self.resource_api(params["restApiId"])
        resource = self._resource(api, params["resourceId"])
        http_method = params["httpMethod"].upper()
        if http_method not in HTTP_METHODS:
            raise bad_request(
                f"Invalid HttpMethod specified. Valid options are {','.join(HTTP_METHODS)}"
            )
        if http_method in resource.methods:
            raise conflict("Method already exists for this resource")
        authorization = params["authorizationType"]
        if authorization not in ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"):
            raise bad_request(f"Invalid authorization type specified: {authorization}")
        authorizer_id = params.get("authorizerId")
        if authorization in ("CUSTOM", "COGNITO_USER_POOLS"):
            if not authorizer_id:
                raise bad_request(
                    "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
                    "COGNITO_USER_POOLS requires a valid authorizer."
                )
            if authorizer_id not in api.authorizers:
                raise not_found("Invalid authorizer ID specified")
        validator_id = params.get("requestValidatorId")
        if validator_id and validator_id not in api.validators:
            raise bad_request("Invalid Request Validator identifier specified")
        for _content_type, model_name in params.get("requestModels", {}).items():
            if not any(m.name == model_name for m in api.models.values()):
                raise bad_request(f"Invalid model identifier specified: {model_name}")
        method = Method(
            http_method,
            authorization,
            authorizer_id,
            params.get("apiKeyRequired", False),
            validator_id,
            params.get("operationName"),
            dict(params.get("requestParameters", {})),
            dict(params.get("requestModels", {})),
            list(params.get("authorizationScopes", [])),
        )
        resource.methods[http_method] = method
        return method.describe()

    def get_method(self, params: dict) -> dict:
        api = self.resource_api(params["restApiId"])
        return self.find_method(api, params["resourceId"], params["httpMethod"]).describe()

    def delete_method(self, params: dict) -> dict:
        api = self.resource_api(params["restApiId"])
        resource = self._resource(api, params["resourceId"])
        if resource.methods.pop(params["httpMethod"].upper(), None) is None:
            raise not_found("Invalid Method identifier specified")
        return {}

    def update_method(self, params: dict) -> dict:
        api = self.resource_api(params["restApiId"])
        method = self.find_method(api, params["resourceId"], params["httpMethod"])
        apply_patch(
            method,
            params.get("patchOperations", []),
            {
                "/apiKeyRequired": "api_key_required",
                "/authorizationType": "authorization_type",
                "/authorizerId": "authorizer_id",
                "/requestValidatorId": "request_validator_id",
                "/operationName": "operation_name",
            },
            maps={"/requestParameters": "request_parameters", "/requestModels": "request_models"},
        )
        return method.describe()

    def put_method_response(self, params: dict) -> dict:
        api = self.resource_api(params["restApiId"])
        method = self.find_method(api, params["resourceId"], params["httpMethod"])
        status = params["statusCode"]
        if not re.fullmatch(r"[1-5]\d\d", status):
            raise bad_request("Invalid status code specified")
        response = MethodResponse(
            status,
            dict(params.get("responseParameters", {})),
            dict(params.get("responseModels", {})),
            tuple(k for k in ("responseParameters", "responseModels") if k in params),
        )
        method.responses[status] = response
        return response.describe()

    def get_method_response(self, params: dict) -> dict:
        api = self.resource_api(params["restApiId"])
        method = self.find_method(api, params["resourceId"], params["httpMethod"])
        response = method.responses.get(params["statusCode"])
        if response is None:
            raise not_found("Invalid Response status code specified")
        return response.describe()

    def delete_method_response(self, params: dict) -> dict:
        api = self.resource_api(params["restApiId"])
        method = self.find_method(api, params["resourceId"], params["httpMethod"])
        if method.responses.pop(params["statusCode"], None) is None:
            raise not_found("Invalid Response status code specified")
        return {}

    # -- integrations ------------------------------------------------------------------------------
    def put_integration(self, params: dict) -> dict:
        api = self.resource_api(params["restApiId"])
        method = self.find_method(api, params["resourceId"], params["httpMethod"])
        kind = params["type"]
        if kind not in INTEGRATION_TYPES:
            raise bad_request(f"Invalid integration type specified: {kind}")
        uri = params.get("uri")
        integration_method = params.get("integrationHttpMethod")
        if kind != "MOCK":
            if not uri:
                raise bad_request(
                    "Enumeration value for HttpMethod must be non-empty"
                    if not integration_method
                    else "Invalid HTTP endpoint specified for URI"
                )
            if not integration_method:
                raise bad_request("Enumeration value for HttpMethod must be non-empty")
        if kind in ("AWS", "AWS_PROXY"):
            if not (uri or "").startswith("arn:aws:apigateway:"):
                raise bad_request("AWS ARN for integration must contain path or action")
            if kind == "AWS_PROXY" and ":lambda:path/" not in uri:
                raise bad_request(
                    "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."
                )
        if kind in ("HTTP", "HTTP_PROXY") and not re.match(r"^https?://", uri or ""):
            raise bad_request("Invalid HTTP endpoint specified for URI")
        timeout = params.get("timeoutInMillis", 29_000)
        if not 50 <= timeout <= 29_000:
            raise bad_request("Timeout should be between 50 ms and 29000 ms")
        passthrough = params.get("passthroughBehavior", "WHEN_NO_MATCH")
        if passthrough not in ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"):
            raise bad_request(f"Invalid passthrough behavior specified: {passthrough}")
        for template in params.get("requestTemplates", {}).values():
            self.pipeline.templates.check(template)
        integration = Integration(
            kind,
            integration_method.upper() if integration_method else None,
            uri,
            params.get("credentials"),
            dict(params.get("requestParameters", {})),
            dict(params.get("requestTemplates", {})),
            passthrough,
            params.get("contentHandling"),
            timeout,
            params.get("cacheNamespace", params["resourceId"]),
            list(params.get("cacheKeyParameters", [])),
            # AWS reports a connection type for HTTP backends (or when one is given), not others.
            params.get("connectionType")
            or ("INTERNET" if kind.upper() in ("HTTP", "HTTP_PROXY") else None),
        )
        method.integration = integration
        return integration.describe()

    def get_integration(self, params: dict) -> dict:
        return self.find_integration(self.resource_api(params["restApiId"]), params).describe()

    def delete_integration(self, params: dict) -> dict:
        api = self.resource_api(params["restApiId"])
        method = self.find_method(api, params["resourceId"], params["httpMethod"])
        if method.integration is None:
            raise not_found("Invalid Integration identifier specified")
        method.integration = None
        return {}

    def update_integration(self, params: dict) -> dict:
        integration = self.find_integration(self.resource_api(params["restApiId"]), params)
        for operation in params.get("patchOperations", []):
            if operation.get("path", "").startswith("/requestTemplates/") and operation.get(
                "value"
            ):
                self.pipeline.templates.check(operation["value"])
        apply_patch(
            integration,
            params.get("patchOperations", []),
            {
                "/uri": "uri",
                "/httpMethod": "http_method",
                "/passthroughBehavior": "passthrough_behavior",
                "/timeoutInMillis": "timeout_ms",
                "/contentHandling": "content_handling",
            },
            maps={
                "/requestTemplates": "request_templates",
                "/requestParameters": "request_parameters",
            },
            lists={"/cacheKeyParameters": "cache_key_parameters"},
        )
        return integration.describe()

    def put_integration_response(self, params: dict) -> dict:
        integration = self.find_integration(self.resource_api(params["restApiId"]), params)
        status = params["statusCode"]
        pattern = params.get("selectionPattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise bad_request(f"Invalid selection pattern specified: {error}") from None
        for template in params.get("responseTemplates", {}).values():
            self.pipeline.templates.check(template)
        response = IntegrationResponse(
            status,
            pattern,
            dict(params.get("responseParameters", {})),
            dict(params.get("responseTemplates", {})),
            params.get("contentHandling"),
        )
        integration.responses[status] = response
        return response.describe()

    def get_integration_response(self, params: dict) -> dict:
        integration = self.find_integration(self.resource_api(params["restApiId"]), params)
        response = integration.responses.get(params["statusCode"])
        if response is None:
            raise not_found("Invalid Response status code specified")
        return response.describe()

    def delete_integration_response(self, params: dict) -> dict:
        integration = self.find_integration(self.resource_api(params["restApiId"]), params)
        if integration.responses.pop(params["statusCode"], None) is None:
            raise not_found("Invalid Response status code specified")
        return {}

    # -- deployments and stages ------------------------------------------------------------------
    def create_deployment(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        if not any(r.methods for r in api.resources.values()):
            raise bad_request("The REST API doesn't contain any methods")
        for resource in api.resources.values():
            for method in resource.methods.values():
                if method.integration is None:
                    raise bad_request("No integration defined for method")
        stage_name = params.get("stageName")
        if params.get("canarySettings") and (not stage_name or stage_name not in api.stages):
            raise bad_request("A canary deployment needs an existing stage to deploy to")
        if stage_name and stage_name not in api.stages:
            self._check_stage_name(stage_name)
        import copy as _copy

        deployment = Deployment(
            self._id(6),
            self.clock.datetime(),
            params.get("description", ""),
            _copy.deepcopy(api.resources),
        )
        api.deployments[deployment.id] = deployment
        if stage_name:
            stage = api.stages.get(stage_name)
            if stage is None:
                stage = Stage(
                    stage_name,
                    deployment.id,
                    self.clock.datetime(),
                    params.get("stageDescription", ""),
                )
                api.stages[stage_name] = stage
            if params.get("canarySettings"):
                # A canary deployment leaves the stage's main deployment where it is.
                stage.canary = {**params["canarySettings"], "deploymentId": deployment.id}
            else:
                stage.deployment_id = deployment.id
                stage.variables.update(params.get("variables", {}))
            if params.get("cacheClusterEnabled") is not None:
                stage.cache_enabled = params["cacheClusterEnabled"]
            if params.get("cacheClusterSize"):
                stage.cache_size = params["cacheClusterSize"]
            stage.last_updated = self.clock.datetime()
        self.emit("deployed", self.arn_of(api.id), deployment=deployment.id, stage=stage_name)
        return deployment.describe()

    def get_deployments(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        return page([d.describe() for d in api.deployments.values()], params)

    def get_deployment(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        deployment = api.deployments.get(params["deploymentId"])
        if deployment is None:
            raise not_found("Invalid Deployment identifier specified")
        return deployment.describe()

    def delete_deployment(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        deployment_id = params["deploymentId"]
        if deployment_id not in api.deployments:
            raise not_found("Invalid Deployment identifier specified")
        if any(s.deployment_id == deployment_id for s in api.stages.values()):
            raise bad_request("Active stages pointing to this deployment must be moved or deleted")
        del api.deployments[deployment_id]
        return {}

    def _check_stage_name(self, name: str) -> None:
        if not _STAGE_NAME.match(name):
            raise bad_request("Stage name only allows a-zA-Z0-9_")

    def create_stage(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        name = params["stageName"]
        self._check_stage_name(name)
        if name in api.stages:
            raise conflict("Stage already exists")
        if params["deploymentId"] not in api.deployments:
            raise not_found("Invalid Deployment identifier specified")
        stage = Stage(
            name,
            params["deploymentId"],
            self.clock.datetime(),
            params.get("description", ""),
            dict(params.get("variables", {})),
            params.get("cacheClusterEnabled", False),
            params.get("cacheClusterSize"),
            tracing_enabled=params.get("tracingEnabled", False),
            tags=dict(params.get("tags", {})),
        )
        if params.get("canarySettings"):
            stage.canary = dict(params["canarySettings"])
        api.stages[name] = stage
        return stage.describe()

    def get_stage(self, params: dict) -> dict:
        return self._stage(params).describe()

    def _stage(self, params: dict) -> Stage:
        api = self.api(params["restApiId"])
        stage = api.stages.get(params["stageName"])
        if stage is None:
            raise not_found("Invalid Stage identifier specified")
        return stage

    def get_stages(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        stages = [s.describe() for s in api.stages.values()]
        if params.get("deploymentId"):
            stages = [s for s in stages if s["deploymentId"] == params["deploymentId"]]
        return {"item": stages}

    def delete_stage(self, params: dict) -> dict:
        stage = self._stage(params)
        del self.api(params["restApiId"]).stages[stage.name]
        return {}

    def update_stage(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        stage = self._stage(params)
        from .patch import apply_stage_patch

        apply_stage_patch(stage, params.get("patchOperations", []), api)
        stage.last_updated = self.clock.datetime()
        self.pipeline.cache.forget_stage(api.id, stage.name)
        return stage.describe()

    def flush_stage_cache(self, params: dict) -> dict:
        stage = self._stage(params)
        self.pipeline.cache.forget_stage(params["restApiId"], stage.name)
        return {}

    def flush_stage_authorizers_cache(self, params: dict) -> dict:
        self._stage(params)
        self.pipeline.authorizers.flush(params["restApiId"])
        return {}

    # -- authorizers, models, validators, gateway responses ----------------------------------------
    def create_authorizer(self, params: dict) -> dict:
        # AWS answers an unknown API here with a ConflictException (recorded against AWS).
        api = self.api(
            params["restApiId"],
            conflict(
                "Unable to complete operation due to concurrent modification. "
                "Please try again later."
            ),
        )
        kind = params["type"]
        if kind not in ("TOKEN", "REQUEST", "COGNITO_USER_POOLS"):
            raise bad_request(f"Invalid authorizer type: {kind}")
        if kind in ("TOKEN", "REQUEST") and not params.get("authorizerUri"):
            raise bad_request("Authorizer URI is required for authorizer type " + kind)
        if kind == "COGNITO_USER_POOLS" and not params.get("providerARNs"):
            raise bad_request("ProviderARNs need to be specified for COGNITO_USER_POOLS authorizer")
        identity = params.get("identitySource")
        if kind == "TOKEN" and not identity:
            raise bad_request("Identity source is required for TOKEN authorizer")
        ttl = params.get("authorizerResultTtlInSeconds", 300)
        if not 0 <= ttl <= 3600:
            raise bad_request("Invalid authorizer result TTL. Value must be between 0 and 3600")
        pattern = params.get("identityValidationExpression")
        if pattern:
            try:
                re.compile(pattern)
            except re.error:
                raise bad_request("Invalid identity validation expression specified") from None
        authorizer = Authorizer(
            self._id(6),
            params["name"],
            kind,
            params.get("authorizerUri"),
            identity,
            pattern,
            ttl,
            list(params.get("providerARNs", [])),
            params.get("authType"),
        )
        api.authorizers[authorizer.id] = authorizer
        return authorizer.describe()

    def get_authorizer(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        authorizer = api.authorizers.get(params["authorizerId"])
        if authorizer is None:
            raise not_found("Invalid Authorizer identifier specified")
        return authorizer.describe()

    def get_authorizers(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        return page([a.describe() for a in api.authorizers.values()], params)

    def delete_authorizer(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        if api.authorizers.pop(params["authorizerId"], None) is None:
            raise not_found("Invalid Authorizer identifier specified")
        return {}

    def create_model(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        name = params["name"]
        if not re.fullmatch(r"[A-Za-z0-9]+", name):
            raise bad_request("Model name must be alphanumeric")
        if any(m.name == name for m in api.models.values()):
            raise conflict("Model name already exists for this REST API")
        schema = params.get("schema", "{}")
        try:
            parsed = json.loads(schema)
        except ValueError:
            raise bad_request(
                "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]"
            ) from None
        from jsonschema import Draft4Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft4Validator.check_schema(parsed)
        except SchemaError as error:
            raise bad_request(
                f"Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified: {error.message}]"
            ) from None
        model = Model(
            self._id(6), name, schema, params["contentType"], params.get("description", "")
        )
        api.models[model.id] = model
        return model.describe()

    def get_model(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        for model in api.models.values():
            if model.name == params["modelName"]:
                return model.describe()
        raise not_found("Invalid model name specified: " + params["modelName"])

    def get_models(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        return page([m.describe() for m in api.models.values()], params)

    def delete_model(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        for model_id, model in list(api.models.items()):
            if model.name == params["modelName"]:
                del api.models[model_id]
                return {}
        raise not_found("Invalid model name specified: " + params["modelName"])

    def create_request_validator(self, params: dict) -> dict:
        api = self.api(params["restApiId"], bad_request("Invalid REST API identifier specified"))
        validator = RequestValidator(
            self._id(6),
            params.get("name", ""),
            params.get("validateRequestBody", False),
            params.get("validateRequestParameters", False),
        )
        api.validators[validator.id] = validator
        return validator.describe()

    def get_request_validator(self, params: dict) -> dict:
        api = self.api(params["restApiId"], _validator_not_found())
        validator = api.validators.get(params["requestValidatorId"])
        if validator is None:
            raise _validator_not_found()
        return validator.describe()

    def get_request_validators(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        return page([v.describe() for v in api.validators.values()], params)

    def delete_request_validator(self, params: dict) -> dict:
        api = self.api(params["restApiId"], _validator_not_found())
        if api.validators.pop(params["requestValidatorId"], None) is None:
            raise _validator_not_found()
        return {}

    def put_gateway_response(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        from .responses import DEFAULT_TEMPLATE, DEFAULTS, RESPONSE_TYPES

        kind = params["responseType"]
        if kind not in RESPONSE_TYPES:
            raise bad_request(f"Invalid response type specified: {kind}")
        # What the call leaves out comes from the type's built-in answer, as on AWS.
        response = GatewayResponse(
            kind,
            params.get("statusCode") or DEFAULTS[kind][0],
            dict(params.get("responseParameters", {})),
            dict(params.get("responseTemplates") or {"application/json": DEFAULT_TEMPLATE}),
        )
        api.gateway_responses[kind] = response
        return response.describe()

    def get_gateway_response(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        from .responses import RESPONSE_TYPES, effective_response

        kind = params["responseType"]
        if kind not in RESPONSE_TYPES:
            raise bad_request(f"Invalid response type specified: {kind}")
        return effective_response(api.gateway_responses, kind).describe()

    def get_gateway_responses(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        from .responses import RESPONSE_TYPES, effective_response

        items = [effective_response(api.gateway_responses, k).describe() for k in RESPONSE_TYPES]
        return page(items, params)

    def delete_gateway_response(self, params: dict) -> dict:
        api = self.api(params["restApiId"])
        if api.gateway_responses.pop(params["responseType"], None) is None:
            raise not_found("Gateway response type not defined on api")
        return {}

    # -- API keys and usage plans (keys.py) -----------------------------------------------------------
    def create_api_key(self, params: dict) -> dict:
        return self.keys.create_api_key(params)

    def get_api_key(self, params: dict) -> dict:
        return self.keys.get_api_key(params)

    def get_api_keys(self, params: dict) -> dict:
        return self.keys.get_api_keys(params)

    def delete_api_key(self, params: dict) -> dict:
        return self.keys.delete_api_key(params)

    def update_api_key(self, params: dict) -> dict:
        return self.keys.update_api_key(params)

    def create_usage_plan(self, params: dict) -> dict:
        return self.keys.create_usage_plan(params)

    def get_usage_plan(self, params: dict) -> dict:
        return self.keys.get_usage_plan(params)

    def get_usage_plans(self, params: dict) -> dict:
        return self.keys.get_usage_plans(params)

    def delete_usage_plan(self, params: dict) -> dict:
        return self.keys.delete_usage_plan(params)

    def update_usage_plan(self, params: dict) -> dict:
        return self.keys.update_usage_plan(params)

    def create_usage_plan_key(self, params: dict) -> dict:
        return self.keys.create_usage_plan_key(params)

    def get_usage_plan_keys(self, params: dict) -> dict:
        return self.keys.get_usage_plan_keys(params)

    def delete_usage_plan_key(self, params: dict) -> dict:
        return self.keys.delete_usage_plan_key(params)

    def get_usage(self, params: dict) -> dict:
        return self.keys.get_usage(params)

    # -- tags ---------------------------------------------------------------------------------------------
    def tag_resource(self, params: dict) -> dict:
        target = self._taggable(params["resourceArn"])
        target.tags.update(params["tags"])
        return {}

    def untag_resource(self, params: dict) -> dict:
        target = self._taggable(params["resourceArn"])
        for key in params["tagKeys"]:
            target.tags.pop(key, None)
        return {}

    def get_tags(self, params: dict) -> dict:
        return {"tags": dict(self._taggable(params["resourceArn"]).tags)}

    def _taggable(self, arn: str) -> Any:
        match = re.match(r"^arn:aws:apigateway:[^:]*::/restapis/([^/]+)(?:/stages/([^/]+))?$", arn)
        if match:
            api = self.api(match.group(1))
            if match.group(2):
                stage = api.stages.get(match.group(2))
                if stage is None:
                    raise not_found("Invalid Stage identifier specified")
                return stage
            return api
        match = re.match(r"^arn:aws:apigateway:[^:]*::/(apikeys|usageplans)/([^/]+)$", arn)
        if match:
            return self.keys.taggable(match.group(1), match.group(2))
        raise bad_request(f"Invalid resource ARN: {arn}")

    # -- invoking ------------------------------------------------------------------------------------------
    def test_invoke_method(self, params: dict) -> Any:
        return self.pipeline.test_invoke(params)

    async def invoke(self, api_id: str, stage: str, request: HttpRequest) -> HttpResponse:
        """Send one request through a deployed stage's full pipeline."""
        return await self.pipeline.handle(api_id, stage, request)

    async def handle_http(self, request: HttpRequest) -> HttpResponse:
        """Serve execute-api URLs: `/restapis/{id}/{stage}/_user_request_/…` or `{id}.execute-api.*`."""
        path = request.path
        match = re.match(r"^/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?$", path)
        if match:
            api_id, stage, rest = match.group(1), match.group(2), match.group(3) or "/"
        else:
            api_id = request.host.split(".", 1)[0]
            parts = path.lstrip("/").split("/", 1)
            stage, rest = parts[0], "/" + (parts[1] if len(parts) > 1 else "")
        v2 = self.engine.available_services()
        if api_id not in self.apis and "apigatewayv2" in v2:
            other = self.engine.service("apigatewayv2")
            if hasattr(other, "owns_api") and other.owns_api(api_id):
                return await other.handle_http(request)
        inner = HttpRequest(
            request.method, rest, request.query, request.headers, request.body, request.source_ip
        )
        return await self.pipeline.handle(api_id, stage, inner)

    # -- save/open ---------------------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """REST APIs (with deployments and stages), API keys, usage plans and quota usage."""
        keys = self.keys
        if not self.apis and not keys.keys and not keys.plans and not self.vpc_links.links:
            return None
        return {
            "apis": to_data(self.apis),
            "vpc_links": to_data(self.vpc_links.links),
            "keys": to_data(keys.keys),
            "plans": to_data(keys.plans),
            "usage": [[*slot, used] for slot, used in keys.usage.items()],
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` produced; caches and throttle buckets start empty."""
        from . import models

        classes = classes_of(models)
        self.apis = from_data(data.get("apis", {"$map": {}}), classes)
        self.keys.keys = from_data(data.get("keys", {"$map": {}}), classes)
        self.vpc_links.links = from_data(data.get("vpc_links", {"$map": {}}), classes)
        self.keys.plans = from_data(data.get("plans", {"$map": {}}), classes)
        self.keys.usage = {(p, k, w): used for p, k, w, used in data.get("usage", [])}
        self.keys.reindex()

    # -- views ------------------------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes, edges = [], []
        for api in self.apis.values():
            arn = self.arn_of(api.id)
            nodes.append(
                Node(arn, "api", api.name, self.name, dict(self.pipeline.counters.get(api.id, {})))
            )
            for resource in api.resources.values():
                for method in resource.methods.values():
                    target = self.pipeline.integration_target(method.integration)
                    if target:
                        edges.append(
                            Edge(
                                arn, target, "integration", f"{method.http_method} {resource.path}"
                            )
                        )
        return nodes, edges


def page(items: list[dict], params: dict) -> dict:
    """One page of a Get* list: `limit` items from `position` (AWS's 1–500, default 25)."""
    limit = params.get("limit", 25)
    if not 1 <= limit <= 500:
        raise bad_request("Invalid limit. Limit must be between 1 and 500")
    start = int(params.get("position") or 0)
    page = items[start : start + limit]
    result: dict[str, Any] = {"items": page}
    if start + limit < len(items):
        result["position"] = str(start + limit)
    return result


delegate_operations(ApiGatewayService, {"updates_api": UpdateOperations, "vpc_links": VpcLinks})
