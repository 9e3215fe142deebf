"""OpenAPI `Body` of REST and HTTP APIs (what SAM generates), applied through the lab's API calls.

The lab's API Gateway has no ImportRestApi/ImportApi, so a `Body` is read here: paths and
methods with `x-amazon-apigateway-integration`, `x-amazon-apigateway-any-method`, and API
keys / authorizers named in `security` — the parts SAM's generated documents use.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.client import Client

_METHODS = (
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "x-amazon-apigateway-any-method",
)


def _http_method(key: str) -> str:
    return "ANY" if key == "x-amazon-apigateway-any-method" else key.upper()


async def import_rest_body(client: Client, api_id: str, body: dict[str, Any]) -> None:
    """Create the resources, methods and integrations an OpenAPI document describes."""
    resources = (await client.get_resources(restApiId=api_id))["items"]
    ids = {r["path"]: r["id"] for r in resources}
    authorizers = await _rest_authorizers(client, api_id, body)
    for path, operations in (body.get("paths") or {}).items():
        resource_id = await _resource_for(client, api_id, ids, path)
        for key, operation in (operations or {}).items():
            if key not in _METHODS or not isinstance(operation, dict):
                continue
            method = _http_method(key)
            auth_type, authorizer_id, key_required = "NONE", None, False
            for requirement in operation.get("security") or body.get("security") or []:
                for name in requirement:
                    if name in authorizers:
                        auth_type, authorizer_id = authorizers[name]
                    elif name.lower() in ("api_key", "apikey"):
                        key_required = True
            params: dict[str, Any] = {
                "restApiId": api_id,
                "resourceId": resource_id,
                "httpMethod": method,
                "authorizationType": auth_type,
                "apiKeyRequired": key_required,
            }
            if authorizer_id:
                params["authorizerId"] = authorizer_id
            await client.put_method(**params)
            integration = operation.get("x-amazon-apigateway-integration")
            if integration:
                await _rest_integration(client, api_id, resource_id, method, integration)


async def _resource_for(client: Client, api_id: str, ids: dict[str, str], path: str) -> str:
    parts = [p for p in path.split("/") if p]
    current = "/"
    for part in parts:
        child = current.rstrip("/") + "/" + part
        if child not in ids:
            made = await client.create_resource(
                restApiId=api_id, parentId=ids[current], pathPart=part
            )
            ids[child] = made["id"]
        current = child
    return ids[current]


async def _rest_integration(
    client: Client, api_id: str, resource_id: str, method: str, spec: dict
) -> None:
    kind = str(spec.get("type", "aws_proxy")).upper()
    params: dict[str, Any] = {
        "restApiId": api_id,
        "resourceId": resource_id,
        "httpMethod": method,
        "type": kind,
    }
    for source, target in (
        ("httpMethod", "integrationHttpMethod"),
        ("uri", "uri"),
        ("credentials", "credentials"),
        ("passthroughBehavior", "passthroughBehavior"),
        ("requestTemplates", "requestTemplates"),
        ("requestParameters", "requestParameters"),
        ("timeoutInMillis", "timeoutInMillis"),
    ):
        if source in spec:
            value = spec[source]
            params[target] = value.upper() if target == "passthroughBehavior" else value
    await client.put_integration(**params)
    for pattern, response in (spec.get("responses") or {}).items():
        status = str(response.get("statusCode", "200"))
        try:
            await client.put_method_response(
                restApiId=api_id, resourceId=resource_id, httpMethod=method, statusCode=status
            )
        except Exception:  # noqa: BLE001 - a method response may exist already
            pass
        extra: dict[str, Any] = {}
        if pattern != "default":
            extra["selectionPattern"] = pattern
        if "responseTemplates" in response:
            extra["responseTemplates"] = response["responseTemplates"]
        if "responseParameters" in response:
            extra["responseParameters"] = response["responseParameters"]
        await client.put_integration_response(
            restApiId=api_id, resourceId=resource_id, httpMethod=method, statusCode=status, **extra
        )


async def _rest_authorizers(
    client: Client, api_id: str, body: dict[str, Any]
) -> dict[str, tuple[str, str]]:
    schemes = (
        body.get("securityDefinitions")
        or (body.get("components") or {}).get("securitySchemes")
        or {}
    )
    found: dict[str, tuple[str, str]] = {}
    for name, scheme in schemes.items():
        spec = scheme.get("x-amazon-apigateway-authorizer") if isinstance(scheme, dict) else None
        if not spec:
            continue
        kind = str(spec.get("type", "token")).upper()
        params: dict[str, Any] = {"restApiId": api_id, "name": name, "type": kind}
        if kind == "COGNITO_USER_POOLS":
            params["providerARNs"] = spec.get("providerARNs", [])
        else:
            params["authorizerUri"] = spec.get("authorizerUri")
        params["identitySource"] = (
            spec.get("identitySource")
            or f"method.request.header.{scheme.get('name', 'Authorization')}"
        )
        if "authorizerResultTtlInSeconds" in spec:
            params["authorizerResultTtlInSeconds"] = int(spec["authorizerResultTtlInSeconds"])
        made = await client.create_authorizer(**{k: v for k, v in params.items() if v is not None})
        found[name] = (
            "COGNITO_USER_POOLS" if kind == "COGNITO_USER_POOLS" else "CUSTOM",
            made["id"],
        )
    return found


async def import_http_body(client: Client, api_id: str, body: dict[str, Any]) -> None:
    """Create the routes and integrations of an HTTP API's OpenAPI document."""
    integrations: dict[str, str] = {}
    for path, operations in (body.get("paths") or {}).items():
        for key, operation in (operations or {}).items():
            if key not in _METHODS or not isinstance(operation, dict):
                continue
            route_key = f"{_http_method(key)} {path}" if path != "$default" else "$default"
            spec = operation.get("x-amazon-apigateway-integration") or {}
            target = None
            if spec:
                signature = json.dumps(spec, sort_keys=True)
                if signature not in integrations:
                    params: dict[str, Any] = {
                        "ApiId": api_id,
                        "IntegrationType": str(spec.get("type", "aws_proxy")).upper(),
                        "IntegrationUri": spec.get("uri"),
                        "IntegrationMethod": spec.get("httpMethod"),
                        "PayloadFormatVersion": str(spec.get("payloadFormatVersion", "2.0")),
                    }
                    if "timeoutInMillis" in spec:
                        params["TimeoutInMillis"] = int(spec["timeoutInMillis"])
                    made = await client.create_integration(
                        **{k: v for k, v in params.items() if v is not None}
                    )
                    integrations[signature] = made["IntegrationId"]
                target = f"integrations/{integrations[signature]}"
            params = {"ApiId": api_id, "RouteKey": route_key}
            if target:
                params["Target"] = target
            await client.create_route(**params)
