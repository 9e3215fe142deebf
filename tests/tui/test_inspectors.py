"""Per-kind panel details read from the services' internal APIs."""

from __future__ import annotations

import json

from rich.console import Console

from engine import Engine
from tui.app.inspectors import inspect
from tui.app.widgets.inspection_view import bar, render_inspection, spark


def _text(renderable) -> str:
    console = Console(width=80, record=True)
    console.print(renderable)
    return console.export_text()


async def test_a_queue_peek_lists_the_oldest_messages_with_their_state(eng: Engine) -> None:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="orders"))["QueueUrl"]
    for n in range(3):
        await sqs.send_message(QueueUrl=url, MessageBody=f"order-{n}")
    await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
    node = eng.topology().node("orders")
    details = inspect(eng, node)
    assert [m["body"] for m in details["peek"]] == ["order-0", "order-1", "order-2"]
    assert [m["state"] for m in details["peek"]] == ["in flight", "visible", "visible"]
    assert "order-1" in _text(render_inspection(details))


async def test_a_dead_letter_queue_names_its_sources(eng: Engine) -> None:
    sqs = eng.client("sqs")
    dlq = (await sqs.create_queue(QueueName="dlq"))["QueueUrl"]
    dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    await sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": policy})
    assert inspect(eng, eng.topology().node("dlq"))["dead_letter_sources"] == ["work"]
    assert inspect(eng, eng.topology().node("work"))["max_receive_count"] == 2


async def test_stream_details_show_shards_and_consumer_lag(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="clicks", ShardCount=2)
    for n in range(20):
        await kinesis.put_record(StreamName="clicks", Data=b"x", PartitionKey=f"k{n}")
    shard = (await kinesis.list_shards(StreamName="clicks"))["Shards"][0]["ShardId"]
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="clicks", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    await kinesis.get_records(ShardIterator=iterator, Limit=1)
    details = inspect(eng, eng.topology().node("clicks"))
    assert len(details["shards"]) == 2
    assert sum(s["records"] for s in details["shards"]) == 20
    assert any(row["behind"] > 0 for row in details["lag"])
    assert "lag per consumer and shard" in _text(render_inspection(details))


def test_a_vanished_resource_is_reported_not_raised(eng: Engine) -> None:
    from engine.topology import Node

    ghost = Node("arn:aws:sqs:us-east-1:123456789012:ghost", "queue", "ghost", "sqs")
    assert "error" in inspect(eng, ghost)


def test_spark_and_bar_scale_to_their_maximum() -> None:
    assert spark([0, 5, 10]) == "▁▄█"
    assert bar(5, 10, 4) == "██··"


def test_a_definition_becomes_states_and_transitions() -> None:
    from tui.app.demos import WORKFLOW
    from tui.app.workflow import definition_graph

    order, transitions = definition_graph(WORKFLOW)
    assert order[0] == "Validate" and set(order) == set(WORKFLOW["States"])
    assert ("ChargeCard", "Refund", "catch") in transitions
    assert ("ChargeCard", "Ship", "next") in transitions


async def test_a_flow_panel_shows_its_execution_history(eng: Engine, clock) -> None:
    await eng.client("s3").create_bucket(Bucket="history-lake")
    appflow = eng.client("appflow")
    await appflow.create_connector_profile(
        connectorProfileName="crm",
        connectorType="Salesforce",
        connectionMode="Public",
        connectorProfileConfig={
            "connectorProfileProperties": {"Salesforce": {}},
            "connectorProfileCredentials": {"Salesforce": {"accessToken": "t"}},
        },
    )
    await appflow.create_flow(
        flowName="leads",
        triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={
            "connectorType": "Salesforce",
            "connectorProfileName": "crm",
            "sourceConnectorProperties": {"Salesforce": {"object": "Lead"}},
        },
        destinationFlowConfigList=[
            {
                "connectorType": "S3",
                "destinationConnectorProperties": {"S3": {"bucketName": "history-lake"}},
            }
        ],
        tasks=[{"sourceFields": [], "taskType": "Map_all"}],
    )
    details = inspect(eng, eng.topology().node("leads"))
    assert details["runs"] == [] and "no runs yet" in _text(render_inspection(details))
    await appflow.start_flow(flowName="leads")
    await clock.advance(1)
    details = inspect(eng, eng.topology().node("leads"))
    assert details["trigger"] == "OnDemand" and details["runs"][0]["records"] == 40
    shown = _text(render_inspection(details))
    assert "Successful" in shown and "40" in shown
