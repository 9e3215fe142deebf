"""API Gateway's Latency metric: each answered request's time on the lab clock, per API."""

from __future__ import annotations

import asyncio

import pytest

from .test_apigateway_kit import RestKit
from .test_apigatewayv2_http import HttpKit

pytestmark = pytest.mark.timeout(60)


def _stat(eng, clock, dims: dict, stat: str, name: str = "Latency"):
    points = eng.service("cloudwatch").statistics(
        "AWS/ApiGateway", name, dims, 0, clock.now() + 60, 60, stat
    )
    return points[-1][1] if points else None


async def test_http_api_latency_counts_each_request_with_its_lab_time(eng, clock) -> None:
    eng.service("cloudwatch")

    async def slow(event, context):
        await eng.clock.sleep(0.25)
        return {"statusCode": 200, "body": "ok"}

    eng.register_function("slow", slow)
    kit = await HttpKit(eng).create()
    await kit.route("GET /slow", "slow")
    await kit.stage()
    calls = [asyncio.ensure_future(kit.call("GET", "/slow")) for _ in range(2)]
    calls.append(asyncio.ensure_future(kit.call("GET", "/missing")))
    await clock.advance(1)
    answers = await asyncio.gather(*calls)
    assert [a.status for a in answers] == [200, 200, 404]
    await clock.advance(60)
    dims = {"ApiId": kit.api_id}
    assert _stat(eng, clock, dims, "SampleCount") == 3
    assert _stat(eng, clock, dims, "Maximum") == 250.0
    assert _stat(eng, clock, dims, "Minimum") == 0.0
    assert _stat(eng, clock, dims, "Sum", "Count") == 3
    await eng.client("apigatewayv2").delete_api(ApiId=kit.api_id)
    assert kit.api_id not in eng.service("apigatewayv2").pipeline.latencies


async def test_rest_api_latency_by_api_name(eng, clock) -> None:
    eng.service("cloudwatch")
    kit = await RestKit(eng).create(name="shop")
    await kit.mock("/ping")
    await kit.deploy()
    assert (await kit.call("GET", "/ping")).status == 200
    assert (await kit.call("GET", "/nowhere")).status == 403
    await clock.advance(60)
    dims = {"ApiName": "shop"}
    assert _stat(eng, clock, dims, "SampleCount") == 2
    assert _stat(eng, clock, dims, "Sum", "Count") == 2
    assert _stat(eng, clock, dims, "Sum", "4XXError") == 1
