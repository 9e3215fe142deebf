"""Legacy SQL chains, Firehose in and out, CSV input, updates of a running Flink application."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.timeout(60)

ROLE = "arn:aws:iam::123456789012:role/analytics"
FIREHOSE = "arn:aws:firehose:us-east-1:123456789012:deliverystream/"

CHAINED = """
CREATE OR REPLACE STREAM "BIG" (item VARCHAR(8), qty INTEGER);
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (item VARCHAR(8), total INTEGER);
CREATE OR REPLACE PUMP "FILTER_PUMP" AS INSERT INTO "BIG"
  SELECT STREAM item, qty FROM "SOURCE_SQL_STREAM_001" WHERE qty >= 10;
CREATE OR REPLACE PUMP "SUM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM item, SUM(qty) AS total FROM "BIG"
  GROUP BY item, FLOOR("BIG".ROWTIME TO MINUTE);
"""


async def _firehose(eng, name, bucket):
    await eng.client("s3").create_bucket(Bucket=bucket)
    await eng.client("firehose").create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "RoleARN": ROLE,
            "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 1},
        },
    )


async def test_csv_from_firehose_through_chained_pumps_to_firehose(eng, clock):
    await _firehose(eng, "orders-in", "raw")
    await _firehose(eng, "totals-out", "totals")
    kda = eng.client("kinesisanalyticsv2")
    schema = {
        "RecordFormat": {
            "RecordFormatType": "CSV",
            "MappingParameters": {
                "CSVMappingParameters": {"RecordRowDelimiter": "\n", "RecordColumnDelimiter": ","}
            },
        },
        "RecordColumns": [
            {"Name": "item", "SqlType": "VARCHAR(8)"},
            {"Name": "qty", "SqlType": "INTEGER"},
        ],
    }
    await kda.create_application(
        ApplicationName="orders",
        RuntimeEnvironment="SQL-1_0",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"TextContent": CHAINED},
                "CodeContentType": "PLAINTEXT",
            },
            "SqlApplicationConfiguration": {
                "Inputs": [
                    {
                        "NamePrefix": "SOURCE_SQL_STREAM",
                        "KinesisFirehoseInput": {"ResourceARN": FIREHOSE + "orders-in"},
                        "InputSchema": schema,
                    }
                ],
                "Outputs": [
                    {
                        "Name": "DESTINATION_SQL_STREAM",
                        "KinesisFirehoseOutput": {"ResourceARN": FIREHOSE + "totals-out"},
                        "DestinationSchema": {"RecordFormatType": "CSV"},
                    }
                ],
            },
        },
    )
    await kda.start_application(ApplicationName="orders")
    await clock.advance(5)
    await clock.advance(60 - clock.now() % 60 + 1)
    firehose = eng.client("firehose")
    await firehose.put_record_batch(
        DeliveryStreamName="orders-in",
        Records=[{"Data": d} for d in (b"apple,12", b"apple,3", b"pear,10", b"apple,20")],
    )
    await clock.advance(61)
    job = eng.service("kinesisanalyticsv2").job_of("orders")
    assert job.records_out >= 4  # two rows from the filter pump, two totals
    await clock.advance(60)
    keys = (await eng.client("s3").list_objects_v2(Bucket="totals"))["Contents"]
    s3 = eng.client("s3")
    bodies = [(await s3.get_object(Bucket="totals", Key=k["Key"]))["Body"] for k in keys]
    body = b"".join([b if isinstance(b, bytes) else b.read() for b in bodies])
    assert body in (b"apple,32pear,10", b"pear,10apple,32")


async def test_update_of_a_running_application_restarts_it_with_the_new_code(eng, clock):
    kinesis = eng.client("kinesis")
    for name in ("u-in", "u-out"):
        await kinesis.create_stream(StreamName=name, ShardCount=1)
    code = """CREATE TABLE src (v INT, arrived TIMESTAMP(3) METADATA FROM 'timestamp', p AS PROCTIME())
  WITH ('connector'='kinesis', 'stream'='u-in');
CREATE TABLE dst (v INT) WITH ('connector'='kinesis', 'stream'='u-out');
INSERT INTO dst SELECT v, arrived FROM src WHERE v > 1;"""
    kda = eng.client("kinesisanalyticsv2")
    await kda.create_application(
        ApplicationName="u",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"TextContent": code},
                "CodeContentType": "PLAINTEXT",
            }
        },
    )
    await kda.start_application(ApplicationName="u")
    await clock.advance(5)
    await kinesis.put_record(StreamName="u-in", Data=b'{"v": 2}', PartitionKey="a")
    await clock.advance(1)
    updated = await kda.update_application(
        ApplicationName="u",
        CurrentApplicationVersionId=1,
        ApplicationConfigurationUpdate={
            "ApplicationCodeConfigurationUpdate": {
                "CodeContentUpdate": {"TextContentUpdate": code.replace("v > 1", "v > 5")}
            }
        },
    )
    assert updated["ApplicationDetail"]["ApplicationStatus"] == "UPDATING"
    assert updated["ApplicationDetail"]["ApplicationVersionId"] == 2
    await clock.advance(2)
    detail = (await kda.describe_application(ApplicationName="u"))["ApplicationDetail"]
    assert detail["ApplicationStatus"] == "RUNNING"
    for v in (3, 9):
        await kinesis.put_record(
            StreamName="u-in", Data=json.dumps({"v": v}).encode(), PartitionKey="a"
        )
    await clock.advance(1)
    shard = (await kinesis.list_shards(StreamName="u-out"))["Shards"][0]["ShardId"]
    it = (
        await kinesis.get_shard_iterator(
            StreamName="u-out", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    rows = [json.loads(r["Data"]) for r in (await kinesis.get_records(ShardIterator=it))["Records"]]
    assert [r["v"] for r in rows] == [2, 9]
    assert rows[0]["arrived"].startswith("2026-")
    versions = (await kda.list_application_versions(ApplicationName="u"))[
        "ApplicationVersionSummaries"
    ]
    assert [v["ApplicationVersionId"] for v in versions] == [2, 1]


STAGGER = """
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker VARCHAR(4), event_minute TIMESTAMP, ticker_count INTEGER);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM ticker, FLOOR(event_time TO MINUTE), COUNT(*) AS ticker_count
FROM "SOURCE_SQL_STREAM_001"
WINDOWED BY STAGGER (
    PARTITION BY FLOOR(event_time TO MINUTE), ticker RANGE INTERVAL '1' MINUTE);
"""


async def test_stagger_windows_open_per_key_when_its_first_row_arrives(eng, clock):
    kinesis = eng.client("kinesis")
    for name in ("trades", "trade-counts"):
        await kinesis.create_stream(StreamName=name, ShardCount=1)
    schema = {
        "RecordFormat": {
            "RecordFormatType": "JSON",
            "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}},
        },
        "RecordColumns": [
            {"Name": "event_time", "Mapping": "$.EVENT_TIME", "SqlType": "TIMESTAMP"},
            {"Name": "ticker", "Mapping": "$.TICKER", "SqlType": "VARCHAR(4)"},
        ],
    }
    kda = eng.client("kinesisanalyticsv2")
    await kda.create_application(
        ApplicationName="stagger",
        RuntimeEnvironment="SQL-1_0",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"TextContent": STAGGER},
                "CodeContentType": "PLAINTEXT",
            },
            "SqlApplicationConfiguration": {
                "Inputs": [
                    {
                        "NamePrefix": "SOURCE_SQL_STREAM",
                        "KinesisStreamsInput": {
                            "ResourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/trades"
                        },
                        "InputSchema": schema,
                    }
                ],
                "Outputs": [
                    {
                        "Name": "DESTINATION_SQL_STREAM",
                        "KinesisStreamsOutput": {
                            "ResourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/trade-counts"
                        },
                        "DestinationSchema": {"RecordFormatType": "JSON"},
                    }
                ],
            },
        },
    )
    await kda.start_application(ApplicationName="stagger")
    await clock.advance(5)
    await clock.advance(60 - clock.now() % 60 + 30)  # half way through a minute

    async def trade(ticker):
        record = {"EVENT_TIME": "2018-08-01T20:17:20.797945", "TICKER": ticker}
        await kinesis.put_record(
            StreamName="trades", Data=json.dumps(record).encode(), PartitionKey="p"
        )

    for _ in range(3):  # AMZN's window opens now and spans the minute boundary
        await trade("AMZN")
        await clock.advance(10)
    await trade("MSFT")  # MSFT's window opens 30 s later
    for _ in range(3):
        await trade("AMZN")
        await clock.advance(5)
    await clock.advance(20)  # AMZN's window (60 s from its first row) has closed, MSFT's has not
    shard = (await kinesis.list_shards(StreamName="trade-counts"))["Shards"][0]["ShardId"]

    async def results():
        it = (
            await kinesis.get_shard_iterator(
                StreamName="trade-counts", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
            )
        )["ShardIterator"]
        return [
            json.loads(r["Data"]) for r in (await kinesis.get_records(ShardIterator=it))["Records"]
        ]

    rows = await results()
    assert [(r["ticker"], r["ticker_count"]) for r in rows] == [("AMZN", 6)]
    assert rows[0]["event_minute"].startswith("2018-08-01 20:17:00")
    await clock.advance(30)
    rows = await results()
    assert [(r["ticker"], r["ticker_count"]) for r in rows] == [("AMZN", 6), ("MSFT", 1)]


async def test_insert_column_count_must_match_the_stream(eng, clock):
    kda = eng.client("kinesisanalyticsv2")
    bad = STAGGER.replace("COUNT(*) AS ticker_count", "COUNT(*) AS c, 1 AS extra")
    from engine import ServiceError

    with pytest.raises(ServiceError) as error:
        await kda.create_application(
            ApplicationName="cols",
            RuntimeEnvironment="SQL-1_0",
            ServiceExecutionRole=ROLE,
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {
                    "CodeContent": {"TextContent": bad},
                    "CodeContentType": "PLAINTEXT",
                }
            },
        )
    assert error.value.code == "CodeValidationException"
    assert "target columns (3)" in error.value.message
