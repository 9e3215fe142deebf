"""kinesisanalyticsv2 control plane: statuses on the clock, legacy SQL apps, discovery, errors."""

from __future__ import annotations

import base64
import json

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

ROLE = "arn:aws:iam::123456789012:role/analytics"
ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/"

LEGACY = """
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker VARCHAR(4), sector VARCHAR(16), n INTEGER);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM s.ticker, r.sector, COUNT(*) AS n
FROM "SOURCE_SQL_STREAM_001" AS s JOIN "companies" AS r ON s.ticker = r.ticker
WHERE s.price > 10
GROUP BY s.ticker, r.sector, STEP(s.ROWTIME BY INTERVAL '60' SECOND);
"""

SCHEMA = {
    "RecordFormat": {
        "RecordFormatType": "JSON",
        "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}},
    },
    "RecordColumns": [
        {"Name": "ticker", "Mapping": "$.ticker", "SqlType": "VARCHAR(4)"},
        {"Name": "price", "Mapping": "$.price", "SqlType": "DOUBLE"},
    ],
}


async def _legacy_app(eng):
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="ticks", ShardCount=1)
    s3 = eng.client("s3")
    await s3.create_bucket(Bucket="ref")
    await s3.put_object(Bucket="ref", Key="companies.csv", Body=b"AMZN,RETAIL\nXYZ,ENERGY\n")
    seen: list = []

    def sink(event, context):
        seen.extend(json.loads(base64.b64decode(r["data"])) for r in event["records"])
        return {"records": [{"recordId": r["recordId"], "result": "Ok"} for r in event["records"]]}

    eng.register_function("sink", sink)
    kda = eng.client("kinesisanalyticsv2")
    created = await kda.create_application(
        ApplicationName="tickers",
        RuntimeEnvironment="SQL-1_0",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"TextContent": LEGACY},
                "CodeContentType": "PLAINTEXT",
            },
            "SqlApplicationConfiguration": {
                "Inputs": [
                    {
                        "NamePrefix": "SOURCE_SQL_STREAM",
                        "KinesisStreamsInput": {"ResourceARN": ARN + "ticks"},
                        "InputSchema": SCHEMA,
                    }
                ],
                "Outputs": [
                    {
                        "Name": "DESTINATION_SQL_STREAM",
                        "LambdaOutput": {
                            "ResourceARN": "arn:aws:lambda:us-east-1:123456789012:function:sink"
                        },
                        "DestinationSchema": {"RecordFormatType": "JSON"},
                    }
                ],
                "ReferenceDataSources": [
                    {
                        "TableName": "companies",
                        "S3ReferenceDataSource": {
                            "BucketARN": "arn:aws:s3:::ref",
                            "FileKey": "companies.csv",
                        },
                        "ReferenceSchema": {
                            "RecordFormat": {
                                "RecordFormatType": "CSV",
                                "MappingParameters": {
                                    "CSVMappingParameters": {
                                        "RecordRowDelimiter": "\n",
                                        "RecordColumnDelimiter": ",",
                                    }
                                },
                            },
                            "RecordColumns": [
                                {"Name": "ticker", "SqlType": "VARCHAR(4)"},
                                {"Name": "sector", "SqlType": "VARCHAR(16)"},
                            ],
                        },
                    }
                ],
            },
        },
    )
    return kinesis, kda, created["ApplicationDetail"], seen


async def test_status_moves_on_the_clock_and_legacy_pump_runs(eng, clock):
    kinesis, kda, detail, seen = await _legacy_app(eng)
    assert detail["ApplicationStatus"] == "READY"
    described = detail["ApplicationConfigurationDescription"][
        "SqlApplicationConfigurationDescription"
    ]
    assert described["InputDescriptions"][0]["InAppStreamNames"] == ["SOURCE_SQL_STREAM_001"]
    assert described["InputDescriptions"][0]["InputId"] == "1.1"
    await kda.start_application(
        ApplicationName="tickers",
        RunConfiguration={
            "SqlRunConfigurations": [
                {
                    "InputId": "1.1",
                    "InputStartingPositionConfiguration": {"InputStartingPosition": "NOW"},
                }
            ]
        },
    )
    assert (await kda.describe_application(ApplicationName="tickers"))["ApplicationDetail"][
        "ApplicationStatus"
    ] == "STARTING"
    with pytest.raises(ServiceError) as error:
        await kda.start_application(ApplicationName="tickers")
    assert error.value.code == "ResourceInUseException"
    await clock.advance(5)
    assert (await kda.describe_application(ApplicationName="tickers"))["ApplicationDetail"][
        "ApplicationStatus"
    ] == "RUNNING"
    now = clock.now()
    await clock.advance(60 - now % 60 + 1)  # one second into a minute
    ticks = [
        {"ticker": "AMZN", "price": 20},
        {"ticker": "AMZN", "price": 30},
        {"ticker": "XYZ", "price": 5},
        {"ticker": "XYZ", "price": 50},
    ]
    await kinesis.put_records(
        StreamName="ticks",
        Records=[{"Data": json.dumps(t).encode(), "PartitionKey": "p"} for t in ticks],
    )
    await clock.advance(30)
    assert seen == []  # the STEP window closes on the engine clock at the minute
    await clock.advance(31)
    assert sorted((r["ticker"], r["sector"], r["n"]) for r in seen) == [
        ("AMZN", "RETAIL", 2),
        ("XYZ", "ENERGY", 1),
    ]
    await kda.stop_application(ApplicationName="tickers")
    assert (await kda.describe_application(ApplicationName="tickers"))["ApplicationDetail"][
        "ApplicationStatus"
    ] == "STOPPING"
    await clock.advance(2)
    assert (await kda.describe_application(ApplicationName="tickers"))["ApplicationDetail"][
        "ApplicationStatus"
    ] == "READY"
    with pytest.raises(ServiceError) as error:
        await kda.delete_application(
            ApplicationName="tickers", CreateTimestamp=detail["CreateTimestamp"].replace(year=2001)
        )
    assert error.value.code == "InvalidArgumentException"
    await kda.delete_application(
        ApplicationName="tickers", CreateTimestamp=detail["CreateTimestamp"]
    )
    with pytest.raises(ServiceError) as error:
        await kda.describe_application(ApplicationName="tickers")
    assert error.value.code == "ResourceNotFoundException"
    assert eng.service("kinesisanalyticsv2").holdings()["jobs"] == 0


async def test_errors_versions_tags(eng, clock):
    _, kda, detail, _ = await _legacy_app(eng)
    with pytest.raises(ServiceError) as error:
        await kda.create_application(
            ApplicationName="tickers", RuntimeEnvironment="SQL-1_0", ServiceExecutionRole=ROLE
        )
    assert error.value.code == "ResourceInUseException"
    with pytest.raises(ServiceError) as error:
        await kda.add_application_output(
            ApplicationName="tickers",
            CurrentApplicationVersionId=7,
            Output={
                "Name": "X",
                "KinesisStreamsOutput": {"ResourceARN": ARN + "x"},
                "DestinationSchema": {"RecordFormatType": "CSV"},
            },
        )
    assert error.value.code == "ConcurrentModificationException"
    added = await kda.add_application_output(
        ApplicationName="tickers",
        CurrentApplicationVersionId=1,
        Output={
            "Name": "X",
            "KinesisStreamsOutput": {"ResourceARN": ARN + "x"},
            "DestinationSchema": {"RecordFormatType": "CSV"},
        },
    )
    assert added["ApplicationVersionId"] == 2 and len(added["OutputDescriptions"]) == 2
    with pytest.raises(ServiceError) as error:
        await kda.update_application(
            ApplicationName="tickers",
            ApplicationConfigurationUpdate={
                "ApplicationCodeConfigurationUpdate": {
                    "CodeContentUpdate": {
                        "TextContentUpdate": 'CREATE OR REPLACE STREAM "D" (a INT);\nSELECT STREAM COUNT(*) FROM "SOURCE_SQL_STREAM_001";'
                    }
                }
            },
        )
    assert error.value.code == "CodeValidationException"
    arn = detail["ApplicationARN"]
    await kda.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "data"}])
    assert (await kda.list_tags_for_resource(ResourceARN=arn))["Tags"] == [
        {"Key": "team", "Value": "data"}
    ]
    with pytest.raises(ServiceError) as error:
        await kda.tag_resource(
            ResourceARN=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]
        )
    assert error.value.code == "TooManyTagsException"
    with pytest.raises(ServiceError) as error:
        await kda.create_application_snapshot(ApplicationName="tickers", SnapshotName="s")
    assert error.value.code == "UnsupportedOperationException"


async def test_discover_input_schema_json_and_csv(eng, clock):
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="j", ShardCount=1)
    await kinesis.create_stream(StreamName="c", ShardCount=1)
    await kinesis.put_record(
        StreamName="j",
        Data=b'{"sensor": "s-1", "temp": 21.5, "n": 3, "at": "2026-01-01T00:00:00"}',
        PartitionKey="a",
    )
    await kinesis.put_record(StreamName="c", Data=b"s-1,21.5,3", PartitionKey="a")
    kda = eng.client("kinesisanalyticsv2")
    found = await kda.discover_input_schema(
        ResourceARN=ARN + "j",
        ServiceExecutionRole=ROLE,
        InputStartingPositionConfiguration={"InputStartingPosition": "TRIM_HORIZON"},
    )
    columns = {c["Name"]: c["SqlType"] for c in found["InputSchema"]["RecordColumns"]}
    assert columns == {"sensor": "VARCHAR(4)", "temp": "DOUBLE", "n": "INTEGER", "at": "TIMESTAMP"}
    assert found["InputSchema"]["RecordFormat"]["RecordFormatType"] == "JSON"
    found = await kda.discover_input_schema(ResourceARN=ARN + "c", ServiceExecutionRole=ROLE)
    assert [c["SqlType"] for c in found["InputSchema"]["RecordColumns"]] == [
        "VARCHAR(4)",
        "DOUBLE",
        "INTEGER",
    ]
    assert found["ParsedInputRecords"] == [["s-1", "21.5", "3"]]
    await kinesis.create_stream(StreamName="empty", ShardCount=1)
    with pytest.raises(ServiceError) as error:
        await kda.discover_input_schema(ResourceARN=ARN + "empty", ServiceExecutionRole=ROLE)
    assert error.value.code == "UnableToDetectSchemaException"


async def test_flink_snapshot_keeps_reader_positions(eng, clock):
    kinesis = eng.client("kinesis")
    for name in ("in", "out"):
        await kinesis.create_stream(StreamName=name, ShardCount=1)
    code = """CREATE TABLE src (v INT, p AS PROCTIME()) WITH ('connector'='kinesis', 'stream'='in');
CREATE TABLE dst (v INT) WITH ('connector'='kinesis', 'stream'='out');
INSERT INTO dst SELECT v FROM src WHERE v > 1;"""
    kda = eng.client("kinesisanalyticsv2")
    await kda.create_application(
        ApplicationName="f",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"TextContent": code},
                "CodeContentType": "PLAINTEXT",
            }
        },
    )
    await kda.start_application(ApplicationName="f")
    await clock.advance(5)
    await kinesis.put_record(StreamName="in", Data=b'{"v": 2}', PartitionKey="a")
    await clock.advance(1)
    await kda.create_application_snapshot(ApplicationName="f", SnapshotName="one")
    snaps = (await kda.list_application_snapshots(ApplicationName="f"))["SnapshotSummaries"]
    assert [s["SnapshotName"] for s in snaps] == ["one"] and snaps[0]["SnapshotStatus"] == "READY"
    await kda.stop_application(ApplicationName="f")
    await clock.advance(2)
    await kinesis.put_record(StreamName="in", Data=b'{"v": 3}', PartitionKey="a")  # while stopped
    await kda.start_application(
        ApplicationName="f",
        RunConfiguration={
            "ApplicationRestoreConfiguration": {
                "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
                "SnapshotName": "one",
            }
        },
    )
    await clock.advance(6)
    shard = (await kinesis.list_shards(StreamName="out"))["Shards"][0]["ShardId"]
    it = (
        await kinesis.get_shard_iterator(
            StreamName="out", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    values = [
        json.loads(r["Data"])["v"] for r in (await kinesis.get_records(ShardIterator=it))["Records"]
    ]
    assert values == [2, 3]  # resumed where the snapshot stood: nothing lost, nothing twice
    ops = (await kda.list_application_operations(ApplicationName="f"))[
        "ApplicationOperationInfoList"
    ]
    assert [o["Operation"] for o in ops][:2] == ["StartApplication", "StopApplication"]


async def test_an_interrupted_statement_is_run_again():
    from engine.services.kinesisanalyticsv2.database import Database

    db = Database()
    real = db.connection
    calls = []

    class Interrupting:
        def execute(self, sql, params=None):
            calls.append(sql)
            if len(calls) == 1:
                raise RuntimeError("Query interrupted")
            return real.execute(sql)

    db.connection = Interrupting()
    assert db.execute("SELECT 41 + 1").fetchone() == (42,)
    assert len(calls) == 2
    real.close()


async def test_sql_failing_on_the_data_stops_that_query_only(eng, clock):
    kinesis = eng.client("kinesis")
    for name in ("in2", "out2"):
        await kinesis.create_stream(StreamName=name, ShardCount=1)
    code = """CREATE TABLE src (v VARCHAR, p AS PROCTIME()) WITH ('connector'='kinesis', 'stream'='in2');
CREATE TABLE dst (v INT) WITH ('connector'='kinesis', 'stream'='out2');
INSERT INTO dst SELECT CAST(v AS INT) AS n FROM src;
INSERT INTO dst SELECT v FROM src;"""
    kda = eng.client("kinesisanalyticsv2")
    await kda.create_application(
        ApplicationName="g",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"TextContent": code},
                "CodeContentType": "PLAINTEXT",
            }
        },
    )
    await kda.start_application(ApplicationName="g")
    await clock.advance(5)
    events = eng.trace.record()
    await kinesis.put_record(StreamName="in2", Data=b'{"v": "abc"}', PartitionKey="a")
    await clock.advance(1)
    job = eng.service("kinesisanalyticsv2").job_of("g")
    assert [q.failed is not None for q in job.queries] == [True, False]
    assert job.records_out == 1
    failed = [e for e in events.events if e.kind == "failed"]
    assert len(failed) == 1 and "abc" in failed[0].detail["error"]


def test_duckdb_and_sqlglot_load_only_with_the_first_application():
    import subprocess
    import sys

    code = (
        "import sys, engine, engine.services.kinesisanalyticsv2, tui.console.lab.analytics\n"
        "engine.Engine\n"
        "bad = [m for m in ('duckdb', 'sqlglot', 'pyarrow') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (
            'CREATE OR REPLACE STREAM "D" (a DOUBLE);\nCREATE OR REPLACE PUMP "P" AS INSERT INTO "D"\n'
            'SELECT STREAM ANOMALY_SCORE FROM TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001")));',
            "RANDOM_CUT_FOREST at line 3",
        ),
        (
            'CREATE OR REPLACE STREAM "D" (a DOUBLE);\nCREATE OR REPLACE PUMP "P" AS INSERT INTO "D"\n'
            'SELECT STREAM AVG(price) OVER W1 FROM "SOURCE_SQL_STREAM_001"\n'
            "WINDOW W1 AS (PARTITION BY ticker RANGE INTERVAL '1' MINUTE PRECEDING);",
            "OVER",
        ),
    ],
)
async def test_features_out_of_scope_are_refused_by_name(eng, code, words):
    with pytest.raises(ServiceError) as error:
        await eng.client("kinesisanalyticsv2").create_application(
            ApplicationName="nope",
            RuntimeEnvironment="SQL-1_0",
            ServiceExecutionRole=ROLE,
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {
                    "CodeContent": {"TextContent": code},
                    "CodeContentType": "PLAINTEXT",
                }
            },
        )
    assert error.value.code == "CodeValidationException"
    assert words in error.value.message
