"""API Gateway over a real loopback socket: REST and HTTP APIs with httpx, WebSockets with websockets."""

from __future__ import annotations

import asyncio
import json

import boto3
import httpx
import pytest
import websockets

from tests.engine.test_apigateway_kit import RestKit, function_arn


async def test_rest_api_over_http(lab):
    lab.engine.register_function(
        "hi", lambda event, ctx: {"statusCode": 200, "body": json.dumps(event["pathParameters"])}
    )
    kit = await RestKit(lab.engine).create()
    await kit.proxy("/items/{id}", "hi")
    await kit.deploy()
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{lab.url}/restapis/{kit.api_id}/prod/_user_request_/items/5")
    assert response.status_code == 200
    assert response.json() == {"id": "5"}


async def test_rest_unknown_route_over_http(lab):
    kit = await RestKit(lab.engine).create()
    await kit.mock("/items")
    await kit.deploy()
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{lab.url}/prod/nowhere", headers={"Host": f"{kit.api_id}.execute-api.localhost"}
        )
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


async def test_http_api_over_http_by_host(lab):
    lab.engine.register_function("echo", lambda event, ctx: {"path": event["rawPath"]})
    v2 = lab.engine.client("apigatewayv2")
    api = await v2.create_api(Name="h", ProtocolType="HTTP", Target=function_arn("echo"))
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{lab.url}/some/where", headers={"Host": f"{api['ApiId']}.execute-api.localhost"}
        )
    assert response.status_code == 200
    assert response.json() == {"path": "/some/where"}


async def _websocket_api(lab) -> str:
    manage = lab.engine.client("apigatewaymanagementapi")

    async def handler(event, ctx):
        context = event["requestContext"]
        if context["eventType"] == "CONNECT" and event.get("queryStringParameters", {}).get("deny"):
            return {"statusCode": 403}
        if context["eventType"] == "MESSAGE":
            await manage.post_to_connection(
                ConnectionId=context["connectionId"], Data=f"echo:{event['body']}".encode()
            )
        return {"statusCode": 200}

    lab.engine.register_function("ws", handler)
    v2 = lab.engine.client("apigatewayv2")
    api = await v2.create_api(
        Name="ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    integration = await v2.create_integration(
        ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=function_arn("ws")
    )
    for key in ("$connect", "$default"):
        await v2.create_route(
            ApiId=api["ApiId"], RouteKey=key, Target=f"integrations/{integration['IntegrationId']}"
        )
    await v2.create_stage(ApiId=api["ApiId"], StageName="prod")
    await v2.create_deployment(ApiId=api["ApiId"], StageName="prod")
    return api["ApiId"]


def _ws_url(lab, api_id: str, query: str = "") -> str:
    base = lab.url.replace("http://", "ws://")
    return f"{base}/restapis/{api_id}/prod{query}"


async def test_websocket_echo_over_socket(lab):
    api_id = await _websocket_api(lab)
    async with websockets.connect(_ws_url(lab, api_id)) as socket:
        await socket.send("hello")
        assert await asyncio.wait_for(socket.recv(), 5) == "echo:hello"


async def test_websocket_refused_by_connect_route(lab):
    api_id = await _websocket_api(lab)
    with pytest.raises(websockets.exceptions.InvalidStatus) as caught:
        async with websockets.connect(_ws_url(lab, api_id, "?deny=1")):
            pass
    assert caught.value.response.status_code == 403


async def test_delete_connection_closes_real_socket(lab):
    api_id = await _websocket_api(lab)
    service = lab.engine.service("apigatewayv2")
    async with websockets.connect(_ws_url(lab, api_id)) as socket:
        await socket.send("hi")
        await asyncio.wait_for(socket.recv(), 5)
        (connection_id,) = list(service.connections.by_id)
        await lab.engine.client("apigatewaymanagementapi").delete_connection(
            ConnectionId=connection_id
        )
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 5)


async def test_management_api_through_boto3(lab):
    api_id = await _websocket_api(lab)
    service = lab.engine.service("apigatewayv2")
    async with websockets.connect(_ws_url(lab, api_id)) as socket:
        await socket.send("hi")
        await asyncio.wait_for(socket.recv(), 5)
        (connection_id,) = list(service.connections.by_id)
        manage = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=f"{lab.url}/restapis/{api_id}/prod/_user_request_",
            region_name="us-east-1",
            aws_access_key_id="AKIALAB",
            aws_secret_access_key="secret",
        )
        await lab.call(manage.post_to_connection, ConnectionId=connection_id, Data=b"pushed")
        assert await asyncio.wait_for(socket.recv(), 5) == "pushed"
        info = await lab.call(manage.get_connection, ConnectionId=connection_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"


async def test_post_after_client_left_is_gone(lab):
    from engine import ServiceError

    api_id = await _websocket_api(lab)
    service = lab.engine.service("apigatewayv2")
    async with websockets.connect(_ws_url(lab, api_id)) as socket:
        await socket.send("hi")
        await asyncio.wait_for(socket.recv(), 5)
        (connection_id,) = list(service.connections.by_id)
    for _ in range(200):
        if not service.connections.by_id:
            break
        await asyncio.sleep(0.01)
    with pytest.raises(ServiceError) as caught:
        await lab.engine.client("apigatewaymanagementapi").post_to_connection(
            ConnectionId=connection_id, Data=b"late"
        )
    assert caught.value.code == "GoneException"


async def test_websocket_by_host_form(lab):
    api_id = await _websocket_api(lab)
    base = lab.url.replace("http://", "ws://")
    headers = {"Host": f"{api_id}.execute-api.localhost"}
    async with websockets.connect(f"{base}/prod", additional_headers=headers) as socket:
        await socket.send("host")
        assert await asyncio.wait_for(socket.recv(), 5) == "echo:host"


async def test_boto3_builds_http_api_over_the_wire(lab):
    lab.engine.register_function("hi", lambda event, ctx: {"statusCode": 200, "body": "built"})
    v2 = lab.client("apigatewayv2")
    api = await lab.call(v2.create_api, Name="wired", ProtocolType="HTTP")
    integration = await lab.call(
        v2.create_integration,
        ApiId=api["ApiId"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=function_arn("hi"),
        PayloadFormatVersion="2.0",
    )
    await lab.call(
        v2.create_route,
        ApiId=api["ApiId"],
        RouteKey="GET /hi",
        Target=f"integrations/{integration['IntegrationId']}",
    )
    stage = await lab.call(
        v2.create_stage, ApiId=api["ApiId"], StageName="$default", AutoDeploy=True
    )
    assert stage["AutoDeploy"] is True
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{lab.url}/hi", headers={"Host": f"{api['ApiId']}.execute-api.localhost"}
        )
    assert (response.status_code, response.text) == (200, "built")
    with pytest.raises(v2.exceptions.NotFoundException):
        await lab.call(v2.get_api, ApiId="missing")
