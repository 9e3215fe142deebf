"""Lambda event source mappings from MSK topics, on the virtual clock."""

from __future__ import annotations

import base64

import pytest

from engine import Engine, ServiceError, VirtualClock

from .kafka_lab import active_cluster, topic

pytestmark = pytest.mark.timeout(30)
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_lab-AbCdEf"


async def test_mapping_sends_aws_kafka_events_and_commits_the_group(
    eng: Engine, clock: VirtualClock
) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "orders", 2)
    kafka = eng.service("kafka")
    cluster = kafka.resolve(arn)
    kafka.produce(cluster, "orders", [(b"early", b"before", [])])
    events: list[dict] = []
    eng.register_function("consumer", lambda event, context: events.append(event))
    mapping = await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="consumer",
        Topics=["orders"],
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        AmazonManagedKafkaEventSourceConfig={"ConsumerGroupId": "lambda-orders"},
    )
    assert mapping["Topics"] == ["orders"]
    assert mapping["AmazonManagedKafkaEventSourceConfig"] == {"ConsumerGroupId": "lambda-orders"}
    await clock.advance(2)
    kafka.produce(cluster, "orders", [(b"k", b'{"n": 1}', [("type", b"ab")])])
    await clock.advance(2)
    records = [r for e in events for batch in e["records"].values() for r in batch]
    assert [base64.b64decode(r["value"]) for r in records] == [b"before", b'{"n": 1}']
    event = events[-1]
    assert event["eventSource"] == "aws:kafka" and event["eventSourceArn"] == arn
    key = next(iter(event["records"]))
    assert key.startswith("orders-")
    last = records[-1]
    assert last["headers"] == [{"type": [97, 98]}]
    assert base64.b64decode(last["key"]) == b"k"
    assert last["timestampType"] == "CREATE_TIME" and last["topic"] == "orders"
    lag = kafka.group_lag(cluster, "lambda-orders")
    assert sum(row[4] for row in lag) == 0


async def test_batching_window_collects_a_batch(eng: Engine, clock: VirtualClock) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "clicks", 1)
    kafka = eng.service("kafka")
    cluster = kafka.resolve(arn)
    sizes: list[int] = []
    eng.register_function(
        "counter",
        lambda event, context: sizes.append(sum(len(v) for v in event["records"].values())),
    )
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="counter",
        Topics=["clicks"],
        StartingPosition="LATEST",
        BatchSize=100,
        MaximumBatchingWindowInSeconds=5,
    )
    await clock.advance(1)
    for i in range(5):
        kafka.produce(cluster, "clicks", [(None, b"%d" % i, [])])
        await clock.advance(0.5)
    await clock.advance(5)
    assert sizes == [5]


async def test_a_failing_function_gets_the_batch_again(eng: Engine, clock: VirtualClock) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "jobs", 1)
    kafka = eng.service("kafka")
    cluster = kafka.resolve(arn)
    calls: list[int] = []

    def flaky(event: dict, context: object) -> None:
        calls.append(len(calls))
        if len(calls) < 3:
            raise RuntimeError("not yet")

    eng.register_function("flaky", flaky)
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="flaky", Topics=["jobs"], StartingPosition="LATEST"
    )
    await clock.advance(1)
    kafka.produce(cluster, "jobs", [(None, b"job", [])])
    await clock.advance(5)
    assert len(calls) == 3


async def test_mapping_parameters_are_checked(eng: Engine) -> None:
    arn, _ = await active_cluster(eng)
    eng.register_function("f", lambda event, context: None)
    client = eng.client("lambda")
    with pytest.raises(ServiceError) as error:
        await client.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="f", StartingPosition="LATEST"
        )
    assert "Topics" in error.value.message
    with pytest.raises(ServiceError) as error:
        await client.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="f", Topics=["t"], StartingPosition="NOW"
        )
    assert error.value.code == "ValidationException"  # outside the model's enum


async def test_a_self_managed_kafka_source_is_the_labs_broker_by_address(
    eng: Engine, clock: VirtualClock
) -> None:
    arn, brokers = await active_cluster(eng)
    await topic(eng, arn, "payments", 1)
    events: list[dict] = []
    eng.register_function("payer", lambda event, context: events.append(event))
    client = eng.client("lambda")
    mapping = await client.create_event_source_mapping(
        FunctionName="payer",
        Topics=["payments"],
        SelfManagedEventSource={"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": brokers.split(",")}},
        SelfManagedKafkaEventSourceConfig={"ConsumerGroupId": "payers"},
        SourceAccessConfigurations=[{"Type": "BASIC_AUTH", "URI": SECRET}],
    )
    assert mapping["StartingPosition"] == "TRIM_HORIZON"  # the default for self-managed Kafka
    assert "EventSourceArn" not in mapping
    assert mapping["SelfManagedKafkaEventSourceConfig"] == {"ConsumerGroupId": "payers"}
    kafka = eng.service("kafka")
    kafka.produce(kafka.resolve(arn), "payments", [(None, b"10 EUR", [])])
    await clock.advance(2)
    assert events and events[0]["eventSource"] == "SelfManagedKafka"
    assert "eventSourceArn" not in events[0]
    with pytest.raises(ServiceError) as error:  # same endpoint, function and topic
        await client.create_event_source_mapping(
            FunctionName="payer",
            Topics=["payments"],
            SelfManagedEventSource={
                "Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": [*brokers.split(","), "b:1"]}
            },
            SourceAccessConfigurations=[{"Type": "BASIC_AUTH", "URI": SECRET}],
        )
    assert error.value.code == "ResourceConflictException"
    with pytest.raises(ServiceError) as error:
        await client.create_event_source_mapping(
            FunctionName="payer",
            Topics=["payments"],
            SelfManagedEventSource={"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["kafka:1000"]}},
        )
    assert error.value.message == "Required 'sourceAccessConfigurations' parameter is missing."
    # an address outside the lab: the mapping exists, and reports that it cannot connect
    outside = await client.create_event_source_mapping(
        FunctionName="payer",
        Topics=["payments"],
        SelfManagedEventSource={"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["kafka:1000"]}},
        SourceAccessConfigurations=[{"Type": "BASIC_AUTH", "URI": SECRET}],
    )
    await clock.advance(1)
    described = await client.get_event_source_mapping(UUID=outside["UUID"])
    assert described["LastProcessingResult"].startswith("PROBLEM: Connection error")
