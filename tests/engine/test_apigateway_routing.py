"""REST API routing: literal > {var} > {proxy+}, ANY, and "Missing Authentication Token"."""

from __future__ import annotations

import json

from .test_apigateway_kit import RestKit, body_json


def _echo_route(eng, name: str) -> None:
    eng.register_function(
        name,
        lambda event, ctx: {
            "statusCode": 200,
            "body": json.dumps({"fn": name, "params": event["pathParameters"]}),
        },
    )


async def _api(eng) -> RestKit:
    for name in ("literal", "variable", "greedy", "any"):
        _echo_route(eng, name)
    kit = await RestKit(eng).create()
    await kit.proxy("/items/special", "literal")
    await kit.proxy("/items/{id}", "variable")
    await kit.proxy("/files/{proxy+}", "greedy")
    await kit.proxy("/things", "any", http_method="ANY")
    await kit.deploy()
    return kit


async def test_literal_path_beats_variable(eng):
    kit = await _api(eng)
    assert body_json(await kit.call("GET", "/items/special"))["fn"] == "literal"


async def test_variable_path_captures_segment(eng):
    kit = await _api(eng)
    answer = body_json(await kit.call("GET", "/items/42"))
    assert answer == {"fn": "variable", "params": {"id": "42"}}


async def test_greedy_path_captures_the_rest(eng):
    kit = await _api(eng)
    answer = body_json(await kit.call("GET", "/files/a/b/c.txt"))
    assert answer == {"fn": "greedy", "params": {"proxy": "a/b/c.txt"}}


async def test_any_method_matches_delete(eng):
    kit = await _api(eng)
    assert body_json(await kit.call("DELETE", "/things"))["fn"] == "any"


async def test_unknown_path_is_missing_authentication_token(eng):
    kit = await _api(eng)
    response = await kit.call("GET", "/nowhere")
    assert response.status == 403
    assert body_json(response) == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


async def test_method_not_defined_is_missing_authentication_token(eng):
    kit = await _api(eng)
    assert (await kit.call("POST", "/items/42")).status == 403


async def test_unknown_stage_is_missing_authentication_token(eng):
    kit = await _api(eng)
    response = await kit.call("GET", "/items/42", stage="beta")
    assert response.status == 403
    assert body_json(response)["message"] == "Missing Authentication Token"


async def test_changes_are_live_only_after_redeploy(eng):
    kit = await _api(eng)
    await kit.mock("/new")
    assert (await kit.call("GET", "/new")).status == 403
    await kit.deploy()
    assert (await kit.call("GET", "/new")).status == 200


async def test_canary_takes_its_share_of_traffic(eng):
    kit = await RestKit(eng).create()
    await kit.mock("/v", responses={"200": {"responseTemplates": {"application/json": '"old"'}}})
    await kit.deploy()
    await kit.gw.put_integration_response(
        restApiId=kit.api_id,
        resourceId=kit.resources["/v"],
        httpMethod="GET",
        statusCode="200",
        responseTemplates={"application/json": '"new"'},
    )
    canary = await kit.gw.create_deployment(
        restApiId=kit.api_id, stageName="prod", canarySettings={"percentTraffic": 30.0}
    )
    stage = await kit.gw.get_stage(restApiId=kit.api_id, stageName="prod")
    assert stage["canarySettings"]["deploymentId"] == canary["id"]
    bodies = [(await kit.call("GET", "/v")).body for _ in range(400)]
    share = bodies.count(b'"new"') / len(bodies)
    assert 0.2 < share < 0.4
