"""MSK as a source for EventBridge Pipes and Firehose; trace and topology of a cluster."""

from __future__ import annotations

import base64
import json

import pytest

from engine import Engine, VirtualClock

from .kafka_lab import active_cluster, topic

pytestmark = pytest.mark.timeout(30)
ROLE = "arn:aws:iam::123456789012:role/lab"


async def test_a_pipe_moves_msk_records_to_a_queue(eng: Engine, clock: VirtualClock) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "orders", 2)
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="out"))["QueueUrl"]
    queue_arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    await eng.client("pipes").create_pipe(
        Name="orders-pipe",
        Source=arn,
        Target=queue_arn,
        RoleArn=ROLE,
        SourceParameters={
            "ManagedStreamingKafkaParameters": {
                "TopicName": "orders",
                "StartingPosition": "TRIM_HORIZON",
                "ConsumerGroupID": "pipe-group",
            }
        },
    )
    kafka = eng.service("kafka")
    cluster = kafka.resolve(arn)
    kafka.produce(cluster, "orders", [(b"a", b'{"n": 1}', [("h", b"x")])])
    await clock.advance(2)
    messages = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]
    record = json.loads(messages[0]["Body"])
    assert record["eventSource"] == "aws:kafka" and record["eventSourceArn"] == arn
    assert record["eventSourceKey"].startswith("orders-")
    assert base64.b64decode(record["value"]) == b'{"n": 1}'
    assert record["headers"] == [{"h": [120]}]
    assert sum(row[4] for row in kafka.group_lag(cluster, "pipe-group")) == 0


async def test_firehose_reads_an_msk_topic_into_s3(eng: Engine, clock: VirtualClock) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "logs", 1)
    await eng.client("s3").create_bucket(Bucket="archive")
    firehose = eng.client("firehose")
    await firehose.create_delivery_stream(
        DeliveryStreamName="to-s3",
        DeliveryStreamType="MSKAsSource",
        MSKSourceConfiguration={
            "MSKClusterARN": arn,
            "TopicName": "logs",
            "AuthenticationConfiguration": {"RoleARN": ROLE, "Connectivity": "PRIVATE"},
        },
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::archive",
            "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 1},
        },
    )
    described = await firehose.describe_delivery_stream(DeliveryStreamName="to-s3")
    source = described["DeliveryStreamDescription"]["Source"]["MSKSourceDescription"]
    assert source["TopicName"] == "logs"
    kafka = eng.service("kafka")
    kafka.produce(kafka.resolve(arn), "logs", [(None, b"line-1\n", []), (None, b"line-2\n", [])])
    await clock.advance(61)
    listed = await eng.client("s3").list_objects_v2(Bucket="archive")
    key = listed["Contents"][0]["Key"]
    body = (await eng.client("s3").get_object(Bucket="archive", Key=key))["Body"].read()
    assert body == b"line-1\nline-2\n"


async def test_topology_and_trace_show_clusters_topics_and_groups(eng: Engine) -> None:
    recorder = eng.trace.record()
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "orders", 3)
    kafka = eng.service("kafka")
    cluster = kafka.resolve(arn)
    kafka.produce(cluster, "orders", [(b"k", b"v", [])])
    cluster.groups.commit("readers", -1, "", [("orders", 0, 0, None, -1)])
    topology = eng.topology()
    kinds = {n.kind for n in topology.nodes if n.service == "kafka"}
    assert kinds == {"cluster", "kafka-topic", "consumer-group"}
    edge = next(e for e in topology.edges if e.kind == "consumer-group")
    assert edge.source.endswith("/orders") and edge.target.endswith("/readers")
    events = {e.kind for e in recorder.events if e.service == "kafka"}
    assert {"created", "state-changed", "produced", "committed"} <= events
