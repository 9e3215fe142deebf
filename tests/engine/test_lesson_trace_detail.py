"""Trace detail that lets lesson checks test outcomes: delivery form and filter scope, replay names,
conditions and transactions, caught errors, redrive from and to, API responses and test invokes."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError, VirtualClock

pytestmark = pytest.mark.timeout(60)


def _events(eng: Engine, recorder, kind: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e.detail | {"resource": e.resource} for e in recorder.events if e.kind == kind]


async def test_sns_delivered_says_raw_and_the_filter_scope(eng: Engine) -> None:
    recorder = eng.trace.record()
    sns, sqs = eng.client("sns"), eng.client("sqs")
    topic = (await sns.create_topic(Name="t"))["TopicArn"]
    for name in ("plain", "body"):
        await sqs.create_queue(QueueName=name)
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint="arn:aws:sqs:us-east-1:123456789012:plain",
        Attributes={"RawMessageDelivery": "true"},
    )
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint="arn:aws:sqs:us-east-1:123456789012:body",
        Attributes={
            "FilterPolicyScope": "MessageBody",
            "FilterPolicy": '{"n": [{"numeric": [">", 1]}]}',
        },
    )
    await sns.publish(TopicArn=topic, Message='{"n": 5}')
    await sns.publish(TopicArn=topic, Message='{"n": 0}')
    delivered = {d["endpoint"].rsplit(":", 1)[1]: d for d in _events(eng, recorder, "delivered")}
    assert delivered["plain"]["raw"] is True and delivered["plain"]["filter_scope"] is None
    assert delivered["body"]["raw"] is False and delivered["body"]["filter_scope"] == "MessageBody"
    filtered = _events(eng, recorder, "filtered-out")
    assert [(f["endpoint"].rsplit(":", 1)[1], f["filter_scope"]) for f in filtered] == [
        ("body", "MessageBody")
    ]


async def test_dynamodb_traces_conditions_transactions_and_refusals(eng: Engine) -> None:
    recorder = eng.trace.record()
    ddb = eng.client("dynamodb")
    await ddb.create_table(
        TableName="t",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    condition = "attribute_not_exists(k)"
    await ddb.put_item(TableName="t", Item={"k": {"S": "a"}}, ConditionExpression=condition)
    with pytest.raises(ServiceError):
        await ddb.put_item(TableName="t", Item={"k": {"S": "a"}}, ConditionExpression=condition)
    put = {"Put": {"TableName": "t", "Item": {"k": {"S": "b"}}, "ConditionExpression": condition}}
    await ddb.transact_write_items(TransactItems=[put])
    with pytest.raises(ServiceError):
        await ddb.transact_write_items(TransactItems=[put])
    written = _events(eng, recorder, "written")
    assert [(w["key"], w["condition"], w["transaction"] is not None) for w in written] == [
        ({"k": "a"}, condition, False),
        ({"k": "b"}, condition, True),
    ]
    failed = _events(eng, recorder, "condition-failed")
    assert [(f["key"], f["transaction"] is not None) for f in failed] == [
        ({"k": "a"}, False),
        ({"k": "b"}, True),
    ]


async def test_redrive_says_from_and_to(eng: Engine, clock: VirtualClock) -> None:
    recorder = eng.trace.record()
    sqs = eng.client("sqs")
    await sqs.create_queue(QueueName="dlq")
    policy = {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq", "maxReceiveCount": 1}
    src = (
        await sqs.create_queue(
            QueueName="src",
            Attributes={"RedrivePolicy": json.dumps(policy), "VisibilityTimeout": "1"},
        )
    )["QueueUrl"]
    await sqs.send_message(QueueUrl=src, MessageBody="x")
    await sqs.receive_message(QueueUrl=src)
    await clock.advance(2)
    await sqs.receive_message(QueueUrl=src)
    await sqs.start_message_move_task(SourceArn="arn:aws:sqs:us-east-1:123456789012:dlq")
    await clock.advance(2)
    (moved,) = _events(eng, recorder, "moved")
    assert moved["from_queue"].endswith(":dlq") and moved["to_queue"].endswith(":src")
    assert moved["to_source"] is True


async def test_step_functions_traces_the_caught_error(eng: Engine, clock: VirtualClock) -> None:
    recorder = eng.trace.record()
    sfn = eng.client("stepfunctions")
    definition = {
        "StartAt": "Boom",
        "States": {
            "Boom": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "missing"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Later"}],
                "End": True,
            },
            "Later": {"Type": "Pass", "End": True},
        },
    }
    machine = (
        await sfn.create_state_machine(
            name="m", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
        )
    )["stateMachineArn"]
    await sfn.start_execution(stateMachineArn=machine)
    await clock.advance(5)
    (caught,) = _events(eng, recorder, "caught")
    assert caught["state"] == "Boom" and caught["next"] == "Later" and caught["error"]


async def test_eventbridge_put_carries_the_replay_name(eng: Engine, clock: VirtualClock) -> None:
    recorder = eng.trace.record()
    events = eng.client("events")
    await events.create_event_bus(Name="b")
    bus = "arn:aws:events:us-east-1:123456789012:event-bus/b"
    await events.create_archive(ArchiveName="a", EventSourceArn=bus)
    await events.put_events(
        Entries=[{"EventBusName": "b", "Source": "s", "DetailType": "d", "Detail": "{}"}]
    )
    await clock.advance(60)
    from datetime import UTC, datetime

    await events.start_replay(
        ReplayName="r",
        EventSourceArn="arn:aws:events:us-east-1:123456789012:archive/a",
        EventStartTime=datetime(2026, 1, 1, tzinfo=UTC),
        EventEndTime=datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
        Destination={"Arn": bus},
    )
    await clock.advance(60)
    names = [p["replay_name"] for p in _events(eng, recorder, "put")]
    assert names == [None, "r"]


async def test_api_gateway_test_invokes_say_their_status(eng: Engine) -> None:
    recorder = eng.trace.record()
    api = eng.client("apigateway")
    api_id = (await api.create_rest_api(name="a"))["id"]
    root = (await api.get_resources(restApiId=api_id))["items"][0]["id"]
    await api.put_method(
        restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE"
    )
    await api.put_integration(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    await api.test_invoke_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    await api.put_method_response(
        restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200"
    )
    await api.put_integration_response(
        restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200"
    )
    await api.test_invoke_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    tests = [
        (t["method"], t["resource_path"], t["status"])
        for t in _events(eng, recorder, "test-invoked")
    ]
    assert tests[-1] == ("GET", "/", 200) and tests[0][2] != 200  # no responses yet: not a 200
