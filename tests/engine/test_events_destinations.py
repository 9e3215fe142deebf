"""EventBridge connections and API destinations, answered by lab HTTP endpoints."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine import Engine, ServiceError, VirtualClock


async def _destination(eng: Engine) -> str:
    events = eng.client("events")
    connection = await events.create_connection(
        Name="conn",
        AuthorizationType="API_KEY",
        AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"}
        },
    )
    created = await events.create_api_destination(
        Name="hook",
        ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint="https://hooks.example.com/orders/*",
        HttpMethod="POST",
    )
    return created["ApiDestinationArn"]


async def _rule_to(eng: Engine, arn: str, **target: Any) -> None:
    events = eng.client("events")
    await events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
    await events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": arn, **target}])


async def _put(eng: Engine) -> None:
    await eng.client("events").put_events(
        Entries=[{"Source": "shop", "DetailType": "Order", "Detail": '{"n": 1}'}]
    )


async def test_describe_connection_hides_the_secret(eng: Engine) -> None:
    await _destination(eng)
    described = await eng.client("events").describe_connection(Name="conn")
    assert described["AuthParameters"] == {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key"}}
    assert described["ConnectionState"] == "AUTHORIZED"


async def test_matched_event_is_posted_with_auth_and_path(eng: Engine, clock: VirtualClock) -> None:
    arn = await _destination(eng)
    seen = []
    eng.service("events").http.register(
        "https://hooks.example.com/", lambda r: seen.append(r) or 200
    )
    await _rule_to(eng, arn, HttpParameters={"PathParameterValues": ["42"]})
    await _put(eng)
    await clock.advance(1)
    (request,) = seen
    assert request.url == "https://hooks.example.com/orders/42"
    assert request.headers["x-api-key"] == "s3cret"
    assert json.loads(request.body)["detail"] == {"n": 1}


async def test_client_error_is_dead_lettered_without_retries(
    eng: Engine, clock: VirtualClock
) -> None:
    arn = await _destination(eng)
    calls = []
    eng.service("events").http.register(
        "https://hooks.example.com/", lambda r: calls.append(r) or 404
    )
    sqs = eng.client("sqs")
    dlq = (await sqs.create_queue(QueueName="dlq"))["QueueUrl"]
    await _rule_to(eng, arn, DeadLetterConfig={"Arn": "arn:aws:sqs:us-east-1:123456789012:dlq"})
    await _put(eng)
    await clock.advance(60)
    assert len(calls) == 1
    assert len((await sqs.receive_message(QueueUrl=dlq))["Messages"]) == 1


async def test_server_errors_are_retried(eng: Engine, clock: VirtualClock) -> None:
    arn = await _destination(eng)
    statuses = iter([503, 429, 200])
    eng.service("events").http.register("https://hooks.example.com/", lambda r: next(statuses))
    await _rule_to(eng, arn)
    await _put(eng)
    await clock.advance(60)
    assert len(eng.service("events").http.requests) == 3


async def test_deleted_api_destination_is_not_found(eng: Engine) -> None:
    await _destination(eng)
    events = eng.client("events")
    await events.delete_api_destination(Name="hook")
    with pytest.raises(ServiceError) as caught:
        await events.describe_api_destination(Name="hook")
    assert caught.value.message == (
        "Failed to describe the api-destination(s). An api-destination 'hook' does not exist."
    )


async def test_api_destination_needs_a_connection_arn(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("events").create_api_destination(
            Name="hook", ConnectionArn="nope", InvocationEndpoint="https://x", HttpMethod="POST"
        )
    assert "at 'connectionArn' failed to satisfy constraint" in caught.value.message


async def test_dump_and_load_keep_the_destination_arn(eng: Engine) -> None:
    arn = await _destination(eng)
    saved = eng.service("events").dump()
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.service("events").load(saved)
        described = await fresh.client("events").describe_api_destination(Name="hook")
    assert described["ApiDestinationArn"] == arn
