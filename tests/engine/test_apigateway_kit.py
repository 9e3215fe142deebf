"""Helpers the API Gateway tests share: build a REST API in a few calls and send it requests."""

from __future__ import annotations

import json
from typing import Any

from engine import Engine
from engine.http import HttpRequest, HttpResponse

ACCOUNT = "123456789012"


def function_arn(name: str) -> str:
    """A lab function's ARN."""
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


def lambda_uri(name: str) -> str:
    """The integration URI that invokes a lab function."""
    return (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        f"{function_arn(name)}/invocations"
    )


def body_json(response: HttpResponse) -> Any:
    """A response body parsed as JSON."""
    return json.loads(response.body)


class RestKit:
    """One REST API under construction: resources by path, methods, deployments, requests."""

    def __init__(self, eng: Engine) -> None:
        self.eng = eng
        self.gw = eng.client("apigateway")
        self.api_id = ""
        self.resources: dict[str, str] = {}

    async def create(self, name: str = "shop", **params: Any) -> RestKit:
        """Create the REST API."""
        api = await self.gw.create_rest_api(name=name, **params)
        self.api_id = api["id"]
        self.resources["/"] = api["rootResourceId"]
        return self

    async def resource(self, path: str) -> str:
        """The id of the resource at `path`, creating it and its parents as needed."""
        if path in self.resources:
            return self.resources[path]
        parent_path, _, part = path.rpartition("/")
        parent = await self.resource(parent_path or "/")
        made = await self.gw.create_resource(restApiId=self.api_id, parentId=parent, pathPart=part)
        self.resources[path] = made["id"]
        return made["id"]

    async def method(
        self, path: str, http_method: str = "GET", *, authorization: str = "NONE", **params: Any
    ) -> str:
        """Put a method on the resource at `path`; returns the resource id."""
        resource_id = await self.resource(path)
        await self.gw.put_method(
            restApiId=self.api_id,
            resourceId=resource_id,
            httpMethod=http_method,
            authorizationType=authorization,
            **params,
        )
        return resource_id

    async def proxy(self, path: str, function: str, http_method: str = "GET", **method: Any) -> str:
        """A method with a Lambda proxy integration to `function`."""
        resource_id = await self.method(path, http_method, **method)
        await self.gw.put_integration(
            restApiId=self.api_id,
            resourceId=resource_id,
            httpMethod=http_method,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=lambda_uri(function),
        )
        return resource_id

    async def mock(
        self,
        path: str,
        http_method: str = "GET",
        *,
        request_template: str = '{"statusCode": 200}',
        responses: dict[str, dict[str, Any]] | None = None,
        **method: Any,
    ) -> str:
        """A method with a MOCK integration and integration responses (status → params)."""
        resource_id = await self.method(path, http_method, **method)
        await self.gw.put_integration(
            restApiId=self.api_id,
            resourceId=resource_id,
            httpMethod=http_method,
            type="MOCK",
            requestTemplates={"application/json": request_template},
        )
        for status, extra in (responses or {"200": {}}).items():
            await self.gw.put_method_response(
                restApiId=self.api_id,
                resourceId=resource_id,
                httpMethod=http_method,
                statusCode=status,
            )
            await self.gw.put_integration_response(
                restApiId=self.api_id,
                resourceId=resource_id,
                httpMethod=http_method,
                statusCode=status,
                **extra,
            )
        return resource_id

    async def deploy(self, stage: str = "prod", **params: Any) -> str:
        """Deploy to `stage`; returns the deployment id."""
        deployment = await self.gw.create_deployment(
            restApiId=self.api_id, stageName=stage, **params
        )
        return deployment["id"]

    async def call(
        self,
        method: str,
        path: str,
        *,
        stage: str = "prod",
        headers: dict[str, str] | None = None,
        body: bytes | str = b"",
        query: str = "",
    ) -> HttpResponse:
        """Send one request through the deployed stage."""
        data = body.encode() if isinstance(body, str) else body
        request = HttpRequest.build(method, path, query_string=query, headers=headers, body=data)
        return await self.eng.service("apigateway").invoke(self.api_id, stage, request)
