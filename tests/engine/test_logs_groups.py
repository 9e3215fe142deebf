"""CloudWatch Logs: groups, streams, PutLogEvents validation, reading, retention, filters, Insights."""

from __future__ import annotations

import base64
import gzip
import json
import re

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)


def ms(clock, offset: float = 0.0) -> int:
    return int((clock.now() + offset) * 1000)


async def _group(logs, name="app", stream="s1"):
    await logs.create_log_group(
        logGroupName=name, kmsKeyId="arn:aws:kms:us-east-1:123456789012:key/k", tags={"team": "a"}
    )
    await logs.create_log_stream(logGroupName=name, logStreamName=stream)


async def test_groups_streams_and_tags(eng):
    logs = eng.client("logs")
    await _group(logs)
    with pytest.raises(ServiceError) as error:
        await logs.create_log_group(logGroupName="app")
    assert error.value.code == "ResourceAlreadyExistsException"
    [group] = (await logs.describe_log_groups(logGroupNamePrefix="ap"))["logGroups"]
    assert group["arn"] == "arn:aws:logs:us-east-1:123456789012:log-group:app:*"
    assert group["kmsKeyId"].endswith("key/k") and group["logGroupClass"] == "STANDARD"
    assert (await logs.list_tags_for_resource(resourceArn=group["logGroupArn"]))["tags"] == {
        "team": "a"
    }
    with pytest.raises(ServiceError) as error:
        await logs.describe_log_groups(logGroupNamePrefix="a", logGroupNamePattern="b")
    assert error.value.code == "InvalidParameterException"
    with pytest.raises(ServiceError) as error:
        await logs.put_retention_policy(logGroupName="app", retentionInDays=2)
    assert error.value.code == "InvalidParameterException"
    with pytest.raises(ServiceError) as error:
        await logs.create_log_stream(logGroupName="nope", logStreamName="x")
    assert error.value.message == "The specified log group does not exist."
    await logs.delete_log_group(logGroupName="app")
    assert (await logs.describe_log_groups())["logGroups"] == []


async def test_put_log_events_validation_and_rejections(eng, clock):
    logs = eng.client("logs")
    await _group(logs)
    with pytest.raises(ServiceError) as error:
        await logs.put_log_events(
            logGroupName="app",
            logStreamName="s1",
            logEvents=[
                {"timestamp": ms(clock, 1), "message": "b"},
                {"timestamp": ms(clock), "message": "a"},
            ],
        )
    assert "chronological order" in error.value.message
    with pytest.raises(ServiceError) as error:
        await logs.put_log_events(
            logGroupName="app",
            logStreamName="s1",
            logEvents=[
                {"timestamp": ms(clock, -2 * 86400), "message": "a"},
                {"timestamp": ms(clock), "message": "b"},
            ],
        )
    assert "24 hours" in error.value.message
    result = await logs.put_log_events(
        logGroupName="app",
        logStreamName="s1",
        logEvents=[{"timestamp": ms(clock, -15 * 86400), "message": "too old"}] * 2,
    )
    assert result["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    result = await logs.put_log_events(
        logGroupName="app",
        logStreamName="s1",
        logEvents=[
            {"timestamp": ms(clock), "message": "fine"},
            {"timestamp": ms(clock, 3 * 3600), "message": "too new"},
        ],
    )
    assert result["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    events = (await logs.get_log_events(logGroupName="app", logStreamName="s1"))["events"]
    assert [e["message"] for e in events] == ["fine"]


async def test_get_log_events_tokens_and_retention(eng, clock):
    logs = eng.client("logs")
    await _group(logs)
    await logs.put_log_events(
        logGroupName="app",
        logStreamName="s1",
        logEvents=[{"timestamp": ms(clock, i), "message": f"line {i}"} for i in range(10)],
    )
    first = await logs.get_log_events(
        logGroupName="app", logStreamName="s1", startFromHead=True, limit=4
    )
    assert [e["message"] for e in first["events"]] == ["line 0", "line 1", "line 2", "line 3"]
    second = await logs.get_log_events(
        logGroupName="app", logStreamName="s1", nextToken=first["nextForwardToken"], limit=4
    )
    assert [e["message"] for e in second["events"]] == ["line 4", "line 5", "line 6", "line 7"]
    back = await logs.get_log_events(
        logGroupName="app", logStreamName="s1", nextToken=second["nextBackwardToken"], limit=2
    )
    assert [e["message"] for e in back["events"]] == ["line 2", "line 3"]
    tail = await logs.get_log_events(logGroupName="app", logStreamName="s1", limit=2)
    assert [e["message"] for e in tail["events"]] == ["line 8", "line 9"]
    end = await logs.get_log_events(
        logGroupName="app", logStreamName="s1", nextToken=tail["nextForwardToken"]
    )
    assert end["events"] == [] and end["nextForwardToken"] == tail["nextForwardToken"]
    await logs.put_retention_policy(logGroupName="app", retentionInDays=1)
    await clock.advance(86400 + 20)
    assert (await logs.get_log_events(logGroupName="app", logStreamName="s1"))["events"] == []


async def test_filter_log_events_with_patterns(eng, clock):
    logs = eng.client("logs")
    await _group(logs)
    await logs.create_log_stream(logGroupName="app", logStreamName="s2")
    await logs.put_log_events(
        logGroupName="app",
        logStreamName="s1",
        logEvents=[
            {"timestamp": ms(clock), "message": '{"level": "ERROR", "latency": 250}'},
            {"timestamp": ms(clock, 1), "message": '{"level": "INFO", "latency": 20}'},
        ],
    )
    await logs.put_log_events(
        logGroupName="app",
        logStreamName="s2",
        logEvents=[
            {"timestamp": ms(clock, 2), "message": "ERROR plain"},
        ],
    )
    found = await logs.filter_log_events(
        logGroupName="app", filterPattern='{ $.level = "ERROR" && $.latency > 100 }'
    )
    assert [(e["logStreamName"], e["message"]) for e in found["events"]] == [
        ("s1", '{"level": "ERROR", "latency": 250}')
    ]
    found = await logs.filter_log_events(
        logGroupName="app", filterPattern="ERROR", logStreamNamePrefix="s2"
    )
    assert [e["message"] for e in found["events"]] == ["ERROR plain"]
    paged = await logs.filter_log_events(logGroupName="app", limit=2)
    rest = await logs.filter_log_events(logGroupName="app", limit=2, nextToken=paged["nextToken"])
    assert len(paged["events"]) == 2 and len(rest["events"]) == 1
    with pytest.raises(ServiceError) as error:
        await logs.filter_log_events(logGroupName="app", filterPattern="{ $.a = }")
    assert error.value.code == "InvalidParameterException"


async def test_metric_filter_feeds_cloudwatch(eng, clock):
    logs, cw = eng.client("logs"), eng.client("cloudwatch")
    await _group(logs)
    await logs.put_metric_filter(
        logGroupName="app",
        filterName="latency",
        filterPattern="{ $.latency > 0 }",
        metricTransformations=[
            {"metricName": "Latency", "metricNamespace": "App", "metricValue": "$.latency"}
        ],
    )
    await logs.put_log_events(
        logGroupName="app",
        logStreamName="s1",
        logEvents=[
            {"timestamp": ms(clock), "message": json.dumps({"latency": 100})},
            {"timestamp": ms(clock), "message": json.dumps({"latency": 300})},
            {"timestamp": ms(clock), "message": "not json"},
        ],
    )
    points = eng.service("cloudwatch").statistics(
        "App", "Latency", {}, 0, clock.now() + 60, 60, "Average"
    )
    assert points and points[0][1] == 200
    [described] = (await logs.describe_metric_filters(logGroupName="app"))["metricFilters"]
    assert described["filterPattern"] == "{ $.latency > 0 }"
    tested = await logs.test_metric_filter(
        filterPattern="[ip, user, status=5*]",
        logEventMessages=["1.2.3.4 bob 503", "1.2.3.4 bob 200"],
    )
    assert tested["matches"] == [
        {
            "eventNumber": 1,
            "eventMessage": "1.2.3.4 bob 503",
            "extractedValues": {"$ip": "1.2.3.4", "$user": "bob", "$status": "503"},
        }
    ]
    assert (await cw.list_metrics(Namespace="App"))["Metrics"][0]["MetricName"] == "Latency"


async def test_subscription_filter_delivers_awslogs_to_lambda(eng, clock):
    logs = eng.client("logs")
    received = []
    arn = eng.register_function("sink", lambda event, context: received.append(event))
    await _group(logs)
    await logs.put_subscription_filter(
        logGroupName="app", filterName="errors", filterPattern="ERROR", destinationArn=arn
    )
    with pytest.raises(ServiceError) as error:
        await logs.put_subscription_filter(
            logGroupName="app",
            filterName="k",
            filterPattern="",
            destinationArn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
        )
    assert "cannot be used without roleArn" in error.value.message
    await logs.put_log_events(
        logGroupName="app",
        logStreamName="s1",
        logEvents=[
            {"timestamp": ms(clock), "message": "ERROR one"},
            {"timestamp": ms(clock), "message": "fine"},
        ],
    )
    await clock.advance(1)
    [event] = received
    payload = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    assert payload["messageType"] == "DATA_MESSAGE" and payload["logGroup"] == "app"
    assert payload["subscriptionFilters"] == ["errors"]
    assert [e["message"] for e in payload["logEvents"]] == ["ERROR one"]


async def test_insights_queries(eng, clock):
    logs = eng.client("logs")
    await _group(logs)
    start = int(clock.now())
    lines = [
        {
            "timestamp": ms(clock, i * 30),
            "message": json.dumps(
                {
                    "level": "ERROR" if i % 3 == 0 else "INFO",
                    "latency": i * 10,
                    "path": "/a" if i % 2 else "/b",
                }
            ),
        }
        for i in range(10)
    ] + [{"timestamp": ms(clock, 400), "message": "user=alice action=login"}]
    await logs.put_log_events(logGroupName="app", logStreamName="s1", logEvents=lines)

    async def run(query: str) -> list[dict]:
        query_id = (
            await logs.start_query(
                logGroupName="app", startTime=start - 10, endTime=start + 600, queryString=query
            )
        )["queryId"]
        result = await logs.get_query_results(queryId=query_id)
        assert result["status"] == "Complete"
        return [
            {c["field"]: c["value"] for c in row if c["field"] != "@ptr"}
            for row in result["results"]
        ]

    rows = await run(
        "fields @timestamp, level, latency | filter level = 'ERROR' and latency >= 30 | sort latency desc | limit 2"
    )
    assert [r["latency"] for r in rows] == ["90", "60"]
    rows = await run(
        "filter ispresent(path) | stats count(*) as n, avg(latency) as mean by path | sort path"
    )
    assert rows == [{"path": "/a", "n": "5", "mean": "50"}, {"path": "/b", "n": "5", "mean": "40"}]
    rows = await run("stats count(*) by bin(2m)")
    assert sum(int(r["count(*)"]) for r in rows) == 11 and len(rows) == 4
    rows = await run(
        "parse @message 'user=* action=*' as user, action | filter ispresent(user) | display user, action"
    )
    assert rows == [{"user": "alice", "action": "login"}]
    with pytest.raises(ServiceError) as error:
        await logs.start_query(
            logGroupName="app", startTime=start, endTime=start + 1, queryString="fields | nonsense("
        )
    assert error.value.code == "MalformedQueryException"


async def test_lambda_logs_land_in_aws_named_groups(eng, clock):
    def handler(event, context):
        print("processing", event["n"])
        if event["n"] == 2:
            raise ValueError("bad input")
        return event["n"]

    eng.register_function("worker", handler)
    lam = eng.client("lambda")
    await lam.invoke(FunctionName="worker", Payload=b'{"n": 1}')  # before the logs service ran
    logs = eng.client("logs")
    await lam.invoke(FunctionName="worker", Payload=b'{"n": 2}')
    [stream] = (await logs.describe_log_streams(logGroupName="/aws/lambda/worker"))["logStreams"]
    assert re.match(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$", stream["logStreamName"])
    messages = [
        e["message"]
        for e in (
            await logs.get_log_events(
                logGroupName="/aws/lambda/worker",
                logStreamName=stream["logStreamName"],
                startFromHead=True,
            )
        )["events"]
    ]
    assert messages[0].startswith("START RequestId: ") and messages[1] == "processing 1"
    assert messages[2].startswith("END RequestId: ") and messages[3].startswith(
        "REPORT RequestId: "
    )
    assert "processing 2" in messages and any(
        m.startswith("[ERROR] ValueError: bad input") for m in messages
    )
    found = await logs.filter_log_events(logGroupName="/aws/lambda/worker", filterPattern="REPORT")
    assert len(found["events"]) == 2


async def test_save_and_open_keep_groups_events_and_alarms(clock):
    from engine import Engine

    async with Engine(clock=clock) as first:
        logs = first.client("logs")
        await _group(logs)
        await logs.put_retention_policy(logGroupName="app", retentionInDays=7)
        await logs.put_log_events(
            logGroupName="app",
            logStreamName="s1",
            logEvents=[{"timestamp": ms(clock), "message": "kept"}],
        )
        await first.client("cloudwatch").put_metric_alarm(
            AlarmName="a",
            Namespace="N",
            MetricName="m",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
        saved = {name: first.service(name).dump() for name in ("logs", "cloudwatch")}
    async with Engine(clock=clock) as second:
        for name, data in saved.items():
            second.service(name).load(data)
        events = (
            await second.client("logs").get_log_events(logGroupName="app", logStreamName="s1")
        )["events"]
        assert [e["message"] for e in events] == ["kept"]
        [group] = (await second.client("logs").describe_log_groups())["logGroups"]
        assert group["retentionInDays"] == 7
        assert (await second.client("cloudwatch").describe_alarms())["MetricAlarms"][0][
            "AlarmName"
        ] == "a"
