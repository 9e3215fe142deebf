"""CloudWatch Logs log groups, CloudWatch alarms and Secrets Manager secrets."""

from __future__ import annotations

import json
from typing import Any

from .base import Outcome, Provider, Request, ignore_missing, tag_list, tag_map


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


PROVIDERS = (LogGroupProvider, AlarmProvider, SecretProvider)
