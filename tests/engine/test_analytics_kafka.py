"""The Flink SQL `kafka` connector: a Managed Flink application reads an MSK topic."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.timeout(60)

ROLE = "arn:aws:iam::123456789012:role/analytics"


async def test_flink_sql_reads_an_msk_topic(eng, clock):
    kafka = eng.client("kafka")
    arn = (
        await kafka.create_cluster(
            ClusterName="clicks-cluster",
            KafkaVersion="3.6.0",
            NumberOfBrokerNodes=3,
            BrokerNodeGroupInfo={
                "InstanceType": "kafka.m5.large",
                "ClientSubnets": ["subnet-a", "subnet-b", "subnet-c"],
            },
        )
    )["ClusterArn"]
    await clock.advance(10)
    await kafka.create_topic(
        ClusterArn=arn, TopicName="clicks", PartitionCount=2, ReplicationFactor=3
    )
    servers = (await kafka.get_bootstrap_brokers(ClusterArn=arn))["BootstrapBrokerString"]
    msk = eng.service("kafka")
    cluster = msk.resolve(arn)
    msk.produce(cluster, "clicks", [(b"a", json.dumps({"page": "old"}).encode(), [])])
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="kafka-counts", ShardCount=1)
    code = f"""CREATE TABLE clicks (page STRING, p AS PROCTIME()) WITH (
  'connector' = 'kafka', 'topic' = 'clicks', 'properties.bootstrap.servers' = '{servers}',
  'properties.group.id' = 'flink-clicks', 'scan.startup.mode' = 'earliest-offset', 'format' = 'json');
CREATE TABLE counts (page STRING) WITH ('connector' = 'kinesis', 'stream' = 'kafka-counts');
INSERT INTO counts SELECT page, COUNT(*) AS n FROM clicks GROUP BY page, TUMBLE(p, INTERVAL '10' SECOND);"""
    kda = eng.client("kinesisanalyticsv2")
    await kda.create_application(
        ApplicationName="kafka-clicks",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"TextContent": code},
                "CodeContentType": "PLAINTEXT",
            }
        },
    )
    await kda.start_application(ApplicationName="kafka-clicks")
    await clock.advance(5)
    msk.produce(
        cluster,
        "clicks",
        [(str(n).encode(), json.dumps({"page": "new"}).encode(), []) for n in range(4)],
    )
    await clock.advance(11)
    job = eng.service("kinesisanalyticsv2").job_of("kafka-clicks")
    assert job.records_in == 5  # earliest-offset: the record from before the start too
    shard = (await kinesis.list_shards(StreamName="kafka-counts"))["Shards"][0]["ShardId"]
    it = (
        await kinesis.get_shard_iterator(
            StreamName="kafka-counts", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    rows = sorted(
        (r["page"], r["n"])
        for r in (
            json.loads(x["Data"]) for x in (await kinesis.get_records(ShardIterator=it))["Records"]
        )
    )
    assert rows == [("new", 4), ("old", 1)]
    lag = msk.group_lag(cluster, "flink-clicks")
    assert sum(row[4] for row in lag) == 0  # the group committed what it read


async def test_kafka_connector_without_a_cluster_fails_the_start(eng, clock):
    code = """CREATE TABLE t (page STRING, p AS PROCTIME()) WITH ('connector' = 'kafka', 'topic' = 'x',
  'properties.bootstrap.servers' = '127.0.0.1:1', 'format' = 'json');
CREATE TABLE o (page STRING) WITH ('connector' = 'print');
INSERT INTO o SELECT page FROM t;"""
    kda = eng.client("kinesisanalyticsv2")
    await kda.create_application(
        ApplicationName="nokafka",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"TextContent": code},
                "CodeContentType": "PLAINTEXT",
            }
        },
    )
    await kda.start_application(ApplicationName="nokafka")
    await clock.advance(5)
    detail = (await kda.describe_application(ApplicationName="nokafka"))["ApplicationDetail"]
    assert detail["ApplicationStatus"] == "READY"
    assert "127.0.0.1:1" in eng.service("kinesisanalyticsv2").apps["nokafka"].failure
