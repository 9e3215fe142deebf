"""API Gateway REST APIs (resources, methods, deployments, stages, authorizers, API keys,
usage plans, models, validators) and HTTP/WebSocket APIs (routes, integrations, stages …)."""

from __future__ import annotations

import json
from typing import Any

from engine.errors import ServiceError

from .base import Outcome, Provider, Request, ignore_missing, json_text, lower_camel, tag_map
from .openapi import import_http_body, import_rest_body


def _body(provider: Provider, props: dict[str, Any]) -> dict[str, Any] | None:
    body = props.get("Body")
    if body is None and "BodyS3Location" in props:
        location = props["BodyS3Location"]
        s3: Any = provider.engine.service("s3")
        from ..template import parse_template

        body = parse_template(s3.get_object_internal(location["Bucket"], location["Key"]).decode())
    if isinstance(body, str):
        body = json.loads(body)
    return body


class RestApiProvider(Provider):
    """AWS::ApiGateway::RestApi — Ref: the API id; GetAtt: RestApiId, RootResourceId."""

    type_name = "AWS::ApiGateway::RestApi"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        body = _body(self, props)
        name = props.get("Name") or (body or {}).get("info", {}).get("title") or request.logical_id
        params = lower_camel(props)
        params.update(name=name, tags=tag_map(props, stack=request) or None)
        if isinstance(props.get("EndpointConfiguration"), dict):
            params["endpointConfiguration"] = lower_camel(props["EndpointConfiguration"])
        if body and "version" not in params and (body.get("info") or {}).get("version"):
            # Importing a definition takes the API's version from it, as AWS's import does.
            params["version"] = str(body["info"]["version"])
        if "Policy" in props:
            params["policy"] = json_text(props["Policy"])
        apigw = self.client("apigateway")
        api = await self.call("apigateway", "create_rest_api", params)
        if body:
            await import_rest_body(apigw, api["id"], body)
        return Outcome(api["id"], {"RestApiId": api["id"], "RootResourceId": api["rootResourceId"]})

    async def update(self, request: Request) -> Outcome:
        props, old = request.properties, request.previous
        operations = []
        for key in ("Name", "Description"):
            if props.get(key) != old.get(key):
                operations.append(
                    {"op": "replace", "path": "/" + key.lower(), "value": str(props.get(key, ""))}
                )
        if operations:
            await self.client("apigateway").update_rest_api(
                restApiId=request.physical_id, patchOperations=operations
            )
        if _body(self, props) != _body(self, old) and _body(self, props):
            raise ServiceError(
                "ValidationError", "The lab replaces a REST API's Body only by replacing the API"
            )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("apigateway").delete_rest_api(restApiId=request.physical_id)
        )


class ResourceProvider(Provider):
    """AWS::ApiGateway::Resource — Ref: the resource id; GetAtt: ResourceId."""

    type_name = "AWS::ApiGateway::Resource"

    async def create(self, request: Request) -> Outcome:
        made = await self.call("apigateway", "create_resource", lower_camel(request.properties))
        return Outcome(made["id"], {"ResourceId": made["id"]})

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("apigateway").delete_resource(
                restApiId=request.properties["RestApiId"], resourceId=request.physical_id
            )
        )


class MethodProvider(Provider):
    """AWS::ApiGateway::Method — a method with its integration and responses."""

    type_name = "AWS::ApiGateway::Method"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        where = {
            "restApiId": props["RestApiId"],
            "resourceId": props["ResourceId"],
            "httpMethod": props["HttpMethod"],
        }
        params = {**lower_camel(props), **where}
        params.setdefault("authorizationType", "NONE")
        await self.call("apigateway", "put_method", params)
        for response in props.get("MethodResponses") or []:
            await self.call(
                "apigateway",
                "put_method_response",
                {**lower_camel(response), **where, "statusCode": str(response["StatusCode"])},
            )
        integration = props.get("Integration")
        if integration:
            spec = lower_camel(integration)
            spec["integrationHttpMethod"] = spec.pop("integrationHttpMethod", None)
            await self.call("apigateway", "put_integration", {**spec, **where})
            for response in integration.get("IntegrationResponses") or []:
                await self.call(
                    "apigateway",
                    "put_integration_response",
                    {**lower_camel(response), **where, "statusCode": str(response["StatusCode"])},
                )
        physical = f"{props['RestApiId']}|{props['ResourceId']}|{props['HttpMethod']}"
        return Outcome(physical)

    async def delete(self, request: Request) -> None:
        props = request.properties
        await ignore_missing(
            self.client("apigateway").delete_method(
                restApiId=props["RestApiId"],
                resourceId=props["ResourceId"],
                httpMethod=props["HttpMethod"],
            )
        )


class DeploymentProvider(Provider):
    """AWS::ApiGateway::Deployment — Ref: the deployment id; GetAtt: DeploymentId."""

    type_name = "AWS::ApiGateway::Deployment"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        params = lower_camel(props)
        stage = props.get("StageDescription") or {}
        if stage.get("Variables"):
            params["variables"] = stage["Variables"]
        made = await self.call("apigateway", "create_deployment", params)
        return Outcome(made["id"], {"DeploymentId": made["id"]})

    async def update(self, request: Request) -> Outcome:
        return await self.create(request)

    async def delete(self, request: Request) -> None:
        props = request.properties
        apigw = self.client("apigateway")
        if props.get("StageName"):
            await ignore_missing(
                apigw.delete_stage(restApiId=props["RestApiId"], stageName=props["StageName"])
            )
        await ignore_missing(
            apigw.delete_deployment(restApiId=props["RestApiId"], deploymentId=request.physical_id),
            "NotFoundException",
            "BadRequestException",
        )


class StageProvider(Provider):
    """AWS::ApiGateway::Stage — Ref: the stage name."""

    type_name = "AWS::ApiGateway::Stage"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = props.get("StageName") or self.generated_name(request).lower()
        params = {**lower_camel(props), "stageName": name, "tags": tag_map(props) or None}
        await self.call("apigateway", "create_stage", params)
        return Outcome(name)

    async def update(self, request: Request) -> Outcome:
        props, old = request.properties, request.previous
        operations = []
        if props.get("DeploymentId") != old.get("DeploymentId"):
            operations.append(
                {"op": "replace", "path": "/deploymentId", "value": props["DeploymentId"]}
            )
        for key, value in (props.get("Variables") or {}).items():
            operations.append({"op": "replace", "path": f"/variables/{key}", "value": str(value)})
        if operations:
            await self.client("apigateway").update_stage(
                restApiId=props["RestApiId"],
                stageName=request.physical_id,
                patchOperations=operations,
            )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("apigateway").delete_stage(
                restApiId=request.properties["RestApiId"], stageName=request.physical_id
            )
        )


class AuthorizerProvider(Provider):
    """AWS::ApiGateway::Authorizer — Ref: the authorizer id; GetAtt: AuthorizerId."""

    type_name = "AWS::ApiGateway::Authorizer"

    async def create(self, request: Request) -> Outcome:
        params = lower_camel(request.properties)
        params["providerARNs"] = request.properties.get("ProviderARNs")
        params.pop("providerArns", None)
        made = await self.call("apigateway", "create_authorizer", params)
        return Outcome(made["id"], {"AuthorizerId": made["id"]})

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("apigateway").delete_authorizer(
                restApiId=request.properties["RestApiId"], authorizerId=request.physical_id
            )
        )


class ApiKeyProvider(Provider):
    """AWS::ApiGateway::ApiKey — Ref: the key id; GetAtt: APIKeyId."""

    type_name = "AWS::ApiGateway::ApiKey"
    name_property = "Name"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        params = {**lower_camel(props), "name": self.name(request), "tags": tag_map(props) or None}
        params["stageKeys"] = [lower_camel(k) for k in props.get("StageKeys") or []] or None
        made = await self.call("apigateway", "create_api_key", params)
        return Outcome(made["id"], {"APIKeyId": made["id"]})

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("apigateway").delete_api_key(apiKey=request.physical_id))


class UsagePlanProvider(Provider):
    """AWS::ApiGateway::UsagePlan — Ref: the plan id."""

    type_name = "AWS::ApiGateway::UsagePlan"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        params = _deep_lower(props)
        params["name"] = props.get("UsagePlanName") or self.generated_name(request)
        params["tags"] = tag_map(props) or None
        made = await self.call("apigateway", "create_usage_plan", params)
        return Outcome(made["id"], {"Id": made["id"]})

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("apigateway").delete_usage_plan(usagePlanId=request.physical_id)
        )


def _deep_lower(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _deep_lower(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_lower(v) for v in value]
    return value


class UsagePlanKeyProvider(Provider):
    """AWS::ApiGateway::UsagePlanKey — Ref: the key id."""

    type_name = "AWS::ApiGateway::UsagePlanKey"

    async def create(self, request: Request) -> Outcome:
        made = await self.call(
            "apigateway", "create_usage_plan_key", lower_camel(request.properties)
        )
        return Outcome(made["id"], {"Id": made["id"]})

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("apigateway").delete_usage_plan_key(
                usagePlanId=request.properties["UsagePlanId"], keyId=request.physical_id
            )
        )


class ModelProvider(Provider):
    """AWS::ApiGateway::Model — Ref: the model name."""

    type_name = "AWS::ApiGateway::Model"
    name_property = "Name"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = props.get("Name") or request.logical_id
        params = {
            **lower_camel(props),
            "name": name,
            "contentType": props.get("ContentType", "application/json"),
        }
        if "Schema" in props:
            params["schema"] = json_text(props["Schema"])
        await self.call("apigateway", "create_model", params)
        return Outcome(name)

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("apigateway").delete_model(
                restApiId=request.properties["RestApiId"], modelName=request.physical_id
            )
        )


class RequestValidatorProvider(Provider):
    """AWS::ApiGateway::RequestValidator — Ref: the validator id; GetAtt: RequestValidatorId."""

    type_name = "AWS::ApiGateway::RequestValidator"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        params = {**lower_camel(props), "name": props.get("Name") or request.logical_id}
        made = await self.call("apigateway", "create_request_validator", params)
        return Outcome(made["id"], {"RequestValidatorId": made["id"]})

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("apigateway").delete_request_validator(
                restApiId=request.properties["RestApiId"], requestValidatorId=request.physical_id
            )
        )


# -- HTTP and WebSocket APIs ---------------------------------------------------------------------
class HttpApiProvider(Provider):
    """AWS::ApiGatewayV2::Api — Ref: the API id; GetAtt: ApiEndpoint, ApiId."""

    type_name = "AWS::ApiGatewayV2::Api"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        body = _body(self, props)
        name = props.get("Name") or (body or {}).get("info", {}).get("title") or request.logical_id
        params = {
            **props,
            "Name": name,
            "ProtocolType": props.get("ProtocolType", "HTTP"),
            "Tags": props.get("Tags"),
        }
        made = await self.call("apigatewayv2", "create_api", params)
        if body:
            await import_http_body(self.client("apigatewayv2"), made["ApiId"], body)
        return Outcome(
            made["ApiId"], {"ApiId": made["ApiId"], "ApiEndpoint": made.get("ApiEndpoint", "")}
        )

    async def update(self, request: Request) -> Outcome:
        params = {
            k: v
            for k, v in request.properties.items()
            if k not in ("Body", "BodyS3Location", "Tags", "ProtocolType")
        }
        await self.call("apigatewayv2", "update_api", {**params, "ApiId": request.physical_id})
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("apigatewayv2").delete_api(ApiId=request.physical_id))


def _v2_provider(
    type_name: str, noun: str, id_key: str, *, delete_key: str | None = None
) -> type[Provider]:
    """A provider for an ApiGatewayV2 child resource (create_X / update_X / delete_X)."""
    delete_key = delete_key or id_key

    class V2ChildProvider(Provider):
        async def create(self, request: Request) -> Outcome:
            made = await self.call("apigatewayv2", f"create_{noun}", request.properties)
            return Outcome(str(made[id_key]), {id_key: made[id_key]})

        async def update(self, request: Request) -> Outcome:
            params = {**request.properties, id_key: request.physical_id}
            await self.call("apigatewayv2", f"update_{noun}", params)
            return Outcome(request.physical_id, dict(request.attributes))

        async def delete(self, request: Request) -> None:
            params = {"ApiId": request.properties["ApiId"], delete_key: request.physical_id}
            await ignore_missing(self.call("apigatewayv2", f"delete_{noun}", params))

    V2ChildProvider.type_name = type_name
    V2ChildProvider.__name__ = V2ChildProvider.__qualname__ = (
        noun.title().replace("_", "") + "Provider"
    )
    V2ChildProvider.__doc__ = f"{type_name} — Ref: the {id_key}."
    return V2ChildProvider


class V2StageProvider(Provider):
    """AWS::ApiGatewayV2::Stage — Ref: the stage name."""

    type_name = "AWS::ApiGatewayV2::Stage"

    async def create(self, request: Request) -> Outcome:
        await self.call("apigatewayv2", "create_stage", request.properties)
        return Outcome(request.properties["StageName"])

    async def update(self, request: Request) -> Outcome:
        await self.call("apigatewayv2", "update_stage", request.properties)
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("apigatewayv2").delete_stage(
                ApiId=request.properties["ApiId"], StageName=request.physical_id
            )
        )


PROVIDERS = (
    RestApiProvider,
    ResourceProvider,
    MethodProvider,
    DeploymentProvider,
    StageProvider,
    AuthorizerProvider,
    ApiKeyProvider,
    UsagePlanProvider,
    UsagePlanKeyProvider,
    ModelProvider,
    RequestValidatorProvider,
    HttpApiProvider,
    V2StageProvider,
    _v2_provider("AWS::ApiGatewayV2::Route", "route", "RouteId"),
    _v2_provider("AWS::ApiGatewayV2::Integration", "integration", "IntegrationId"),
    _v2_provider("AWS::ApiGatewayV2::Deployment", "deployment", "DeploymentId"),
    _v2_provider("AWS::ApiGatewayV2::Authorizer", "authorizer", "AuthorizerId"),
    _v2_provider("AWS::ApiGatewayV2::RouteResponse", "route_response", "RouteResponseId"),
)
