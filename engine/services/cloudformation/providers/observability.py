"""CloudWatch Logs log groups, streams and filters, CloudWatch alarms (metric and composite),
Secrets Manager secrets and their resource policies."""

from __future__ import annotations

import abc
import json
from typing import Any

from .base import Outcome, Provider, Request, ignore_missing, json_text, tag_list, tag_map


class LogGroupProvider(Provider):
    """AWS::Logs::LogGroup — Ref: the log group name; GetAtt: Arn."""

    type_name = "AWS::Logs::LogGroup"
    name_property = "LogGroupName"
    name_max = 512
    requires = "logs"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        await self.call(
            "logs",
            "create_log_group",
            {
                "logGroupName": name,
                "tags": tag_map(props) or None,
                "kmsKeyId": props.get("KmsKeyId"),
            },
        )
        if "RetentionInDays" in props:
            await self.client("logs").put_retention_policy(
                logGroupName=name, retentionInDays=int(props["RetentionInDays"])
            )
        return Outcome(name, {"Arn": self.arn("logs", f"log-group:{name}:*")})

    async def update(self, request: Request) -> Outcome:
        props = request.properties
        logs = self.client("logs")
        if "RetentionInDays" in props:
            await logs.put_retention_policy(
                logGroupName=request.physical_id, retentionInDays=int(props["RetentionInDays"])
            )
        elif "RetentionInDays" in request.previous:
            await logs.delete_retention_policy(logGroupName=request.physical_id)
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("logs").delete_log_group(logGroupName=request.physical_id))


class AlarmProvider(Provider):
    """AWS::CloudWatch::Alarm — Ref: the alarm name; GetAtt: Arn."""

    type_name = "AWS::CloudWatch::Alarm"
    name_property = "AlarmName"
    name_max = 255
    requires = "cloudwatch"

    async def create(self, request: Request) -> Outcome:
        name = self.name(request)
        await self._put(request.properties, name)
        return Outcome(name, {"Arn": self.arn("cloudwatch", f"alarm:{name}")})

    async def _put(self, props: dict[str, Any], name: str) -> None:
        params = {**props, "AlarmName": name, "Tags": tag_list(props) or None}
        for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
            if key in params:
                params[key] = int(params[key])
        if "Threshold" in params:
            params["Threshold"] = float(params["Threshold"])
        await self.call("cloudwatch", "put_metric_alarm", params)

    async def update(self, request: Request) -> Outcome:
        await self._put(request.properties, request.physical_id)
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("cloudwatch").delete_alarms(AlarmNames=[request.physical_id])
        )


class SecretProvider(Provider):
    """AWS::SecretsManager::Secret — Ref: the secret ARN; GetAtt: Id."""

    type_name = "AWS::SecretsManager::Secret"
    name_property = "Name"
    name_max = 256
    requires = "secretsmanager"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        params: dict[str, Any] = {
            "Name": name,
            "Description": props.get("Description"),
            "KmsKeyId": props.get("KmsKeyId"),
            "Tags": tag_list(props, stack=request) or None,
        }
        if "SecretString" in props:
            params["SecretString"] = props["SecretString"]
        else:
            params["SecretString"] = await self._generate(props.get("GenerateSecretString") or {})
        result = await self.call("secretsmanager", "create_secret", params)
        return Outcome(result["ARN"], {"Id": result["ARN"]})

    async def _generate(self, spec: dict[str, Any]) -> str:
        options = {
            k: v for k, v in spec.items() if k not in ("SecretStringTemplate", "GenerateStringKey")
        }
        for key in ("PasswordLength",):
            if key in options:
                options[key] = int(options[key])
        password = (await self.call("secretsmanager", "get_random_password", options))[
            "RandomPassword"
        ]
        if "SecretStringTemplate" in spec and "GenerateStringKey" in spec:
            document = json.loads(spec["SecretStringTemplate"])
            document[spec["GenerateStringKey"]] = password
            return json.dumps(document)
        return password

    async def update(self, request: Request) -> Outcome:
        props, old = request.properties, request.previous
        params: dict[str, Any] = {
            "SecretId": request.physical_id,
            "Description": props.get("Description"),
        }
        if props.get("SecretString") != old.get("SecretString") and "SecretString" in props:
            params["SecretString"] = props["SecretString"]
        await self.call("secretsmanager", "update_secret", params)
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("secretsmanager").delete_secret(
                SecretId=request.physical_id, ForceDeleteWithoutRecovery=True
            )
        )


class LogStreamProvider(Provider):
    """AWS::Logs::LogStream — Ref: the log stream name."""

    type_name = "AWS::Logs::LogStream"
    name_property = "LogStreamName"
    name_max = 512
    requires = "logs"

    async def create(self, request: Request) -> Outcome:
        name = self.name(request)
        await self.client("logs").create_log_stream(
            logGroupName=request.properties["LogGroupName"], logStreamName=name
        )
        return Outcome(name)

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("logs").delete_log_stream(
                logGroupName=request.properties["LogGroupName"], logStreamName=request.physical_id
            )
        )


class _LogFilterProvider(Provider):
    """What metric and subscription filters share: a Put on create and update, Ref the name."""

    name_property = "FilterName"
    name_max = 512
    requires = "logs"
    #: The Logs operations that put and delete this kind of filter.
    put_operation = ""
    delete_operation = ""

    @abc.abstractmethod
    def members(self, props: dict[str, Any]) -> dict[str, Any]:
        """The Put call's members beside the log group, filter name and pattern."""

    async def create(self, request: Request) -> Outcome:
        return await self._put(request, self.name(request))

    async def update(self, request: Request) -> Outcome:
        return await self._put(request, request.physical_id)

    async def _put(self, request: Request, name: str) -> Outcome:
        props = request.properties
        params = {
            "logGroupName": props["LogGroupName"],
            "filterName": name,
            "filterPattern": props.get("FilterPattern", ""),
            **self.members(props),
        }
        await self.call("logs", self.put_operation, params)
        return Outcome(name)

    async def delete(self, request: Request) -> None:
        delete = getattr(self.client("logs"), self.delete_operation)
        await ignore_missing(
            delete(logGroupName=request.properties["LogGroupName"], filterName=request.physical_id)
        )


class MetricFilterProvider(_LogFilterProvider):
    """AWS::Logs::MetricFilter — Ref: the filter name."""

    type_name = "AWS::Logs::MetricFilter"
    put_operation = "put_metric_filter"
    delete_operation = "delete_metric_filter"

    def members(self, props: dict[str, Any]) -> dict[str, Any]:
        transformations = [
            {key[:1].lower() + key[1:]: value for key, value in t.items()}
            for t in props.get("MetricTransformations") or []
        ]
        return {"metricTransformations": transformations}


class SubscriptionFilterProvider(_LogFilterProvider):
    """AWS::Logs::SubscriptionFilter — Ref: the filter name."""

    type_name = "AWS::Logs::SubscriptionFilter"
    put_operation = "put_subscription_filter"
    delete_operation = "delete_subscription_filter"

    def members(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "destinationArn": props["DestinationArn"],
            "roleArn": props.get("RoleArn"),
            "distribution": props.get("Distribution"),
        }


class CompositeAlarmProvider(Provider):
    """AWS::CloudWatch::CompositeAlarm — Ref: the alarm name; GetAtt: Arn."""

    type_name = "AWS::CloudWatch::CompositeAlarm"
    name_property = "AlarmName"
    name_max = 255
    requires = "cloudwatch"

    async def create(self, request: Request) -> Outcome:
        return await self._put(request, self.name(request))

    async def update(self, request: Request) -> Outcome:
        return await self._put(request, request.physical_id)

    async def _put(self, request: Request, name: str) -> Outcome:
        props = request.properties
        params = {**props, "AlarmName": name, "Tags": tag_list(props) or None}
        await self.call("cloudwatch", "put_composite_alarm", params)
        return Outcome(name, {"Arn": self.arn("cloudwatch", f"alarm:{name}")})

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("cloudwatch").delete_alarms(AlarmNames=[request.physical_id])
        )


class SecretPolicyProvider(Provider):
    """AWS::SecretsManager::ResourcePolicy — Ref: the secret's ARN; GetAtt: Id."""

    type_name = "AWS::SecretsManager::ResourcePolicy"
    requires = "secretsmanager"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        made = await self.call(
            "secretsmanager",
            "put_resource_policy",
            {
                "SecretId": props["SecretId"],
                "ResourcePolicy": json_text(props["ResourcePolicy"]),
                "BlockPublicPolicy": props.get("BlockPublicPolicy"),
            },
        )
        return Outcome(made["ARN"], {"Id": made["ARN"]})

    async def update(self, request: Request) -> Outcome:
        return await self.create(request)

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("secretsmanager").delete_resource_policy(SecretId=request.physical_id)
        )


PROVIDERS = (
    LogGroupProvider,
    LogStreamProvider,
    MetricFilterProvider,
    SubscriptionFilterProvider,
    AlarmProvider,
    CompositeAlarmProvider,
    SecretProvider,
    SecretPolicyProvider,
)
