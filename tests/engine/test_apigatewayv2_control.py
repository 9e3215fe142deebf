"""HTTP and WebSocket API control plane: APIs, routes, integrations, stages, AWS's errors."""

from __future__ import annotations

import json

import pytest

from engine import ServiceError

from .test_apigateway_kit import function_arn


async def test_http_api_defaults(eng):
    api = await eng.client("apigatewayv2").create_api(Name="shop", ProtocolType="HTTP")
    assert api["RouteSelectionExpression"] == "${request.method} ${request.path}"
    assert api["ApiKeySelectionExpression"] == "$request.header.x-api-key"
    assert api["ApiEndpoint"] == f"https://{api['ApiId']}.execute-api.us-east-1.amazonaws.com"


async def test_websocket_api_needs_selection_expression(eng):
    with pytest.raises(ServiceError) as caught:
        await eng.client("apigatewayv2").create_api(Name="chat", ProtocolType="WEBSOCKET")
    assert caught.value.code == "BadRequestException"
    assert (await eng.client("apigatewayv2").get_apis())["Items"] == []


async def test_quick_create_makes_route_and_auto_deploying_stage(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="q", ProtocolType="HTTP", Target=function_arn("fn"))
    routes = (await v2.get_routes(ApiId=api["ApiId"]))["Items"]
    assert [r["RouteKey"] for r in routes] == ["$default"]
    stage = await v2.get_stage(ApiId=api["ApiId"], StageName="$default")
    assert stage["AutoDeploy"] is True
    assert stage["DeploymentId"]
    integration = (await v2.get_integrations(ApiId=api["ApiId"]))["Items"][0]
    assert (integration["IntegrationType"], integration["PayloadFormatVersion"]) == (
        "AWS_PROXY",
        "2.0",
    )


async def test_bad_route_key_is_rejected(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="a", ProtocolType="HTTP")
    with pytest.raises(ServiceError) as caught:
        await v2.create_route(ApiId=api["ApiId"], RouteKey="FETCH /items")
    assert caught.value.code == "BadRequestException"


async def test_duplicate_route_key_conflicts(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="a", ProtocolType="HTTP")
    await v2.create_route(ApiId=api["ApiId"], RouteKey="GET /items")
    with pytest.raises(ServiceError) as caught:
        await v2.create_route(ApiId=api["ApiId"], RouteKey="GET /items")
    assert caught.value.code == "ConflictException"


async def test_route_target_must_exist(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="a", ProtocolType="HTTP")
    with pytest.raises(ServiceError) as caught:
        await v2.create_route(ApiId=api["ApiId"], RouteKey="GET /x", Target="integrations/nope")
    assert caught.value.code == "BadRequestException"


async def test_unknown_api_is_not_found(eng):
    with pytest.raises(ServiceError) as caught:
        await eng.client("apigatewayv2").get_routes(ApiId="missing")
    assert caught.value.code == "NotFoundException"


async def test_integration_in_use_cannot_be_deleted(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="q", ProtocolType="HTTP", Target=function_arn("fn"))
    integration = (await v2.get_integrations(ApiId=api["ApiId"]))["Items"][0]
    with pytest.raises(ServiceError) as caught:
        await v2.delete_integration(ApiId=api["ApiId"], IntegrationId=integration["IntegrationId"])
    assert caught.value.code == "ConflictException"


async def test_jwt_authorizer_needs_issuer(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="a", ProtocolType="HTTP")
    with pytest.raises(ServiceError) as caught:
        await v2.create_authorizer(
            ApiId=api["ApiId"],
            Name="jwt",
            AuthorizerType="JWT",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Audience": ["app"]},
        )
    assert caught.value.code == "BadRequestException"


async def test_auto_deploy_redeploys_on_change(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="q", ProtocolType="HTTP", Target=function_arn("fn"))
    before = (await v2.get_stage(ApiId=api["ApiId"], StageName="$default"))["DeploymentId"]
    integration = (await v2.get_integrations(ApiId=api["ApiId"]))["Items"][0]
    await v2.create_route(
        ApiId=api["ApiId"],
        RouteKey="GET /new",
        Target=f"integrations/{integration['IntegrationId']}",
    )
    after = (await v2.get_stage(ApiId=api["ApiId"], StageName="$default"))["DeploymentId"]
    assert after != before
    deployment = await v2.get_deployment(ApiId=api["ApiId"], DeploymentId=after)
    assert deployment["AutoDeployed"] is True


async def test_manual_deploy_to_auto_deploy_stage_is_rejected(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="q", ProtocolType="HTTP", Target=function_arn("fn"))
    with pytest.raises(ServiceError) as caught:
        await v2.create_deployment(ApiId=api["ApiId"], StageName="$default")
    assert caught.value.code == "BadRequestException"


async def test_route_settings_need_known_route(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="a", ProtocolType="HTTP")
    with pytest.raises(ServiceError) as caught:
        await v2.create_stage(
            ApiId=api["ApiId"],
            StageName="beta",
            RouteSettings={"GET /x": {"ThrottlingRateLimit": 1}},
        )
    assert caught.value.code == "NotFoundException"
    assert (await v2.get_stages(ApiId=api["ApiId"]))["Items"] == []


async def test_tags_on_api(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="a", ProtocolType="HTTP", Tags={"team": "a"})
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api['ApiId']}"
    await v2.tag_resource(ResourceArn=arn, Tags={"env": "lab"})
    assert (await v2.get_tags(ResourceArn=arn))["Tags"] == {"team": "a", "env": "lab"}


async def test_dump_and_load_keep_a_working_http_api(eng):
    from engine import Engine, VirtualClock
    from engine.http import HttpRequest

    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="q", ProtocolType="HTTP", Target=function_arn("fn"))
    data = eng.service("apigatewayv2").dump()
    async with Engine(clock=VirtualClock()) as other:
        other.register_function("fn", lambda event, ctx: {"statusCode": 200, "body": "back"})
        other.service("apigatewayv2").load(json.loads(json.dumps(data)))
        response = await other.service("apigatewayv2").invoke(
            api["ApiId"], "$default", HttpRequest.build("GET", "/x")
        )
        assert response.body == b"back"


async def test_http_lambda_integration_needs_payload_format(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="a", ProtocolType="HTTP")
    with pytest.raises(ServiceError) as caught:
        await v2.create_integration(
            ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=function_arn("fn")
        )
    assert caught.value.code == "BadRequestException"
    assert (await v2.get_integrations(ApiId=api["ApiId"]))["Items"] == []


async def test_topology_shows_api_and_integration_edge(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="q", ProtocolType="HTTP", Target=function_arn("fn"))
    topology = eng.topology()
    node = topology.node(f"arn:aws:apigateway:us-east-1::/apis/{api['ApiId']}")
    assert node is not None and node.kind == "api"
    edges = [e for e in topology.edges if e.source == node.id]
    assert [(e.target, e.kind, e.label) for e in edges] == [
        (function_arn("fn"), "integration", "$default")
    ]


async def test_quick_create_resources_are_managed_by_api_gateway(eng):
    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="q", ProtocolType="HTTP", Target=function_arn("fn"))
    routes = (await v2.get_routes(ApiId=api["ApiId"]))["Items"]
    integrations = (await v2.get_integrations(ApiId=api["ApiId"]))["Items"]
    stages = (await v2.get_stages(ApiId=api["ApiId"]))["Items"]
    assert [r["ApiGatewayManaged"] for r in routes] == [True]
    assert [i["ApiGatewayManaged"] for i in integrations] == [True]
    assert [s["ApiGatewayManaged"] for s in stages] == [True]
    own = await v2.create_route(ApiId=api["ApiId"], RouteKey="GET /mine")
    assert own["ApiGatewayManaged"] is False
