"""EventBridge Pipes: SQS source → filter → enrichment → target, batching, states, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine import Engine, ServiceError, VirtualClock

ROLE = "arn:aws:iam::123456789012:role/pipe"


async def _queue(eng: Engine, name: str, **attributes: str) -> tuple[str, str]:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    return url, arn


async def _bodies(eng: Engine, url: str) -> list[str]:
    result = await eng.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [m["Body"] for m in result.get("Messages", [])]


async def _pipe(eng: Engine, **params: Any) -> tuple[str, str, str]:
    """A pipe from queue `source` to queue `target`; returns (source url, target url, name)."""
    source_url, source_arn = await _queue(eng, "source")
    target_url, target_arn = await _queue(eng, "target")
    await eng.client("pipes").create_pipe(
        Name="p", Source=source_arn, Target=target_arn, RoleArn=ROLE, **params
    )
    return source_url, target_url, "p"


async def test_create_pipe_reports_creating_then_runs(eng: Engine) -> None:
    _, source = await _queue(eng, "s")
    _, target = await _queue(eng, "t")
    pipes = eng.client("pipes")
    created = await pipes.create_pipe(Name="p", Source=source, Target=target, RoleArn=ROLE)
    assert created["CurrentState"] == "CREATING"
    assert created["Arn"] == "arn:aws:pipes:us-east-1:123456789012:pipe/p"
    assert (await pipes.describe_pipe(Name="p"))["CurrentState"] == "RUNNING"


async def test_messages_flow_from_source_to_target(eng: Engine, clock: VirtualClock) -> None:
    source, target, _ = await _pipe(eng)
    await eng.client("sqs").send_message(QueueUrl=source, MessageBody='{"n": 1}')
    await clock.settle()
    (body,) = await _bodies(eng, target)
    record = json.loads(body)
    assert (record["body"], record["eventSource"]) == ('{"n": 1}', "aws:sqs")
    assert await _bodies(eng, source) == []


async def test_filter_drops_and_deletes_non_matching_messages(
    eng: Engine, clock: VirtualClock
) -> None:
    pattern = json.dumps({"body": {"kind": ["order"]}})
    source, target, _ = await _pipe(
        eng, SourceParameters={"FilterCriteria": {"Filters": [{"Pattern": pattern}]}}
    )
    sqs = eng.client("sqs")
    await sqs.send_message(QueueUrl=source, MessageBody='{"kind": "order"}')
    await sqs.send_message(QueueUrl=source, MessageBody='{"kind": "refund"}')
    await clock.settle()
    bodies = [json.loads(b)["body"] for b in await _bodies(eng, target)]
    assert bodies == ['{"kind": "order"}']
    attributes = await sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0"


async def test_invalid_filter_pattern_is_rejected(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await _pipe(eng, SourceParameters={"FilterCriteria": {"Filters": [{"Pattern": "{bad"}]}})
    assert caught.value.code == "ValidationException"
    assert (await eng.client("pipes").list_pipes())["Pipes"] == []


async def test_lambda_enrichment_replaces_the_events(eng: Engine, clock: VirtualClock) -> None:
    def enrich(events: list, context: object) -> list:
        return [{"id": e["messageId"], "upper": e["body"].upper()} for e in events]

    function = eng.register_function("enrich", enrich)
    source, target, _ = await _pipe(eng, Enrichment=function)
    await eng.client("sqs").send_message(QueueUrl=source, MessageBody="hello")
    await clock.settle()
    (body,) = await _bodies(eng, target)
    assert json.loads(body)["upper"] == "HELLO"


async def test_api_destination_enrichment_replaces_the_events(
    eng: Engine, clock: VirtualClock
) -> None:
    events = eng.client("events")
    connection = await events.create_connection(
        Name="conn",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k"}},
    )
    destination = await events.create_api_destination(
        Name="enricher",
        ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint="https://enrich.example.com/*",
        HttpMethod="POST",
    )
    calls: list[Any] = []

    def answer(request: Any) -> tuple[int, list]:
        calls.append(request)
        batch = json.loads(request.body)
        return 200, [{"customer": "ada", "body": e["body"]} for e in batch]

    eng.service("events").http.register("https://enrich.example.com/", answer)
    source, target, _ = await _pipe(
        eng,
        Enrichment=destination["ApiDestinationArn"],
        EnrichmentParameters={"HttpParameters": {"PathParameterValues": ["orders"]}},
    )
    await eng.client("sqs").send_message(QueueUrl=source, MessageBody="hello")
    await clock.settle()
    (body,) = await _bodies(eng, target)
    assert json.loads(body) == {"customer": "ada", "body": "hello"}
    assert calls[0].url == "https://enrich.example.com/orders"
    assert calls[0].headers["x-api-key"] == "k"


async def test_an_event_bus_is_not_an_enrichment(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await _pipe(eng, Enrichment="arn:aws:events:us-east-1:123456789012:event-bus/default")
    assert caught.value.code == "ValidationException"


async def test_lambda_target_receives_the_batch(eng: Engine, clock: VirtualClock) -> None:
    batches: list[list] = []
    function = eng.register_function("sink", lambda events, context: batches.append(events))
    source_url, source_arn = await _queue(eng, "source")
    await eng.client("pipes").create_pipe(
        Name="p",
        Source=source_arn,
        Target=function,
        RoleArn=ROLE,
        SourceParameters={
            "SqsQueueParameters": {"BatchSize": 5, "MaximumBatchingWindowInSeconds": 10}
        },
    )
    sqs = eng.client("sqs")
    for n in range(3):
        await sqs.send_message(QueueUrl=source_url, MessageBody=str(n))
    await clock.settle()
    assert batches == []  # waiting up to the batching window for a fuller batch
    await clock.advance(10)
    assert [[e["body"] for e in batch] for batch in batches] == [["0", "1", "2"]]


async def test_failed_target_leaves_messages_for_the_queue_to_retry(
    eng: Engine, clock: VirtualClock
) -> None:
    def broken(events: list, context: object) -> None:
        raise RuntimeError("boom")

    function = eng.register_function("broken", broken)
    source_url, source_arn = await _queue(eng, "source", VisibilityTimeout="30")
    await eng.client("pipes").create_pipe(
        Name="p", Source=source_arn, Target=function, RoleArn=ROLE
    )
    await eng.client("sqs").send_message(QueueUrl=source_url, MessageBody="x")
    await clock.settle()
    assert (await eng.client("pipes").describe_pipe(Name="p"))["CurrentState"] == "RUNNING"
    (node,) = [n for n in eng.topology().nodes if n.kind == "pipe"]
    assert (node.counters["received"], node.counters["errors"]) == (1, 1)
    await clock.advance(31)  # the visibility timeout ends: the message is polled again
    (node,) = [n for n in eng.topology().nodes if n.kind == "pipe"]
    assert (node.counters["received"], node.counters["errors"]) == (2, 2)


async def test_stopped_pipe_does_not_read(eng: Engine, clock: VirtualClock) -> None:
    source, target, name = await _pipe(eng)
    pipes = eng.client("pipes")
    stopped = await pipes.stop_pipe(Name=name)
    assert stopped["CurrentState"] == "STOPPING"
    await eng.client("sqs").send_message(QueueUrl=source, MessageBody="wait")
    await clock.settle()
    assert await _bodies(eng, target) == []
    await pipes.start_pipe(Name=name)
    await clock.settle()
    assert len(await _bodies(eng, target)) == 1


async def test_describe_missing_pipe_is_not_found(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("pipes").describe_pipe(Name="none")
    assert (caught.value.code, caught.value.status_code) == ("NotFoundException", 404)


async def test_duplicate_pipe_name_conflicts(eng: Engine) -> None:
    _, source = await _queue(eng, "s")
    _, target = await _queue(eng, "t")
    pipes = eng.client("pipes")
    await pipes.create_pipe(Name="p", Source=source, Target=target, RoleArn=ROLE)
    with pytest.raises(ServiceError) as caught:
        await pipes.create_pipe(Name="p", Source=source, Target=target, RoleArn=ROLE)
    assert (caught.value.code, caught.value.status_code) == ("ConflictException", 409)


async def test_missing_target_is_rejected(eng: Engine) -> None:
    _, source = await _queue(eng, "s")
    with pytest.raises(ServiceError) as caught:
        await eng.client("pipes").create_pipe(
            Name="p", Source=source, Target="arn:aws:sqs:us-east-1:123456789012:none", RoleArn=ROLE
        )
    assert caught.value.message == "Target arn:aws:sqs:us-east-1:123456789012:none does not exist."


async def test_bad_pipe_name_is_rejected(eng: Engine) -> None:
    _, source = await _queue(eng, "s")
    with pytest.raises(ServiceError) as caught:
        await eng.client("pipes").create_pipe(
            Name="bad name", Source=source, Target=source, RoleArn=ROLE
        )
    assert caught.value.code == "ValidationException"


async def test_list_pipes_filters_and_pages(eng: Engine) -> None:
    _, source = await _queue(eng, "s")
    _, target = await _queue(eng, "t")
    pipes = eng.client("pipes")
    for n in range(3):
        await pipes.create_pipe(Name=f"orders-{n}", Source=source, Target=target, RoleArn=ROLE)
    await pipes.create_pipe(Name="other", Source=source, Target=target, RoleArn=ROLE)
    first = await pipes.list_pipes(NamePrefix="orders", Limit=2)
    second = await pipes.list_pipes(NamePrefix="orders", Limit=2, NextToken=first["NextToken"])
    assert [p["Name"] for p in first["Pipes"] + second["Pipes"]] == [
        "orders-0",
        "orders-1",
        "orders-2",
    ]


async def test_update_pipe_changes_the_target(eng: Engine, clock: VirtualClock) -> None:
    source, _, name = await _pipe(eng)
    other_url, other_arn = await _queue(eng, "other")
    await eng.client("pipes").update_pipe(Name=name, RoleArn=ROLE, Target=other_arn)
    await eng.client("sqs").send_message(QueueUrl=source, MessageBody="x")
    await clock.settle()
    assert len(await _bodies(eng, other_url)) == 1


async def test_delete_pipe_stops_it(eng: Engine, clock: VirtualClock) -> None:
    source, target, name = await _pipe(eng)
    deleted = await eng.client("pipes").delete_pipe(Name=name)
    assert deleted["CurrentState"] == "DELETING"
    await eng.client("sqs").send_message(QueueUrl=source, MessageBody="x")
    await clock.settle()
    assert await _bodies(eng, target) == []


async def test_tags_on_a_pipe(eng: Engine) -> None:
    await _pipe(eng, Tags={"team": "a"})
    pipes = eng.client("pipes")
    arn = (await pipes.describe_pipe(Name="p"))["Arn"]
    await pipes.tag_resource(resourceArn=arn, tags={"env": "lab"})
    await pipes.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert (await pipes.list_tags_for_resource(resourceArn=arn))["tags"] == {"env": "lab"}


async def test_topology_draws_source_pipe_and_target(eng: Engine) -> None:
    await _pipe(eng)
    edges = [(e.label, e.kind) for e in eng.topology().edges if e.kind == "pipe"]
    assert edges == [("source", "pipe"), ("target", "pipe")]


async def test_input_template_reshapes_each_event(eng: Engine, clock: VirtualClock) -> None:
    template = '{"order": <$.body.id>, "note": "from <aws.pipes.pipe-name>: <$.body.kind>"}'
    source, target, _ = await _pipe(eng, TargetParameters={"InputTemplate": template})
    await eng.client("sqs").send_message(QueueUrl=source, MessageBody='{"id": 7, "kind": "new"}')
    await clock.settle()
    (body,) = await _bodies(eng, target)
    assert json.loads(body) == {"order": 7, "note": "from p: new"}


async def test_input_template_text_result_is_sent_as_text(eng: Engine, clock: VirtualClock) -> None:
    source, target, _ = await _pipe(eng, TargetParameters={"InputTemplate": "id <$.messageId>"})
    message_id = (await eng.client("sqs").send_message(QueueUrl=source, MessageBody="x"))[
        "MessageId"
    ]
    await clock.settle()
    assert await _bodies(eng, target) == [f"id {message_id}"]


async def test_saved_pipe_runs_again_after_loading(eng: Engine, clock: VirtualClock) -> None:
    await _pipe(eng)
    saved = {name: eng.service(name).dump() for name in ("pipes", "sqs")}
    async with Engine(clock=clock) as other:
        other.service("pipes").load(saved["pipes"])  # before its queues exist
        other.service("sqs").load(saved["sqs"])
        await clock.advance(10)  # the pipe finds its source on its next try
        source = (await other.client("sqs").get_queue_url(QueueName="source"))["QueueUrl"]
        target = (await other.client("sqs").get_queue_url(QueueName="target"))["QueueUrl"]
        await other.client("sqs").send_message(QueueUrl=source, MessageBody="again")
        await clock.settle()
        assert len(await _bodies(other, target)) == 1
