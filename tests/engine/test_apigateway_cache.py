"""REST API stage caching and request validation (JSON Schema draft 4 models)."""

from __future__ import annotations

import json

from .test_apigateway_kit import RestKit, body_json


async def _cached(eng, ttl: int = 60, key_params: list[str] | None = None) -> tuple[RestKit, list]:
    calls: list = []

    def handler(event, ctx):
        calls.append(event)
        return {"statusCode": 200, "body": str(len(calls))}

    eng.register_function("count", handler)
    kit = await RestKit(eng).create()
    resource_id = await kit.proxy(
        "/c",
        "count",
        **({"requestParameters": {p: False for p in key_params}} if key_params else {}),
    )
    if key_params:
        await kit.gw.update_integration(
            restApiId=kit.api_id,
            resourceId=resource_id,
            httpMethod="GET",
            patchOperations=[
                {"op": "add", "path": "/cacheKeyParameters/" + p, "value": p} for p in key_params
            ],
        )
    await kit.deploy(cacheClusterEnabled=True, cacheClusterSize="0.5")
    await kit.gw.update_stage(
        restApiId=kit.api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
            {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": str(ttl)},
        ],
    )
    return kit, calls


async def test_second_request_is_served_from_cache(eng):
    kit, calls = await _cached(eng)
    first = await kit.call("GET", "/c")
    second = await kit.call("GET", "/c")
    assert first.body == second.body == b"1"
    assert len(calls) == 1


async def test_cache_entry_expires_after_ttl(eng, clock):
    kit, calls = await _cached(eng, ttl=30)
    await kit.call("GET", "/c")
    await clock.advance(31)
    assert (await kit.call("GET", "/c")).body == b"2"


async def test_max_age_zero_refreshes_when_authorized(eng):
    kit, calls = await _cached(eng)
    await kit.call("GET", "/c")
    refreshed = await kit.call(
        "GET", "/c", headers={"Cache-Control": "max-age=0", "Authorization": "AWS4-HMAC-SHA256 x"}
    )
    assert refreshed.body == b"2"


async def test_max_age_zero_ignored_without_authorization(eng):
    kit, calls = await _cached(eng)
    await kit.call("GET", "/c")
    assert (await kit.call("GET", "/c", headers={"Cache-Control": "max-age=0"})).body == b"1"


async def test_cache_key_parameters_separate_entries(eng):
    kit, calls = await _cached(eng, key_params=["method.request.querystring.type"])
    await kit.call("GET", "/c", query="type=a")
    assert (await kit.call("GET", "/c", query="type=b")).body == b"2"
    assert (await kit.call("GET", "/c", query="type=a")).body == b"1"


async def test_cache_hit_shows_in_trace(eng):
    kit, _ = await _cached(eng)
    seen = eng.trace.record()
    await kit.call("GET", "/c")
    await kit.call("GET", "/c")
    kinds = [e.kind for e in seen.events]
    assert kinds.count("cache-miss") == 1
    assert kinds.count("cache-hit") == 1


async def _validated(eng) -> RestKit:
    eng.register_function("ok", lambda event, ctx: {"statusCode": 200, "body": "ok"})
    kit = await RestKit(eng).create()
    await kit.gw.create_model(
        restApiId=kit.api_id,
        name="Order",
        contentType="application/json",
        schema=json.dumps(
            {
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
                "required": ["qty"],
                "properties": {"qty": {"type": "integer", "minimum": 1}},
            }
        ),
    )
    validator = await kit.gw.create_request_validator(
        restApiId=kit.api_id, name="all", validateRequestBody=True, validateRequestParameters=True
    )
    await kit.proxy(
        "/orders",
        "ok",
        http_method="POST",
        requestValidatorId=validator["id"],
        requestModels={"application/json": "Order"},
        requestParameters={"method.request.header.X-Shop": True},
    )
    await kit.deploy()
    return kit


async def test_valid_body_passes_validation(eng):
    kit = await _validated(eng)
    response = await kit.call(
        "POST",
        "/orders",
        headers={"X-Shop": "1", "Content-Type": "application/json"},
        body='{"qty": 2}',
    )
    assert response.status == 200


async def test_invalid_body_is_400_with_reason(eng):
    kit = await _validated(eng)
    response = await kit.call(
        "POST",
        "/orders",
        headers={"X-Shop": "1", "Content-Type": "application/json"},
        body='{"qty": 0}',
    )
    assert response.status == 400
    assert body_json(response)["message"].startswith("Invalid request body")
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"


async def test_missing_required_header_is_400(eng):
    kit = await _validated(eng)
    response = await kit.call(
        "POST", "/orders", headers={"Content-Type": "application/json"}, body='{"qty": 2}'
    )
    assert response.status == 400
    assert body_json(response) == {"message": "Missing required request parameters: [X-Shop]"}
