"""WebSocket APIs: $connect/$disconnect/$default/custom routes, lab sockets, @connections."""

from __future__ import annotations

import json

import pytest

from engine import ServiceError

from .test_apigateway_kit import function_arn


async def _chat(eng, *, connect_status: int = 200, two_way: bool = False) -> tuple[str, list]:
    events: list = []
    manage = eng.client("apigatewaymanagementapi")

    async def handler(event, ctx):
        events.append(event)
        context = event["requestContext"]
        if context["eventType"] == "CONNECT":
            return {"statusCode": connect_status}
        if context["eventType"] == "MESSAGE" and context["routeKey"] == "shout":
            body = json.loads(event["body"])
            await manage.post_to_connection(
                ConnectionId=context["connectionId"], Data=body["text"].upper().encode()
            )
        return {"statusCode": 200, "body": f"route={context['routeKey']}"}

    eng.register_function("chat", handler)
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(
        Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    api_id = api["ApiId"]
    integration = await v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function_arn("chat")
    )
    target = f"integrations/{integration['IntegrationId']}"
    for key in ("$connect", "$disconnect", "$default", "shout"):
        route = await v2.create_route(
            ApiId=api_id,
            RouteKey=key,
            Target=target,
            **({"RouteResponseSelectionExpression": "$default"} if two_way else {}),
        )
        if two_way:
            await v2.create_route_response(
                ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default"
            )
    await v2.create_stage(ApiId=api_id, StageName="prod")
    await v2.create_deployment(ApiId=api_id, StageName="prod")
    return api_id, events


async def test_connect_runs_connect_route(eng):
    api_id, events = await _chat(eng)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod", query={"room": "a"})
    context = events[0]["requestContext"]
    assert (context["eventType"], context["routeKey"]) == ("CONNECT", "$connect")
    assert context["connectionId"] == socket.connection_id
    assert events[0]["queryStringParameters"] == {"room": "a"}


async def test_connect_refused_by_status(eng):
    api_id, _ = await _chat(eng, connect_status=403)
    with pytest.raises(ServiceError) as caught:
        await eng.service("apigatewayv2").connect(api_id, "prod")
    assert caught.value.status_code == 403
    assert eng.service("apigatewayv2").connections.count(api_id) == 0


async def test_message_routed_by_selection_expression(eng):
    api_id, events = await _chat(eng)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod")
    await socket.send(json.dumps({"action": "shout", "text": "hi"}))
    assert events[-1]["requestContext"]["routeKey"] == "shout"
    assert await socket.receive(timeout=1) == "HI"


async def test_unmatched_message_goes_to_default(eng):
    api_id, events = await _chat(eng)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod")
    await socket.send("not json")
    assert events[-1]["requestContext"]["routeKey"] == "$default"
    assert events[-1]["body"] == "not json"


async def test_one_way_route_sends_nothing_back(eng):
    api_id, _ = await _chat(eng)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod")
    await socket.send("x")
    assert socket.pending() == []


async def test_two_way_route_sends_body_back(eng):
    api_id, _ = await _chat(eng, two_way=True)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod")
    await socket.send("x")
    assert socket.pending() == ["route=$default"]


async def test_no_route_answers_forbidden(eng):
    eng.register_function("n", lambda e, c: {"statusCode": 200})
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(
        Name="c", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    integration = await v2.create_integration(
        ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=function_arn("n")
    )
    await v2.create_route(
        ApiId=api["ApiId"], RouteKey="join", Target=f"integrations/{integration['IntegrationId']}"
    )
    await v2.create_stage(ApiId=api["ApiId"], StageName="prod")
    await v2.create_deployment(ApiId=api["ApiId"], StageName="prod")
    socket = await eng.service("apigatewayv2").connect(api["ApiId"], "prod")
    await socket.send('{"action": "leave"}')
    answer = json.loads(socket.pending()[0])
    assert answer["message"] == "Forbidden"
    assert answer["connectionId"] == socket.connection_id


async def test_close_runs_disconnect(eng):
    api_id, events = await _chat(eng)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod")
    await socket.close()
    context = events[-1]["requestContext"]
    assert (context["eventType"], context["disconnectStatusCode"]) == ("DISCONNECT", 1000)


async def test_get_connection(eng):
    api_id, _ = await _chat(eng)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod")
    info = await eng.client("apigatewaymanagementapi").get_connection(
        ConnectionId=socket.connection_id
    )
    assert info["Identity"]["SourceIp"] == "127.0.0.1"
    assert info["ConnectedAt"] == eng.clock.datetime()


async def test_delete_connection_closes_socket(eng):
    api_id, events = await _chat(eng)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod")
    await eng.client("apigatewaymanagementapi").delete_connection(ConnectionId=socket.connection_id)
    assert socket.closed
    assert events[-1]["requestContext"]["eventType"] == "DISCONNECT"


async def test_post_to_closed_connection_is_gone(eng):
    api_id, _ = await _chat(eng)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod")
    await socket.close()
    with pytest.raises(ServiceError) as caught:
        await eng.client("apigatewaymanagementapi").post_to_connection(
            ConnectionId=socket.connection_id, Data=b"late"
        )
    assert (caught.value.code, caught.value.status_code) == ("GoneException", 410)


async def test_oversize_post_is_rejected(eng):
    api_id, _ = await _chat(eng)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod")
    with pytest.raises(ServiceError) as caught:
        await eng.client("apigatewaymanagementapi").post_to_connection(
            ConnectionId=socket.connection_id, Data=b"x" * (128 * 1024 + 1)
        )
    assert caught.value.code == "PayloadTooLargeException"
    assert socket.pending() == []


async def test_idle_connection_closes_after_ten_minutes(eng, clock):
    api_id, _ = await _chat(eng)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod")
    await clock.advance(599)
    assert not socket.closed
    await clock.advance(2)
    assert socket.closed
    assert socket.close_code == 1001


async def test_activity_keeps_connection_open(eng, clock):
    api_id, _ = await _chat(eng)
    socket = await eng.service("apigatewayv2").connect(api_id, "prod")
    await clock.advance(500)
    await socket.send("ping")
    await clock.advance(500)
    assert not socket.closed


async def test_connect_authorizer_denies_and_allows(eng):
    from .test_apigateway_kit import lambda_uri

    eng.register_function(
        "gate",
        lambda event, ctx: {
            "principalId": "u",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow"
                        if event["queryStringParameters"]["token"] == "ok"
                        else "Deny",
                        "Resource": event["methodArn"],
                    }
                ],
            },
            "context": {"user": "u"},
        },
    )
    seen: list = []
    eng.register_function("conn", lambda event, ctx: seen.append(event) or {"statusCode": 200})
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(
        Name="a", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    authorizer = await v2.create_authorizer(
        ApiId=api["ApiId"],
        Name="gate",
        AuthorizerType="REQUEST",
        AuthorizerUri=lambda_uri("gate"),
        IdentitySource=["route.request.querystring.token"],
    )
    integration = await v2.create_integration(
        ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=function_arn("conn")
    )
    await v2.create_route(
        ApiId=api["ApiId"],
        RouteKey="$connect",
        Target=f"integrations/{integration['IntegrationId']}",
        AuthorizationType="CUSTOM",
        AuthorizerId=authorizer["AuthorizerId"],
    )
    await v2.create_stage(ApiId=api["ApiId"], StageName="prod")
    await v2.create_deployment(ApiId=api["ApiId"], StageName="prod")
    service = eng.service("apigatewayv2")
    with pytest.raises(ServiceError) as caught:
        await service.connect(api["ApiId"], "prod", query={"token": "no"})
    assert caught.value.status_code == 403
    with pytest.raises(ServiceError) as missing:
        await service.connect(api["ApiId"], "prod")
    assert missing.value.status_code == 401
    await service.connect(api["ApiId"], "prod", query={"token": "ok"})
    assert seen[-1]["requestContext"]["authorizer"]["user"] == "u"


async def test_failing_integration_answers_internal_error(eng):
    def handler(event, ctx):
        if event["requestContext"]["eventType"] == "MESSAGE":
            raise RuntimeError("broken")
        return {"statusCode": 200}

    eng.register_function("fragile", handler)
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(
        Name="f", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    integration = await v2.create_integration(
        ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=function_arn("fragile")
    )
    await v2.create_route(
        ApiId=api["ApiId"],
        RouteKey="$default",
        Target=f"integrations/{integration['IntegrationId']}",
    )
    await v2.create_stage(ApiId=api["ApiId"], StageName="prod")
    await v2.create_deployment(ApiId=api["ApiId"], StageName="prod")
    socket = await eng.service("apigatewayv2").connect(api["ApiId"], "prod")
    await socket.send("boom")
    assert json.loads(socket.pending()[0])["message"] == "Internal server error"
    assert not socket.closed
