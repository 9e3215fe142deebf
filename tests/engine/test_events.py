"""EventBridge: buses, PutEvents, rules, targets, input shaping, retries and dead-letter queues."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine import Engine, ServiceError, VirtualClock
from engine.errors import ServiceError as FabricError


async def _queue(eng: Engine, name: str, **attributes: str) -> tuple[str, str]:
    sqs = eng.client("sqs")
    params: dict[str, Any] = {"QueueName": name}
    if attributes:
        params["Attributes"] = attributes
    url = (await sqs.create_queue(**params))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    return url, arn


async def _bodies(eng: Engine, url: str) -> list[str]:
    result = await eng.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return [m["Body"] for m in result.get("Messages", [])]


def _entry(detail: dict | None = None, **fields: Any) -> dict[str, Any]:
    entry = {"Source": "shop", "DetailType": "Order", "Detail": json.dumps(detail or {"n": 1})}
    entry.update(fields)
    return entry


async def _rule_to(eng: Engine, arn: str, pattern: dict | None = None, **target: Any) -> None:
    events = eng.client("events")
    await events.put_rule(Name="r", EventPattern=json.dumps(pattern or {"source": ["shop"]}))
    await events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": arn, **target}])


async def test_matched_event_reaches_the_queue_in_aws_form(
    eng: Engine, clock: VirtualClock
) -> None:
    url, arn = await _queue(eng, "q")
    await _rule_to(eng, arn)
    result = await eng.client("events").put_events(Entries=[_entry({"n": 1})])
    await clock.advance(1)
    (body,) = await _bodies(eng, url)
    event = json.loads(body)
    assert event["id"] == result["Entries"][0]["EventId"]
    assert event["detail"] == {"n": 1}
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }


async def test_unmatched_event_is_not_delivered(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng, "q")
    await _rule_to(eng, arn, {"source": ["other"]})
    await eng.client("events").put_events(Entries=[_entry()])
    await clock.advance(1)
    assert await _bodies(eng, url) == []


async def test_bad_entries_fail_alone(eng: Engine) -> None:
    result = await eng.client("events").put_events(
        Entries=[_entry(), {"Source": "shop", "DetailType": "x"}, _entry(Detail='"text"')]
    )
    assert result["FailedEntryCount"] == 2
    assert "EventId" in result["Entries"][0]
    assert result["Entries"][1]["ErrorCode"] == "InvalidArgument"
    assert result["Entries"][2] == {
        "ErrorCode": "MalformedDetail",
        "ErrorMessage": "Detail is malformed.",
    }


async def test_put_events_to_a_missing_bus_is_refused(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("events").put_events(Entries=[_entry(EventBusName="nope")])
    assert caught.value.code == "ResourceNotFoundException"
    assert caught.value.message == "Event bus nope does not exist."


async def test_request_over_256_kb_is_refused(eng: Engine) -> None:
    big = _entry({"blob": "x" * 200_000})
    with pytest.raises(ServiceError) as caught:
        await eng.client("events").put_events(Entries=[big, big])
    assert caught.value.message == "Total size of the entries in the request is over the limit."


async def test_disabled_rule_delivers_nothing(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng, "q")
    await _rule_to(eng, arn)
    await eng.client("events").disable_rule(Name="r")
    await eng.client("events").put_events(Entries=[_entry()])
    await clock.advance(1)
    assert await _bodies(eng, url) == []


async def test_string_template_prints_objects_without_quotes(
    eng: Engine, clock: VirtualClock
) -> None:
    url, arn = await _queue(eng, "q")
    transformer = {
        "InputPathsMap": {"p": "$.detail.payload", "c": "$.detail.command"},
        "InputTemplate": '"Run <c> with <p>"',
    }
    await _rule_to(eng, arn, InputTransformer=transformer)
    await eng.client("events").put_events(
        Entries=[_entry({"command": "go", "payload": {"a": "b"}})]
    )
    await clock.advance(1)
    assert await _bodies(eng, url) == ['"Run go with {a:b}"']


async def test_json_template_inserts_values_as_json(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng, "q")
    transformer = {
        "InputPathsMap": {"p": "$.detail.payload", "missing": "$.detail.nothing"},
        "InputTemplate": '{"body": <p>, "gone": "<missing>", "rule": "<aws.events.rule-name>"}',
    }
    await _rule_to(eng, arn, InputTransformer=transformer)
    await eng.client("events").put_events(Entries=[_entry({"payload": {"a": [1, 2]}})])
    await clock.advance(1)
    (body,) = await _bodies(eng, url)
    assert json.loads(body) == {"body": {"a": [1, 2]}, "gone": "", "rule": "r"}


async def test_unknown_placeholder_is_refused_at_put_targets(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await _rule_to(
            eng, "arn:aws:sqs:us-east-1:123456789012:q", InputTransformer={"InputTemplate": '"<x>"'}
        )
    assert caught.value.message == "InputTemplate for target t contains invalid placeholder x."


async def test_two_input_kinds_are_refused(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await _rule_to(
            eng, "arn:aws:sqs:us-east-1:123456789012:q", Input="{}", InputPath="$.detail"
        )
    assert caught.value.message.startswith("Only one of Input, InputPath, or InputTransformer")


async def test_input_path_selects_part_of_the_event(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng, "q")
    await _rule_to(eng, arn, InputPath="$.detail.payload.id")
    await eng.client("events").put_events(Entries=[_entry({"payload": {"id": "baz"}})])
    await clock.advance(1)
    assert await _bodies(eng, url) == ['"baz"']


async def test_fifo_queue_target_gets_the_group_id(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng, "q.fifo", FifoQueue="true")
    await _rule_to(eng, arn, SqsParameters={"MessageGroupId": "g1"})
    await eng.client("events").put_events(Entries=[_entry()])
    await clock.advance(1)
    result = await eng.client("sqs").receive_message(
        QueueUrl=url, MessageSystemAttributeNames=["MessageGroupId"]
    )
    assert result["Messages"][0]["Attributes"]["MessageGroupId"] == "g1"


async def test_rate_schedule_fires_on_the_clock(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng, "q")
    events = eng.client("events")
    await events.put_rule(Name="tick", ScheduleExpression="rate(5 minutes)")
    await events.put_targets(Rule="tick", Targets=[{"Id": "t", "Arn": arn}])
    await clock.advance(299)
    assert await _bodies(eng, url) == []
    await clock.advance(1)
    (body,) = await _bodies(eng, url)
    assert json.loads(body)["detail-type"] == "Scheduled Event"


async def test_cron_schedule_fires_at_its_minute(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng, "q")
    events = eng.client("events")
    await events.put_rule(Name="noon", ScheduleExpression="cron(0 12 * * ? *)")
    await events.put_targets(Rule="noon", Targets=[{"Id": "t", "Arn": arn}])
    await clock.advance(12 * 3600)
    (body,) = await _bodies(eng, url)
    assert json.loads(body)["time"] == "2026-01-01T12:00:00Z"


@pytest.mark.parametrize(
    "expression", ["cron(0 1 * * * *)", "rate(1 minutes)", "cron(71 8 1 * ? *)"]
)
async def test_invalid_schedules_are_refused(eng: Engine, expression: str) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("events").put_rule(Name="r", ScheduleExpression=expression)
    assert caught.value.message == "Parameter ScheduleExpression is not valid."


async def test_schedule_on_a_custom_bus_is_refused(eng: Engine) -> None:
    events = eng.client("events")
    await events.create_event_bus(Name="custom")
    with pytest.raises(ServiceError) as caught:
        await events.put_rule(Name="r", EventBusName="custom", ScheduleExpression="rate(1 minute)")
    assert caught.value.message == "ScheduleExpression is supported only on the default event bus."


async def test_missing_target_goes_to_the_dead_letter_queue(
    eng: Engine, clock: VirtualClock
) -> None:
    dlq_url, dlq_arn = await _queue(eng, "dlq")
    await _rule_to(
        eng, "arn:aws:sqs:us-east-1:123456789012:gone", DeadLetterConfig={"Arn": dlq_arn}
    )
    await eng.client("events").put_events(Entries=[_entry()])
    await clock.advance(1)
    result = await eng.client("sqs").receive_message(
        QueueUrl=dlq_url, MessageAttributeNames=["All"]
    )
    attributes = result["Messages"][0]["MessageAttributes"]
    assert attributes["ERROR_CODE"]["StringValue"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert attributes["RETRY_ATTEMPTS"]["StringValue"] == "0"


def _flaky_fabric(eng: Engine, failures: int) -> list[float]:
    """Make the next `failures` deliveries throttle; returns the times of every attempt."""
    attempts: list[float] = []
    real = eng.fabric.deliver

    async def deliver(arn: str, envelope: Any) -> Any:
        attempts.append(eng.clock.now())
        if len(attempts) <= failures:
            raise FabricError("ThrottlingException", "Rate exceeded")
        return await real(arn, envelope)

    eng.fabric.deliver = deliver  # type: ignore[method-assign]
    return attempts


async def test_retriable_failure_is_retried_with_growing_delays(
    eng: Engine, clock: VirtualClock
) -> None:
    url, arn = await _queue(eng, "q")
    await _rule_to(eng, arn)
    attempts = _flaky_fabric(eng, 3)
    await eng.client("events").put_events(Entries=[_entry()])
    await clock.advance(60)
    assert len(attempts) == 4
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] < gaps[2]
    assert len(await _bodies(eng, url)) == 1


async def test_retry_policy_limits_attempts_then_dead_letters(
    eng: Engine, clock: VirtualClock
) -> None:
    dlq_url, dlq_arn = await _queue(eng, "dlq")
    _, arn = await _queue(eng, "q")
    await _rule_to(
        eng,
        arn,
        RetryPolicy={"MaximumRetryAttempts": 2},
        DeadLetterConfig={"Arn": dlq_arn},
    )
    _flaky_fabric(eng, 3)
    await eng.client("events").put_events(Entries=[_entry()])
    await clock.advance(60)
    result = await eng.client("sqs").receive_message(
        QueueUrl=dlq_url, MessageAttributeNames=["All"]
    )
    attributes = result["Messages"][0]["MessageAttributes"]
    assert attributes["EXHAUSTED_RETRY_CONDITION"]["StringValue"] == "MaximumRetryAttemptsExhausted"
    assert attributes["RETRY_ATTEMPTS"]["StringValue"] == "2"


async def test_rule_can_target_another_bus(eng: Engine, clock: VirtualClock) -> None:
    events = eng.client("events")
    bus_arn = (await events.create_event_bus(Name="inner"))["EventBusArn"]
    url, arn = await _queue(eng, "q")
    await events.put_rule(Name="in", EventBusName="inner", EventPattern='{"source": ["shop"]}')
    await events.put_targets(Rule="in", EventBusName="inner", Targets=[{"Id": "q", "Arn": arn}])
    await _rule_to(eng, bus_arn)
    await events.put_events(Entries=[_entry({"k": "v"})])
    await clock.advance(1)
    (body,) = await _bodies(eng, url)
    assert json.loads(body)["detail"] == {"k": "v"}


async def test_rule_with_targets_cannot_be_deleted(eng: Engine) -> None:
    await _rule_to(eng, "arn:aws:sqs:us-east-1:123456789012:q")
    with pytest.raises(ServiceError) as caught:
        await eng.client("events").delete_rule(Name="r")
    assert caught.value.message == "Rule can't be deleted since it has targets."


async def test_describe_missing_rule_names_the_bus(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("events").describe_rule(Name="nope")
    assert caught.value.message == "Rule nope does not exist on EventBus default."


async def test_rule_names_by_target(eng: Engine) -> None:
    await _rule_to(eng, "arn:aws:sqs:us-east-1:123456789012:q")
    result = await eng.client("events").list_rule_names_by_target(
        TargetArn="arn:aws:sqs:us-east-1:123456789012:q"
    )
    assert result["RuleNames"] == ["r"]


async def test_rule_tags_round_trip(eng: Engine) -> None:
    events = eng.client("events")
    arn = (
        await events.put_rule(
            Name="r", EventPattern='{"source": ["a"]}', Tags=[{"Key": "k", "Value": "v"}]
        )
    )["RuleArn"]
    await events.tag_resource(ResourceARN=arn, Tags=[{"Key": "x", "Value": "y"}])
    await events.untag_resource(ResourceARN=arn, TagKeys=["k"])
    assert (await events.list_tags_for_resource(ResourceARN=arn))["Tags"] == [
        {"Key": "x", "Value": "y"}
    ]


async def test_invalid_pattern_in_put_rule_changes_nothing(eng: Engine) -> None:
    events = eng.client("events")
    with pytest.raises(ServiceError) as caught:
        await events.put_rule(Name="r", EventPattern='{"source": "a"}')
    assert caught.value.code == "InvalidEventPatternException"
    assert (await events.list_rules())["Rules"] == []


async def test_test_event_pattern_requires_a_full_event(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("events").test_event_pattern(EventPattern='{"a": [1]}', Event='{"a": 1}')
    assert caught.value.message == "Parameter Event is not valid."


async def test_default_bus_cannot_be_deleted(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("events").delete_event_bus(Name="default")
    assert caught.value.message == "Cannot delete event bus default."


async def test_topology_shows_bus_rule_and_target_edge(eng: Engine) -> None:
    await _rule_to(eng, "arn:aws:sqs:us-east-1:123456789012:q")
    topology = eng.topology()
    rule = topology.node("r")
    assert rule is not None and rule.kind == "rule" and rule.parent.endswith("event-bus/default")
    assert [e.kind for e in topology.neighbours(rule.id)] == ["rule-target"]


async def test_dump_and_load_restore_rules_and_targets(eng: Engine) -> None:
    await _rule_to(eng, "arn:aws:sqs:us-east-1:123456789012:q")
    saved = eng.service("events").dump()
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.service("events").load(saved)
        targets = await fresh.client("events").list_targets_by_rule(Rule="r")
    assert targets["Targets"] == [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}]


async def test_lambda_target_receives_the_event_object(eng: Engine, clock: VirtualClock) -> None:
    received: list[dict] = []
    function_arn = eng.register_function("fn", lambda event, context: received.append(event))
    await _rule_to(eng, function_arn)
    await eng.client("events").put_events(Entries=[_entry({"a": 1})])
    await clock.advance(1)
    assert [event["detail"] for event in received] == [{"a": 1}]


async def test_kinesis_target_uses_the_partition_key_path(eng: Engine, clock: VirtualClock) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="s", ShardCount=1)
    summary = await kinesis.describe_stream_summary(StreamName="s")
    stream_arn = summary["StreamDescriptionSummary"]["StreamARN"]
    await _rule_to(eng, stream_arn, KinesisParameters={"PartitionKeyPath": "$.detail.user"})
    await eng.client("events").put_events(Entries=[_entry({"user": "u-7"})])
    await clock.advance(1)
    iterator = await kinesis.get_shard_iterator(
        StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )
    (record,) = (await kinesis.get_records(ShardIterator=iterator["ShardIterator"]))["Records"]
    assert record["PartitionKey"] == "u-7"


async def test_trace_follows_put_match_and_delivery(eng: Engine, clock: VirtualClock) -> None:
    _, arn = await _queue(eng, "q")
    await _rule_to(eng, arn)
    recorder = eng.trace.record()
    result = await eng.client("events").put_events(Entries=[_entry()])
    await clock.advance(1)
    journey = recorder.journey(result["Entries"][0]["EventId"])
    kinds = [event.kind for event in journey if event.service == "events"]
    assert kinds == ["put", "matched", "delivered"]


async def test_injected_throttling_is_retried(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng, "q")
    await _rule_to(eng, arn)
    eng.faults.configure(arn, throttle=1.0)
    recorder = eng.trace.record()
    await eng.client("events").put_events(Entries=[_entry()])
    await clock.advance(5)
    assert await _bodies(eng, url) == []
    eng.faults.clear()
    await clock.advance(60)
    assert len(await _bodies(eng, url)) == 1
    assert "retried" in [event.kind for event in recorder.events]
