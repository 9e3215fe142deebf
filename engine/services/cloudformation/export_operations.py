"""Export steps for the operational resources the flow map draws: log groups, alarms, secrets,
EventBridge Scheduler schedules and Firehose delivery streams.

Secrets are exported with a generated value (`GenerateSecretString`), never their stored one: a
template is a file people share, and the copy in AWS should get its own secret.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .export import Exporter

#: Alarm fields a template sets (DescribeAlarms' other fields are state).
_ALARM_FIELDS = (
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)
_COMPOSITE_FIELDS = (
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "AlarmRule",
)
#: S3 destination fields a template sets (DescribeDeliveryStream reports more).
_S3_FIELDS = (
    "BucketARN",
    "RoleARN",
    "Prefix",
    "ErrorOutputPrefix",
    "BufferingHints",
    "CompressionFormat",
    "CloudWatchLoggingOptions",
)
_SCHEDULE_FIELDS = (
    "Description",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "FlexibleTimeWindow",
    "State",
    "StartDate",
    "EndDate",
)


def _name(text: str, kind: str) -> str:
    from .export import logical_name

    return logical_name(text, kind)


async def log_groups(x: Exporter) -> None:
    """AWS::Logs::LogGroup per log group (with its retention)."""
    if x.service("logs") is None:
        return
    logs = x.engine.client("logs")
    for group in (await logs.describe_log_groups()).get("logGroups", []):
        name = group["logGroupName"]
        if not x.wanted(name, group.get("arn", "")):
            continue
        props: dict[str, Any] = {"LogGroupName": name}
        if group.get("retentionInDays"):
            props["RetentionInDays"] = group["retentionInDays"]
        logical_id = x.add(_name(name, "LogGroup"), "AWS::Logs::LogGroup", props)
        x.known(name, logical_id)


async def alarms(x: Exporter) -> None:
    """AWS::CloudWatch::Alarm and ::CompositeAlarm per alarm, actions referenced."""
    if x.service("cloudwatch") is None:
        return
    described = await x.engine.client("cloudwatch").describe_alarms(
        AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    )
    for kind, fields, entries in (
        ("AWS::CloudWatch::Alarm", _ALARM_FIELDS, described.get("MetricAlarms", [])),
        (
            "AWS::CloudWatch::CompositeAlarm",
            _COMPOSITE_FIELDS,
            described.get("CompositeAlarms", []),
        ),
    ):
        for alarm in entries:
            if not x.wanted(alarm["AlarmName"], alarm["AlarmArn"]):
                continue
            props: dict[str, Any] = {"AlarmName": alarm["AlarmName"]}
            for key in fields:
                if alarm.get(key) not in (None, [], ""):
                    props[key] = x.reference(alarm[key])
            logical_id = x.add(_name(alarm["AlarmName"], "Alarm"), kind, props)
            x.known(alarm["AlarmName"], logical_id)
            x.known(alarm["AlarmArn"], logical_id, "Arn")


async def secrets(x: Exporter) -> None:
    """AWS::SecretsManager::Secret per secret, with a newly generated value."""
    if x.service("secretsmanager") is None:
        return
    listed = await x.engine.client("secretsmanager").list_secrets()
    for secret in listed.get("SecretList", []):
        if secret.get("OwningService") or not x.wanted(secret["Name"], secret["ARN"]):
            continue  # a service's own secret (a connection's credentials) comes with it
        props: dict[str, Any] = {"Name": secret["Name"], "GenerateSecretString": {}}
        if secret.get("Description"):
            props["Description"] = secret["Description"]
        logical_id = x.add(_name(secret["Name"], "Secret"), "AWS::SecretsManager::Secret", props)
        x.known(secret["ARN"], logical_id)


async def schedules(x: Exporter) -> None:
    """AWS::Scheduler::Schedule per schedule (and its group when it is not the default)."""
    if x.service("scheduler") is None:
        return
    scheduler = x.engine.client("scheduler")
    groups: dict[str, str] = {}
    for summary in (await scheduler.list_schedules()).get("Schedules", []):
        if not x.wanted(summary["Name"], summary["Arn"]):
            continue
        group = summary.get("GroupName") or "default"
        schedule = await scheduler.get_schedule(Name=summary["Name"], GroupName=group)
        props: dict[str, Any] = {"Name": schedule["Name"]}
        for key in _SCHEDULE_FIELDS:
            value = schedule.get(key)
            if isinstance(value, datetime):
                value = value.isoformat()
            if value not in (None, ""):
                props[key] = value
        props["Target"] = x.reference(schedule["Target"])
        if group != "default":
            if group not in groups:
                groups[group] = x.add(
                    _name(group, "ScheduleGroup"), "AWS::Scheduler::ScheduleGroup", {"Name": group}
                )
            props["GroupName"] = {"Ref": groups[group]}
        x.add(_name(schedule["Name"], "Schedule"), "AWS::Scheduler::Schedule", props)


async def delivery_streams(x: Exporter) -> None:
    """AWS::KinesisFirehose::DeliveryStream per stream delivering to S3 (direct or from Kinesis)."""
    if x.service("firehose") is None:
        return
    firehose = x.engine.client("firehose")
    for name in (await firehose.list_delivery_streams()).get("DeliveryStreamNames", []):
        described = (await firehose.describe_delivery_stream(DeliveryStreamName=name))[
            "DeliveryStreamDescription"
        ]
        if not x.wanted(name, described["DeliveryStreamARN"]):
            continue
        props: dict[str, Any] = {
            "DeliveryStreamName": name,
            "DeliveryStreamType": described.get("DeliveryStreamType", "DirectPut"),
        }
        source = (described.get("Source") or {}).get("KinesisStreamSourceDescription")
        if source:
            props["KinesisStreamSourceConfiguration"] = x.reference(
                {"KinesisStreamARN": source["KinesisStreamARN"], "RoleARN": source["RoleARN"]}
            )
        for destination in described.get("Destinations", []):
            s3 = destination.get("ExtendedS3DestinationDescription") or destination.get(
                "S3DestinationDescription"
            )
            if s3 is not None:
                config = {k: s3[k] for k in _S3_FIELDS if s3.get(k) not in (None, "")}
                props["ExtendedS3DestinationConfiguration"] = x.reference(config)
        logical_id = x.add(
            _name(name, "DeliveryStream"), "AWS::KinesisFirehose::DeliveryStream", props
        )
        x.known(name, logical_id)
        x.known(described["DeliveryStreamARN"], logical_id, "Arn")
