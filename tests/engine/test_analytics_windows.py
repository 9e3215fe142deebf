"""Managed Flink / Kinesis Data Analytics: windowed SQL over Kinesis on the engine clock."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

ROLE = "arn:aws:iam::123456789012:role/analytics"
BASE = 1_800_000_000_000  # ms, on a minute boundary

FLINK_TUMBLE = """
CREATE TABLE clicks (
  page VARCHAR,
  ms DOUBLE,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('connector' = 'kinesis', 'stream' = 'clicks', 'format' = 'json',
        'scan.stream.initpos' = 'TRIM_HORIZON');
CREATE TABLE counts (page VARCHAR, n BIGINT)
  WITH ('connector' = 'kinesis', 'stream' = 'counts', 'format' = 'json');
INSERT INTO counts
SELECT window_start, window_end, page, COUNT(*) AS n, AVG(ms) AS avg_ms
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTES))
WHERE page <> 'health'
GROUP BY window_start, window_end, page;
"""


async def _streams(eng, *names):
    kinesis = eng.client("kinesis")
    for name in names:
        await kinesis.create_stream(StreamName=name, ShardCount=1)
    return kinesis


async def _put(kinesis, stream, events):
    records = [{"Data": json.dumps(e).encode(), "PartitionKey": "k"} for e in events]
    await kinesis.put_records(StreamName=stream, Records=records)


def _click(page, offset_s, ms=10.0):
    return {"page": page, "ms": ms, "ts": BASE + int(offset_s * 1000)}


async def _read_all(kinesis, stream):
    shard = (await kinesis.list_shards(StreamName=stream))["Shards"][0]["ShardId"]
    it = (
        await kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    out = (await kinesis.get_records(ShardIterator=it))["Records"]
    return [json.loads(r["Data"]) for r in out]


async def _flink_app(eng, clock, code, name="clicks-app"):
    kda = eng.client("kinesisanalyticsv2")
    await kda.create_application(
        ApplicationName=name,
        RuntimeEnvironment="FLINK-1_19",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"TextContent": code},
                "CodeContentType": "PLAINTEXT",
            }
        },
    )
    await kda.start_application(ApplicationName=name)
    await clock.advance(6)
    detail = (await kda.describe_application(ApplicationName=name))["ApplicationDetail"]
    assert detail["ApplicationStatus"] == "RUNNING", (
        eng.service("kinesisanalyticsv2").apps[name].failure
    )
    return kda


async def test_tumbling_window_emits_when_watermark_passes(eng, clock):
    kinesis = await _streams(eng, "clicks", "counts")
    await _flink_app(eng, clock, FLINK_TUMBLE)
    await _put(
        kinesis,
        "clicks",
        [_click("home", 1), _click("home", 20, 30.0), _click("cart", 30), _click("health", 31)],
    )
    await clock.advance(1)
    assert await _read_all(kinesis, "counts") == []  # window [0, 60) still open
    await _put(kinesis, "clicks", [_click("home", 64)])  # watermark 59 s: still open
    await clock.advance(1)
    assert await _read_all(kinesis, "counts") == []
    await _put(kinesis, "clicks", [_click("home", 66)])  # watermark 61 s: closes [0, 60)
    await clock.advance(1)
    out = await _read_all(kinesis, "counts")
    assert [(r["page"], r["n"], r["avg_ms"]) for r in out] == [("cart", 1, 10.0), ("home", 2, 20.0)]
    assert (
        out[0]["window_start"].endswith(":00.000") and out[0]["window_end"] > out[0]["window_start"]
    )
    job = eng.service("kinesisanalyticsv2").job_of("clicks-app")
    assert job.status()["buffered_rows"] == 2  # the closed window's rows were released


async def test_late_events_are_dropped_and_counted(eng, clock):
    kinesis = await _streams(eng, "clicks", "counts")
    await _flink_app(eng, clock, FLINK_TUMBLE)
    await _put(kinesis, "clicks", [_click("home", 10), _click("home", 70)])
    await clock.advance(1)
    await _put(kinesis, "clicks", [_click("home", 30), _click("home", 62)])  # 30 s is late
    await clock.advance(1)
    job = eng.service("kinesisanalyticsv2").job_of("clicks-app")
    assert job.late == 1
    await _put(kinesis, "clicks", [_click("home", 200)])
    await clock.advance(1)
    out = await _read_all(kinesis, "counts")
    assert [r["n"] for r in out] == [1, 2]


async def test_hopping_and_session_windows(eng, clock):
    kinesis = await _streams(eng, "clicks", "hops", "sessions")
    code = (
        FLINK_TUMBLE.split("CREATE TABLE counts")[0]
        + """
CREATE TABLE hops (page VARCHAR) WITH ('connector' = 'kinesis', 'stream' = 'hops');
CREATE TABLE sessions (page VARCHAR) WITH ('connector' = 'kinesis', 'stream' = 'sessions');
INSERT INTO hops SELECT HOP_START(ts, INTERVAL '30' SECOND, INTERVAL '1' MINUTE) AS ws, COUNT(*) AS n
FROM clicks GROUP BY HOP(ts, INTERVAL '30' SECOND, INTERVAL '1' MINUTE);
INSERT INTO sessions SELECT window_start, window_end, page, COUNT(*) AS n
FROM TABLE(SESSION(TABLE clicks PARTITION BY page, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, page;
"""
    )
    await _flink_app(eng, clock, code)
    await _put(
        kinesis,
        "clicks",
        [_click("a", 1), _click("a", 5), _click("b", 8), _click("a", 40), _click("a", 45)],
    )
    await clock.advance(1)
    await _put(kinesis, "clicks", [_click("z", 200)])
    await clock.advance(1)
    hops = await _read_all(kinesis, "hops")
    assert [r["n"] for r in hops] == [3, 5, 2]  # [-30,30) [0,60) [30,90)
    sessions = await _read_all(kinesis, "sessions")
    assert [(r["page"], r["n"]) for r in sessions] == [("a", 2), ("b", 1), ("a", 2)] or sorted(
        (r["page"], r["n"]) for r in sessions
    ) == [("a", 2), ("a", 2), ("b", 1)]


async def test_same_input_gives_the_same_output_once(eng, clock):
    kinesis = await _streams(eng, "clicks", "counts")
    await _flink_app(eng, clock, FLINK_TUMBLE)
    for second in range(0, 300, 7):
        await _put(kinesis, "clicks", [_click(f"p{second % 3}", second)])
        await clock.advance(0.5)
    out = await _read_all(kinesis, "counts")
    keys = [(r["window_start"], r["page"]) for r in out]
    assert len(keys) == len(set(keys))
    assert sum(r["n"] for r in out) == len([s for s in range(0, 300, 7) if s < 240])


async def test_bad_sql_names_line_and_token(eng, clock):
    kda = eng.client("kinesisanalyticsv2")
    with pytest.raises(ServiceError) as error:
        await kda.create_application(
            ApplicationName="bad",
            RuntimeEnvironment="FLINK-1_19",
            ServiceExecutionRole=ROLE,
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {
                    "CodeContent": {
                        "TextContent": "CREATE TABLE t (a INT) WITH ('connector'='kinesis', 'stream'='s');\nINSERT INTO t SELECT a FROM t WHERE (a > 1;"
                    },
                    "CodeContentType": "PLAINTEXT",
                }
            },
        )
    assert error.value.code == "CodeValidationException"
    assert "line 2" in error.value.message and "Encountered" in error.value.message
    assert (await kda.list_applications())["ApplicationSummaries"] == []


async def test_metrics_topology_and_trace(eng, clock):
    kinesis = await _streams(eng, "clicks", "counts")
    cloudwatch = eng.client("cloudwatch")
    await cloudwatch.list_metrics()  # starts the collector
    events = eng.trace.record()
    await _flink_app(eng, clock, FLINK_TUMBLE)
    await _put(kinesis, "clicks", [_click("home", 1), _click("home", 70)])
    await clock.advance(61)
    got = await cloudwatch.get_metric_statistics(
        Namespace="AWS/KinesisAnalytics",
        MetricName="numRecordsIn",
        Dimensions=[{"Name": "Application", "Value": "clicks-app"}],
        StartTime=clock.datetime() - timedelta(hours=1),
        EndTime=clock.datetime(),
        Period=60,
        Statistics=["Sum"],
    )
    assert sum(p["Sum"] for p in got["Datapoints"]) == 2
    topology = eng.topology()
    node = next(n for n in topology.nodes if n.kind == "analytics-application")
    assert node.counters["received"] == 2 and node.counters["emitted"] == 1
    assert node.counters["open_windows"] == 1
    kinds = {(e.source, e.target, e.kind) for e in topology.edges if "analytics" in e.kind}
    assert {k[2] for k in kinds} == {"analytics-input", "analytics-output"}
    assert "window-closed" in {e.kind for e in events.events}


async def test_a_window_result_is_a_journey_hop(eng, clock):
    kinesis = await _streams(eng, "clicks", "counts")
    events = eng.trace.record()
    await _flink_app(eng, clock, FLINK_TUMBLE)
    await _put(kinesis, "clicks", [_click("home", 1), _click("home", 70)])
    await clock.advance(1)
    closed = next(e for e in events.events if e.kind == "window-closed")
    journey = events.journey(closed.trace_id)
    kinds = [(e.service, e.kind) for e in journey]
    assert ("kinesisanalyticsv2", "window-closed") in kinds
    assert ("kinesis", "put") in kinds  # the result record on the output stream
    assert ("kinesisanalyticsv2", "delivered") in kinds


async def test_records_that_are_not_json_are_rejected_not_fatal(eng, clock):
    kinesis = await _streams(eng, "clicks", "counts")
    await _flink_app(eng, clock, FLINK_TUMBLE)
    await kinesis.put_records(
        StreamName="clicks",
        Records=[
            {"Data": b"not json {", "PartitionKey": "k"},
            {"Data": b"\xff\xfe not UTF-8", "PartitionKey": "k"},
            {"Data": json.dumps({"page": "home", "ms": 1}).encode(), "PartitionKey": "k"},  # no ts
            {"Data": json.dumps(_click("home", 1)).encode(), "PartitionKey": "k"},
        ],
    )
    await clock.advance(1)
    job = eng.service("kinesisanalyticsv2").job_of("clicks-app")
    assert job.invalid == 3 and job.records_in == 4
    assert job.status()["buffered_rows"] == 1
