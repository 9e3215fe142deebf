"""Export steps for the operational resources the flow map draws: log groups, alarms, secrets,
EventBridge Scheduler schedules and Firehose delivery streams.

Secrets are exported with a generated value (`GenerateSecretString`), never their stored one: a
template is a file people share, and the copy in AWS should get its own secret.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from .export_naming import logical_name

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
        logical_id = x.add(logical_name(name, "LogGroup"), "AWS::Logs::LogGroup", props)
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
            logical_id = x.add(logical_name(alarm["AlarmName"], "Alarm"), kind, props)
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
        logical_id = x.add(
            logical_name(secret["Name"], "Secret"), "AWS::SecretsManager::Secret", props
        )
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
                    logical_name(group, "ScheduleGroup"),
                    "AWS::Scheduler::ScheduleGroup",
                    {"Name": group},
                )
            props["GroupName"] = {"Ref": groups[group]}
        x.add(logical_name(schedule["Name"], "Schedule"), "AWS::Scheduler::Schedule", props)


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
            logical_name(name, "DeliveryStream"), "AWS::KinesisFirehose::DeliveryStream", props
        )
        x.known(name, logical_id)
        x.known(described["DeliveryStreamARN"], logical_id, "Arn")


async def usage_plans(x: Exporter) -> None:
    """AWS::ApiGateway::UsagePlan per plan with its stages, and its API keys (values generated)."""
    if x.service("apigateway") is None:
        return
    apigw = x.engine.client("apigateway")
    keys: dict[str, str] = {}
    for key in (await apigw.get_api_keys()).get("items", []):
        if not x.wanted(key["id"], key["name"]):
            continue
        # No Value: a template never carries a key, and the copy gets a new one.
        props: dict[str, Any] = {"Name": key["name"], "Enabled": bool(key.get("enabled", True))}
        if key.get("description"):
            props["Description"] = key["description"]
        keys[key["id"]] = x.add(
            logical_name(key["name"], "ApiKey"), "AWS::ApiGateway::ApiKey", props
        )
    for plan in (await apigw.get_usage_plans()).get("items", []):
        if not x.wanted(plan["id"], plan["name"]):
            continue
        stages, depends = [], []
        for entry in plan.get("apiStages", []):
            api = x.index.get(entry["apiId"])
            stage = x.index.get(f"{entry['apiId']}/{entry['stage']}")
            if api is None or stage is None:
                continue  # a stage the export does not hold
            stages.append({"ApiId": {"Ref": api[0]}, "Stage": entry["stage"]})
            depends.append(stage[0])
        props = {"UsagePlanName": plan["name"], "ApiStages": stages}
        if plan.get("description"):
            props["Description"] = plan["description"]
        for source, target, fields in (
            ("throttle", "Throttle", (("burstLimit", "BurstLimit"), ("rateLimit", "RateLimit"))),
            (
                "quota",
                "Quota",
                (("limit", "Limit"), ("offset", "Offset"), ("period", "Period")),
            ),
        ):
            values = plan.get(source) or {}
            chosen = {name: values[key] for key, name in fields if key in values}
            if chosen:
                props[target] = chosen
        logical_id = x.add(
            logical_name(plan["name"], "UsagePlan"), "AWS::ApiGateway::UsagePlan", props
        )
        if depends:
            x.resources[logical_id]["DependsOn"] = depends
        plan_keys = (await apigw.get_usage_plan_keys(usagePlanId=plan["id"])).get("items", [])
        for plan_key in plan_keys:
            key_logical = keys.get(plan_key["id"])
            if key_logical is not None:
                x.add(
                    f"{logical_id}{key_logical}",
                    "AWS::ApiGateway::UsagePlanKey",
                    {
                        "KeyId": {"Ref": key_logical},
                        "KeyType": "API_KEY",
                        "UsagePlanId": {"Ref": logical_id},
                    },
                )
