"""Step Functions state machines (Definition, DefinitionString, DefinitionS3Location,
DefinitionSubstitutions), their versions and aliases, and activities."""

from __future__ import annotations

import json
from typing import Any

from engine.errors import ServiceError

from ..intrinsics import substitute
from .base import Outcome, Provider, Request, ignore_missing, tag_list


def _tags(props: dict[str, Any]) -> list[dict[str, str]] | None:
    tags = tag_list(props)
    return [{"key": t["Key"], "value": t["Value"]} for t in tags] or None


class StateMachineProvider(Provider):
    """AWS::StepFunctions::StateMachine — Ref: the ARN; GetAtt: Arn, Name, StateMachineRevisionId."""

    type_name = "AWS::StepFunctions::StateMachine"
    name_property = "StateMachineName"
    name_max = 80

    def definition(self, props: dict[str, Any]) -> str:
        """The ASL text, with DefinitionSubstitutions applied."""
        if "Definition" in props:
            text = json.dumps(props["Definition"])
        elif "DefinitionString" in props:
            text = str(props["DefinitionString"])
        elif "DefinitionS3Location" in props:
            location = props["DefinitionS3Location"]
            s3: Any = self.engine.service("s3")
            text = s3.get_object_internal(location["Bucket"], location["Key"]).decode()
        else:
            raise ServiceError(
                "ValidationError",
                "A state machine needs Definition, DefinitionString or DefinitionS3Location",
            )
        substitutions = props.get("DefinitionSubstitutions") or {}
        if substitutions:
            values = {
                k: v if isinstance(v, str) else json.dumps(v) for k, v in substitutions.items()
            }
            text = substitute(text, lambda name: values.get(name, "${" + name + "}"))
        return text

    def _params(self, props: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"definition": self.definition(props), "roleArn": props["RoleArn"]}
        if "LoggingConfiguration" in props:
            params["loggingConfiguration"] = _lower_keys(props["LoggingConfiguration"])
        if "TracingConfiguration" in props:
            params["tracingConfiguration"] = _lower_keys(props["TracingConfiguration"])
        return params

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        params = {
            **self._params(props),
            "name": name,
            "type": props.get("StateMachineType", "STANDARD"),
            "tags": _tags(props),
        }
        result = await self.call("stepfunctions", "create_state_machine", params)
        arn = result["stateMachineArn"]
        return Outcome(
            arn,
            {
                "Arn": arn,
                "Name": name,
                "StateMachineRevisionId": result.get("stateMachineVersionArn", arn),
            },
        )

    async def update(self, request: Request) -> Outcome:
        await self.call(
            "stepfunctions",
            "update_state_machine",
            {**self._params(request.properties), "stateMachineArn": request.physical_id},
        )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("stepfunctions").delete_state_machine(stateMachineArn=request.physical_id)
        )


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


class ActivityProvider(Provider):
    """AWS::StepFunctions::Activity — Ref: the activity ARN; GetAtt: Arn, Name."""

    type_name = "AWS::StepFunctions::Activity"
    name_property = "Name"
    name_max = 80

    async def create(self, request: Request) -> Outcome:
        name = self.name(request)
        result = await self.call(
            "stepfunctions", "create_activity", {"name": name, "tags": _tags(request.properties)}
        )
        return Outcome(result["activityArn"], {"Arn": result["activityArn"], "Name": name})

    async def update(self, request: Request) -> Outcome:
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("stepfunctions").delete_activity(activityArn=request.physical_id)
        )


class StateMachineVersionProvider(Provider):
    """AWS::StepFunctions::StateMachineVersion — Ref: the version ARN; GetAtt: Arn."""

    type_name = "AWS::StepFunctions::StateMachineVersion"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        made = await self.call(
            "stepfunctions",
            "publish_state_machine_version",
            {
                "stateMachineArn": props["StateMachineArn"],
                "revisionId": props.get("StateMachineRevisionId"),
                "description": props.get("Description"),
            },
        )
        arn = made["stateMachineVersionArn"]
        return Outcome(arn, {"Arn": arn})

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("stepfunctions").delete_state_machine_version(
                stateMachineVersionArn=request.physical_id
            )
        )


class StateMachineAliasProvider(Provider):
    """AWS::StepFunctions::StateMachineAlias — Ref: the alias ARN; GetAtt: Arn."""

    type_name = "AWS::StepFunctions::StateMachineAlias"
    name_property = "Name"
    name_max = 80

    @staticmethod
    def _routing(props: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"stateMachineVersionArn": r["StateMachineVersionArn"], "weight": int(r["Weight"])}
            for r in props.get("RoutingConfiguration") or []
        ]

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        made = await self.call(
            "stepfunctions",
            "create_state_machine_alias",
            {
                "name": self.name(request),
                "description": props.get("Description"),
                "routingConfiguration": self._routing(props),
            },
        )
        arn = made["stateMachineAliasArn"]
        return Outcome(arn, {"Arn": arn})

    async def update(self, request: Request) -> Outcome:
        props = request.properties
        await self.call(
            "stepfunctions",
            "update_state_machine_alias",
            {
                "stateMachineAliasArn": request.physical_id,
                "description": props.get("Description"),
                "routingConfiguration": self._routing(props),
            },
        )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("stepfunctions").delete_state_machine_alias(
                stateMachineAliasArn=request.physical_id
            )
        )


PROVIDERS = (
    StateMachineProvider,
    StateMachineVersionProvider,
    StateMachineAliasProvider,
    ActivityProvider,
)
