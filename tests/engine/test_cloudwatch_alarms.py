"""CloudWatch alarms on the engine clock: service metrics, M of N, missing data, SNS and EventBridge."""

from __future__ import annotations

import json

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)


async def _queue_messages(sqs, url: str) -> list[dict]:
    return (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]


async def test_sqs_metrics_come_from_the_engine_counters(eng, clock):
    cw, sqs = eng.client("cloudwatch"), eng.client("sqs")
    await cw.list_metrics()  # start collecting
    url = (await sqs.create_queue(QueueName="orders"))["QueueUrl"]
    for i in range(5):
        await sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    received = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2))["Messages"]
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])
    await clock.advance(61)
    dims = {"QueueName": "orders"}
    service = eng.service("cloudwatch")
    end = clock.now() + 60

    def value(name, stat="Sum"):
        points = service.statistics("AWS/SQS", name, dims, 0, end, 60, stat)
        return points[-1][1] if points else None

    assert value("NumberOfMessagesSent") == 5
    assert value("NumberOfMessagesReceived") == 2
    assert value("NumberOfMessagesDeleted") == 1
    # The received, undeleted message came back after its 30 s visibility timeout.
    assert value("ApproximateNumberOfMessagesVisible", "Maximum") == 4
    assert value("ApproximateNumberOfMessagesNotVisible", "Maximum") == 0
    assert value("ApproximateAgeOfOldestMessage", "Maximum") >= 30
    names = {m["MetricName"] for m in (await cw.list_metrics(Namespace="AWS/SQS"))["Metrics"]}
    assert "ApproximateNumberOfMessagesVisible" in names


async def test_alarm_fires_to_sns_and_eventbridge_and_recovers(eng, clock):
    cw, sqs, sns, events = (eng.client(n) for n in ("cloudwatch", "sqs", "sns", "events"))
    backlog = (await sqs.create_queue(QueueName="backlog"))["QueueUrl"]
    inbox = (await sqs.create_queue(QueueName="inbox"))["QueueUrl"]
    inbox_arn = (await sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    bus_inbox = (await sqs.create_queue(QueueName="bus-inbox"))["QueueUrl"]
    bus_arn = (await sqs.get_queue_attributes(QueueUrl=bus_inbox, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    topic = (await sns.create_topic(Name="alerts"))["TopicArn"]
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=inbox_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    await events.put_rule(
        Name="alarms",
        EventPattern=json.dumps(
            {"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"]}
        ),
    )
    await events.put_targets(Rule="alarms", Targets=[{"Id": "q", "Arn": bus_arn}])
    await cw.put_metric_alarm(
        AlarmName="backlog-high",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": "backlog"}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=2,
        DatapointsToAlarm=2,
        Threshold=3,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[topic],
        OKActions=[topic],
        TreatMissingData="notBreaching",
    )
    [alarm] = (await cw.describe_alarms(AlarmNames=["backlog-high"]))["MetricAlarms"]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    for i in range(5):
        await sqs.send_message(QueueUrl=backlog, MessageBody=str(i))
    await clock.advance(60 * 4)
    [alarm] = (await cw.describe_alarms(AlarmNames=["backlog-high"]))["MetricAlarms"]
    assert alarm["StateValue"] == "ALARM"
    notification = json.loads((await _queue_messages(sqs, inbox))[-1]["Body"])
    assert notification["NewStateValue"] == "ALARM" and notification["AlarmName"] == "backlog-high"
    assert notification["Trigger"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    bus_events = [json.loads(m["Body"]) for m in await _queue_messages(sqs, bus_inbox)]
    assert any(
        e["detail"]["state"]["value"] == "ALARM" and e["source"] == "aws.cloudwatch"
        for e in bus_events
    )
    await sqs.purge_queue(QueueUrl=backlog)
    await clock.advance(60 * 3)
    [alarm] = (await cw.describe_alarms(AlarmNames=["backlog-high"]))["MetricAlarms"]
    assert alarm["StateValue"] == "OK"
    history = (
        await cw.describe_alarm_history(AlarmName="backlog-high", HistoryItemType="StateUpdate")
    )["AlarmHistoryItems"]
    # notBreaching: the empty minutes before the first sample already counted as OK.
    assert [h["HistorySummary"] for h in history] == [
        "Alarm updated from ALARM to OK",
        "Alarm updated from OK to ALARM",
        "Alarm updated from INSUFFICIENT_DATA to OK",
    ]


async def test_missing_data_treatments_and_set_alarm_state(eng, clock):
    cw = eng.client("cloudwatch")
    common = dict(
        Namespace="Lab",
        MetricName="Silent",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    for treat in ("missing", "breaching", "notBreaching", "ignore"):
        await cw.put_metric_alarm(AlarmName=treat, TreatMissingData=treat, **common)
    await clock.advance(120)
    states = {a["AlarmName"]: a["StateValue"] for a in (await cw.describe_alarms())["MetricAlarms"]}
    assert states == {
        "missing": "INSUFFICIENT_DATA",
        "breaching": "ALARM",
        "notBreaching": "OK",
        "ignore": "INSUFFICIENT_DATA",
    }
    await cw.set_alarm_state(AlarmName="ignore", StateValue="ALARM", StateReason="testing")
    assert (await cw.describe_alarms(StateValue="ALARM"))["MetricAlarms"][1][
        "StateReason"
    ] == "testing"
    await cw.put_composite_alarm(AlarmName="both", AlarmRule='ALARM("breaching") AND ALARM(ignore)')
    [composite] = (await cw.describe_alarms(AlarmTypes=["CompositeAlarm"]))["CompositeAlarms"]
    assert composite["StateValue"] == "ALARM"
    with pytest.raises(ServiceError) as error:
        await cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
    assert error.value.code == "ResourceNotFound"
    await cw.delete_alarms(AlarmNames=["missing", "breaching", "notBreaching", "ignore", "both"])
    assert (await cw.describe_alarms())["MetricAlarms"] == []


async def test_composite_alarm_notifies_with_its_triggering_child(eng, clock):
    cw, sns, sqs = eng.client("cloudwatch"), eng.client("sns"), eng.client("sqs")
    topic = (await sns.create_topic(Name="composite"))["TopicArn"]
    url = (await sqs.create_queue(QueueName="inbox"))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    await sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    common = dict(
        Namespace="Lab",
        MetricName="m",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    await cw.put_metric_alarm(AlarmName="a", **common)
    await cw.put_metric_alarm(AlarmName="b", **common)
    await cw.put_composite_alarm(
        AlarmName="c",
        AlarmRule='ALARM("a") OR ALARM("b")',
        AlarmActions=[topic],
        AlarmDescription="either",
    )
    await cw.set_alarm_state(AlarmName="b", StateValue="ALARM", StateReason="test")
    await clock.advance(1)
    message = json.loads((await _queue_messages(sqs, url))[0]["Body"])
    assert message["NewStateValue"] == "ALARM" and message["AlarmDescription"] == "either"
    assert message["TriggeringChildren"][0]["Arn"].endswith(":alarm:b")
    assert "DatapointsToAlarm" not in json.dumps(message)


async def test_breaching_missing_data_reason_and_enum_errors(eng, clock):
    cw = eng.client("cloudwatch")
    await cw.put_metric_alarm(
        AlarmName="b",
        Namespace="Lab",
        MetricName="m",
        Statistic="Average",
        Period=60,
        Unit="Seconds",
        EvaluationPeriods=2,
        Threshold=2,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="breaching",
    )
    await clock.advance(120)
    [alarm] = (await cw.describe_alarms(AlarmNames=["b"]))["MetricAlarms"]
    assert alarm["StateReason"] == (
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints "
        "were treated as [Breaching]."
    )
    data = json.loads(alarm["StateReasonData"])
    assert data["unit"] == "Seconds" and len(data["evaluatedDatapoints"]) == 2
    with pytest.raises(ServiceError) as error:
        await cw.set_alarm_state(AlarmName="b", StateValue="INVALID", StateReason="x")
    assert error.value.code == "ValidationError"
    assert error.value.message.endswith("[INSUFFICIENT_DATA, ALARM, OK]")
