"""Asynchronous invocation: retries on the clock, event age, destinations, DLQ, throttling."""

from __future__ import annotations

import json

from engine import Engine

ACCOUNT = "123456789012"


async def queue(eng: Engine, name: str) -> tuple[str, str]:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    return url, f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


async def bodies(eng: Engine, url: str) -> list[dict]:
    response = await eng.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return [json.loads(m["Body"]) for m in response.get("Messages", [])]


def failing_recorder(eng: Engine, times: list[float], fail: bool = True):
    def handler(event, context):
        times.append(eng.clock.now() - 1_767_225_600.0)
        if fail:
            raise RuntimeError("nope")
        return {"ok": event}

    return handler


async def test_event_invoke_returns_202_and_runs(eng):
    times: list[float] = []
    eng.register_function("f", failing_recorder(eng, times, fail=False))
    response = await eng.client("lambda").invoke(
        FunctionName="f", InvocationType="Event", Payload=b"{}"
    )
    assert response["StatusCode"] == 202
    await eng.clock.settle()
    assert times == [0.0]


async def test_two_retries_after_one_and_two_minutes(eng):
    times: list[float] = []
    eng.register_function("f", failing_recorder(eng, times))
    await eng.client("lambda").invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    await eng.clock.advance(600)
    assert times == [0.0, 60.0, 180.0]


async def test_maximum_retry_attempts_zero(eng):
    times: list[float] = []
    eng.register_function("f", failing_recorder(eng, times))
    await eng.client("lambda").put_function_event_invoke_config(
        FunctionName="f", MaximumRetryAttempts=0
    )
    await eng.client("lambda").invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    await eng.clock.advance(600)
    assert times == [0.0]


async def test_on_failure_destination_gets_record(eng):
    url, arn = await queue(eng, "failures")
    eng.register_function("f", failing_recorder(eng, []))
    client = eng.client("lambda")
    await client.put_function_event_invoke_config(
        FunctionName="f",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    await client.invoke(FunctionName="f", InvocationType="Event", Payload=b'{"order": 7}')
    await eng.clock.advance(120)
    [record] = await bodies(eng, url)
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["functionArn"].endswith(":function:f:$LATEST")
    assert record["requestPayload"] == {"order": 7}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "RuntimeError"


async def test_on_success_destination_gets_response(eng):
    url, arn = await queue(eng, "done")
    eng.register_function("f", failing_recorder(eng, [], fail=False))
    client = eng.client("lambda")
    await client.put_function_event_invoke_config(
        FunctionName="f", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    await client.invoke(FunctionName="f", InvocationType="Event", Payload=b'{"n": 1}')
    await eng.clock.settle()
    [record] = await bodies(eng, url)
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"] == {"ok": {"n": 1}}


async def test_event_age_exceeded(eng):
    url, arn = await queue(eng, "aged")
    times: list[float] = []
    eng.register_function("f", failing_recorder(eng, times))
    client = eng.client("lambda")
    await client.put_function_event_invoke_config(
        FunctionName="f",
        MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    await client.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    await eng.clock.advance(600)
    assert times == [0.0, 60.0]
    [record] = await bodies(eng, url)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"


async def test_dead_letter_queue_gets_original_event(eng):
    url, arn = await queue(eng, "dlq")
    eng.register_function("f", failing_recorder(eng, []), DeadLetterConfig={"TargetArn": arn})
    await eng.client("lambda").invoke(
        FunctionName="f", InvocationType="Event", Payload=b'{"id": 3}'
    )
    await eng.clock.advance(600)
    response = await eng.client("sqs").receive_message(QueueUrl=url, MessageAttributeNames=["All"])
    [message] = response["Messages"]
    assert json.loads(message["Body"]) == {"id": 3}
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "nope"
    assert message["MessageAttributes"]["ErrorCode"]["StringValue"] == "200"


async def test_throttled_event_is_retried_until_concurrency_frees(eng):
    times: list[float] = []
    eng.register_function("f", failing_recorder(eng, times, fail=False))
    client = eng.client("lambda")
    await client.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0)
    await client.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    await eng.clock.advance(10)
    assert times == []
    await client.delete_function_concurrency(FunctionName="f")
    await eng.clock.advance(20)
    assert len(times) == 1 and times[0] > 10


async def test_lambda_destination_invokes_function(eng):
    received: list[dict] = []
    eng.register_function("next", lambda event, context: received.append(event))
    eng.register_function("first", failing_recorder(eng, [], fail=False))
    client = eng.client("lambda")
    await client.put_function_event_invoke_config(
        FunctionName="first",
        DestinationConfig={
            "OnSuccess": {"Destination": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:next"}
        },
    )
    await client.invoke(FunctionName="first", InvocationType="Event", Payload=b'{"x": 1}')
    await eng.clock.settle()
    assert received[0]["requestContext"]["condition"] == "Success"


async def test_retries_are_traced(eng):
    eng.register_function("f", failing_recorder(eng, []))
    recorder = eng.trace.record()
    await eng.client("lambda").invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    await eng.clock.advance(600)
    kinds = [e.kind for e in recorder.events if e.service == "lambda"]
    assert kinds.count("retried") == 2
    assert kinds.count("failed") == 3
    trace_ids = {e.trace_id for e in recorder.events if e.service == "lambda"}
    assert len(trace_ids) == 1


async def test_fabric_event_delivery_returns_none(eng):
    from engine import Envelope

    seen: list = []
    arn = eng.register_function("f", lambda event, context: seen.append(event))
    result = await eng.fabric.deliver(arn, Envelope({"k": 1}, options={"invocation_type": "Event"}))
    await eng.clock.settle()
    assert result is None and seen == [{"k": 1}]


async def test_fabric_sync_failure_raises_function_error(eng):
    import pytest

    from engine import Envelope, FunctionError

    arn = eng.register_function("bad", failing_recorder(eng, []))
    with pytest.raises(FunctionError) as raised:
        await eng.fabric.deliver(arn, Envelope({}))
    assert raised.value.payload["errorType"] == "RuntimeError"
    assert raised.value.function_error == "Unhandled"


async def test_alias_has_its_own_event_invoke_config(eng):
    times: list[float] = []
    eng.register_function("f", failing_recorder(eng, times))
    client = eng.client("lambda")
    await client.publish_version(FunctionName="f")
    await client.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    await client.put_function_event_invoke_config(
        FunctionName="f", Qualifier="live", MaximumRetryAttempts=0
    )
    await client.invoke(FunctionName="f:live", InvocationType="Event", Payload=b"{}")
    await eng.clock.advance(600)
    assert times == [0.0]


async def test_sns_and_eventbridge_invoke_through_the_fabric(eng):
    seen: list[dict] = []
    arn = eng.register_function("sub", lambda event, context: seen.append(event))
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name="news"))["TopicArn"]
    await sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    await sns.publish(TopicArn=topic, Message="hello")
    events = eng.client("events")
    await events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}))
    await events.put_targets(Rule="r", Targets=[{"Id": "fn", "Arn": arn}])
    await events.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": "{}"}])
    await eng.clock.advance(5)
    assert seen[0]["Records"][0]["Sns"]["Message"] == "hello"
    assert seen[1]["source"] == "app"
