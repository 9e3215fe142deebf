"""REST API throttling, API keys, usage plans and quotas — all on the virtual clock."""

from __future__ import annotations

from .test_apigateway_kit import RestKit, body_json

KEY = "lab-key-0123456789abcdef"


async def _keyed(eng, *, throttle=None, quota=None) -> RestKit:
    kit = await RestKit(eng).create()
    await kit.mock("/k", apiKeyRequired=True)
    await kit.deploy()
    key = await kit.gw.create_api_key(name="learner", value=KEY, enabled=True)
    plan_params = {"name": "basic", "apiStages": [{"apiId": kit.api_id, "stage": "prod"}]}
    if throttle:
        plan_params["throttle"] = throttle
    if quota:
        plan_params["quota"] = quota
    plan = await kit.gw.create_usage_plan(**plan_params)
    await kit.gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    return kit


async def test_missing_api_key_is_forbidden(eng):
    kit = await _keyed(eng)
    response = await kit.call("GET", "/k")
    assert response.status == 403
    assert body_json(response) == {"message": "Forbidden"}


async def test_valid_api_key_passes(eng):
    kit = await _keyed(eng)
    assert (await kit.call("GET", "/k", headers={"x-api-key": KEY})).status == 200


async def test_disabled_key_is_forbidden(eng):
    kit = await _keyed(eng)
    key_id = (await kit.gw.get_api_keys())["items"][0]["id"]
    await kit.gw.update_api_key(
        apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
    )
    assert (await kit.call("GET", "/k", headers={"x-api-key": KEY})).status == 403


async def test_daily_quota_gives_limit_exceeded(eng):
    kit = await _keyed(eng, quota={"limit": 2, "period": "DAY"})
    headers = {"x-api-key": KEY}
    assert [(await kit.call("GET", "/k", headers=headers)).status for _ in range(2)] == [200, 200]
    response = await kit.call("GET", "/k", headers=headers)
    assert response.status == 429
    assert body_json(response) == {"message": "Limit Exceeded"}


async def test_quota_resets_next_day(eng, clock):
    kit = await _keyed(eng, quota={"limit": 1, "period": "DAY"})
    headers = {"x-api-key": KEY}
    await kit.call("GET", "/k", headers=headers)
    assert (await kit.call("GET", "/k", headers=headers)).status == 429
    await clock.advance(86_400)
    assert (await kit.call("GET", "/k", headers=headers)).status == 200


async def test_usage_plan_throttle_refills_on_the_clock(eng, clock):
    kit = await _keyed(eng, throttle={"rateLimit": 1.0, "burstLimit": 2})
    headers = {"x-api-key": KEY}
    statuses = [(await kit.call("GET", "/k", headers=headers)).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    await clock.advance(1)
    assert (await kit.call("GET", "/k", headers=headers)).status == 200


async def test_get_usage_reports_requests(eng):
    kit = await _keyed(eng, quota={"limit": 10, "period": "DAY"})
    await kit.call("GET", "/k", headers={"x-api-key": KEY})
    plan_id = (await kit.gw.get_usage_plans())["items"][0]["id"]
    usage = await kit.gw.get_usage(
        usagePlanId=plan_id, startDate="2026-01-01", endDate="2026-01-01"
    )
    assert sum(day[0] for days in usage["items"].values() for day in days) == 1


async def _throttled_stage(eng, path: str) -> RestKit:
    kit = await RestKit(eng).create()
    await kit.mock("/a")
    await kit.mock("/b")
    await kit.deploy()
    await kit.gw.update_stage(
        restApiId=kit.api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": f"{path}/throttling/rateLimit", "value": "1"},
            {"op": "replace", "path": f"{path}/throttling/burstLimit", "value": "1"},
        ],
    )
    return kit


async def test_stage_throttle_gives_too_many_requests(eng):
    kit = await _throttled_stage(eng, "/*/*")
    assert (await kit.call("GET", "/a")).status == 200
    response = await kit.call("GET", "/a")
    assert response.status == 429
    assert body_json(response) == {"message": "Too Many Requests"}


async def test_method_throttle_leaves_other_methods_alone(eng):
    kit = await _throttled_stage(eng, "/~1a/GET")
    await kit.call("GET", "/a")
    assert (await kit.call("GET", "/a")).status == 429
    assert (await kit.call("GET", "/b")).status == 200


async def test_throttle_bucket_refills(eng, clock):
    kit = await _throttled_stage(eng, "/*/*")
    await kit.call("GET", "/a")
    await clock.advance(1)
    assert (await kit.call("GET", "/a")).status == 200


async def test_account_burst_of_5000_then_429(eng):
    eng.register_function("fast", lambda event, ctx: {"statusCode": 200})
    kit = await RestKit(eng).create()
    await kit.proxy("/a", "fast")
    await kit.deploy()
    statuses = [(await kit.call("GET", "/a")).status for _ in range(5001)]
    assert statuses[:5000] == [200] * 5000
    assert statuses[5000] == 429
