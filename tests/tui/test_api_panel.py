"""The API panel: an API Gateway API's routes and recent requests with the stage that decided."""

from __future__ import annotations

from rich.console import Console

from engine import Engine
from engine.http import HttpRequest
from tui.app import PipeworkApp
from tui.app.api_inspector import api_details
from tui.app.widgets.flow_map import FlowMap
from tui.app.widgets.inspection_view import render_inspection
from tui.app.widgets.resource_panel import ResourcePanel

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"
LAMBDA_URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations"


def _text(renderable: object) -> str:
    console = Console(width=60, record=True)
    console.print(renderable)
    return console.export_text()


def _count_handler(calls: list) -> object:
    def handler(event: dict, context: object) -> dict:
        calls.append(event)
        return {"statusCode": 200, "body": str(len(calls))}

    return handler


async def _cached_rest_api(eng: Engine) -> str:
    """REST API `shop`: GET /items → function `items` (proxy), stage `prod` with a 60 s cache."""
    eng.register_function("items", _count_handler([]))
    gw = eng.client("apigateway")
    api = await gw.create_rest_api(name="shop")
    api_id = api["id"]
    resource = await gw.create_resource(
        restApiId=api_id, parentId=api["rootResourceId"], pathPart="items"
    )
    await gw.put_method(
        restApiId=api_id, resourceId=resource["id"], httpMethod="GET", authorizationType="NONE"
    )
    await gw.put_integration(
        restApiId=api_id,
        resourceId=resource["id"],
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=LAMBDA_URI.format(FUNCTION_ARN.format("items")),
    )
    await gw.create_deployment(
        restApiId=api_id, stageName="prod", cacheClusterEnabled=True, cacheClusterSize="0.5"
    )
    await gw.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/*/*/caching/enabled", "value": "true"}],
    )
    return api_id


async def _get(eng: Engine, api_id: str, path: str, service: str = "apigateway") -> int:
    stage = "prod" if service == "apigateway" else "$default"
    response = await eng.service(service).invoke(api_id, stage, HttpRequest("GET", path))
    return response.status


async def test_rest_api_details_list_routes_stages_and_deciding_stages(eng: Engine) -> None:
    recorder = eng.trace.record()
    api_id = await _cached_rest_api(eng)
    statuses = [await _get(eng, api_id, p) for p in ("/items", "/items", "/nowhere")]
    assert statuses == [200, 200, 403]
    node = next(n for n in eng.topology().nodes if n.kind == "api")
    details = api_details(eng, node, recorder)
    assert details["protocol"] == "REST"
    assert details["routes"][0]["route"] == "GET /items"
    assert details["routes"][0]["target"] == "function:items"
    assert details["stages"] == [{"name": "prod", "notes": "cache 300s"}]
    requests = details["requests"]
    assert [(r["request"], r["status"]) for r in requests] == [
        ("GET /items", 200),
        ("GET /items", 200),
        ("GET /nowhere", 403),
    ]
    assert [r["decided_by"] for r in requests] == [
        "integration",
        "cache",
        "missing_authentication_token",
    ]
    assert all(isinstance(r["latency_ms"], int) for r in requests)


async def test_http_api_details_show_its_routes_and_requests(eng: Engine) -> None:
    recorder = eng.trace.record()
    eng.register_function("hello", _count_handler([]))
    api = await eng.client("apigatewayv2").create_api(
        Name="web", ProtocolType="HTTP", Target=FUNCTION_ARN.format("hello")
    )
    assert await _get(eng, api["ApiId"], "/hi", "apigatewayv2") == 200
    node = next(n for n in eng.topology().nodes if n.kind == "api")
    details = api_details(eng, node, recorder)
    assert details["protocol"] == "HTTP"
    assert [(r["route"], r["target"]) for r in details["routes"]] == [
        ("$default", "function:hello")
    ]
    assert details["stages"][0]["name"] == "$default"
    assert [(r["request"], r["status"], r["decided_by"]) for r in details["requests"]] == [
        ("GET /hi", 200, "integration")
    ]


async def test_only_the_newest_requests_are_listed(eng: Engine) -> None:
    recorder = eng.trace.record()
    api_id = await _cached_rest_api(eng)
    for index in range(12):
        await _get(eng, api_id, f"/missing{index}")
    node = next(n for n in eng.topology().nodes if n.kind == "api")
    requests = api_details(eng, node, recorder)["requests"]
    assert [r["request"] for r in requests] == [f"GET /missing{i}" for i in range(4, 12)]


async def test_the_panel_of_a_selected_api_shows_routes_and_requests(
    app: PipeworkApp, eng: Engine
) -> None:
    async with app.run_test(size=(160, 44)) as pilot:
        api_id = await _cached_rest_api(eng)
        for path in ("/items", "/items", "/nowhere"):
            await _get(eng, api_id, path)
        app.refresh_views()
        await pilot.pause()
        app.screen.query_one(FlowMap).select(app.topology.node("shop").id)
        await pilot.pause()
        await app.refresh_panel()
        await pilot.pause()
        panel = app.screen.query_one(ResourcePanel)
        assert panel.view is not None and panel.view.details["kind"] == "api"
        details = _text(render_inspection(panel.view.details))
        for text in ("REST routes", "GET /items", "function:items", "prod", "recent requests"):
            assert text in details
        assert "cache" in details and "403" in details


async def test_an_api_that_vanished_shows_a_note_not_a_crash(eng: Engine) -> None:
    from tui.app.inspectors import inspect

    api_id = await _cached_rest_api(eng)
    node = next(n for n in eng.topology().nodes if n.kind == "api")
    await eng.client("apigateway").delete_rest_api(restApiId=api_id)
    assert "error" in inspect(eng, node, eng.trace.record())
