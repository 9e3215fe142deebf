"""Outbound requests the lab makes for a caller reach loopback only, unless the user allows a host."""

from __future__ import annotations

import pytest

from engine import Engine, VirtualClock
from engine.outbound import OutboundRefused

pytestmark = pytest.mark.timeout(30)

ROLE = "arn:aws:iam::123456789012:role/firehose"


def test_policy_allows_loopback_and_listed_hosts(eng: Engine) -> None:
    policy = eng.outbound
    assert policy.permits("127.0.0.1") and policy.permits("localhost") and policy.permits("::1")
    assert policy.permits("api.localhost")
    assert not policy.permits("example.com")
    policy.allow("*.example.com")
    assert policy.permits("hooks.example.com") and not policy.permits("example.org")
    assert policy.deny("*.example.com") and not policy.permits("hooks.example.com")


async def test_refusal_is_one_line_naming_the_setting_and_traced(eng: Engine) -> None:
    with eng.trace.subscribe() as events:
        with pytest.raises(OutboundRefused) as refused:
            eng.outbound.check("https://hooks.example.com/x", "sns")
        kinds = [e.kind for e in events.drain()]
    assert "--allow-outbound hooks.example.com" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert kinds == ["outbound-refused"]


async def test_sns_http_subscription_to_the_internet_is_refused(
    eng: Engine, clock: VirtualClock
) -> None:
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name="t"))["TopicArn"]
    with eng.trace.subscribe() as events:
        await sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://evil.example/h")
        await clock.advance(1)
        refused = [e for e in events.drain() if e.kind == "outbound-refused"]
    assert refused and refused[0].detail["host"] == "evil.example"


async def test_api_gateway_http_integration_to_the_internet_is_refused(
    eng: Engine, clock: VirtualClock
) -> None:
    from engine.http import HttpRequest

    v2 = eng.client("apigatewayv2")
    api = await v2.create_api(Name="p", ProtocolType="HTTP")
    integration = await v2.create_integration(
        ApiId=api["ApiId"],
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="GET",
        IntegrationUri="http://metadata.example/latest",
        PayloadFormatVersion="1.0",
    )
    await v2.create_route(
        ApiId=api["ApiId"], RouteKey="GET /x", Target=f"integrations/{integration['IntegrationId']}"
    )
    await v2.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    with eng.trace.subscribe() as events:
        answer = await eng.service("apigatewayv2").invoke(
            api["ApiId"], "$default", HttpRequest.build("GET", "/x")
        )
        kinds = [e.kind for e in events.drain()]
    assert answer.status >= 500
    assert "outbound-refused" in kinds


async def test_firehose_http_endpoint_on_the_internet_fails_with_the_reason(
    eng: Engine, clock: VirtualClock
) -> None:
    await eng.client("s3").create_bucket(Bucket="lake")
    firehose = eng.client("firehose")
    await firehose.create_delivery_stream(
        DeliveryStreamName="out",
        HttpEndpointDestinationConfiguration={
            "EndpointConfiguration": {"Url": "https://collector.example/ingest"},
            "BufferingHints": {"IntervalInSeconds": 60},
            "RetryOptions": {"DurationInSeconds": 0},
            "S3Configuration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::lake"},
        },
    )
    with eng.trace.subscribe() as events:
        await firehose.put_record(DeliveryStreamName="out", Record={"Data": b"x"})
        await clock.advance(70)
        kinds = [e.kind for e in events.drain()]
    assert "outbound-refused" in kinds
    assert "delivery-failed" in kinds


async def test_outbound_setting_survives_reset() -> None:
    async with Engine(clock=VirtualClock()) as eng:
        eng.outbound.allow("hooks.example.com")
        await eng.reset()
        assert eng.outbound.permits("hooks.example.com")
