"""Lambda resources: functions, versions, aliases, permissions, event source mappings and
event invoke configs."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

from .base import Outcome, Provider, Request, ignore_missing, tag_map

_CONFIG_KEYS = (
    "Role",
    "Handler",
    "Description",
    "Timeout",
    "MemorySize",
    "Environment",
    "Runtime",
    "DeadLetterConfig",
    "TracingConfig",
    "EphemeralStorage",
    "LoggingConfig",
    "Layers",
)


def inline_zip(source: str, runtime: str) -> bytes:
    """`Code.ZipFile` source text as the package CloudFormation builds: index.py (or index.js)."""
    name = "index.js" if runtime.startswith("nodejs") else "index.py"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, source)
    return buffer.getvalue()


def _code(props: dict[str, Any]) -> dict[str, Any]:
    code = dict(props.get("Code") or {})
    if isinstance(code.get("ZipFile"), str):
        code["ZipFile"] = inline_zip(code["ZipFile"], str(props.get("Runtime", "python")))
    code.pop("SourceKMSKeyArn", None)
    return code


class FunctionProvider(Provider):
    """AWS::Lambda::Function — Ref: the function name; GetAtt: Arn."""

    type_name = "AWS::Lambda::Function"
    name_property = "FunctionName"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        params = {
            **props,
            "FunctionName": name,
            "Code": _code(props),
            "Tags": tag_map(props, stack=request) or None,
        }
        params.pop("ReservedConcurrentExecutions", None)
        result = await self.call("lambda", "create_function", params)
        if "ReservedConcurrentExecutions" in props:
            await self.client("lambda").put_function_concurrency(
                FunctionName=name,
                ReservedConcurrentExecutions=int(props["ReservedConcurrentExecutions"]),
            )
        return Outcome(name, {"Arn": result["FunctionArn"]})

    async def update(self, request: Request) -> Outcome:
        props, old = request.properties, request.previous
        name = request.physical_id
        lam = self.client("lambda")
        if props.get("Code") != old.get("Code") or props.get("Runtime") != old.get("Runtime"):
            await self.call(
                "lambda", "update_function_code", {"FunctionName": name, **_code(props)}
            )
        config = {key: props.get(key) for key in _CONFIG_KEYS if props.get(key) != old.get(key)}
        if config:
            if "Environment" in config and config["Environment"] is None:
                config["Environment"] = {"Variables": {}}
            await self.call(
                "lambda", "update_function_configuration", {"FunctionName": name, **config}
            )
        if props.get("ReservedConcurrentExecutions") != old.get("ReservedConcurrentExecutions"):
            if "ReservedConcurrentExecutions" in props:
                await lam.put_function_concurrency(
                    FunctionName=name,
                    ReservedConcurrentExecutions=int(props["ReservedConcurrentExecutions"]),
                )
            else:
                await lam.delete_function_concurrency(FunctionName=name)
        return Outcome(name, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("lambda").delete_function(FunctionName=request.physical_id)
        )


class VersionProvider(Provider):
    """AWS::Lambda::Version — Ref: the version ARN; GetAtt: Version, FunctionArn."""

    type_name = "AWS::Lambda::Version"

    async def create(self, request: Request) -> Outcome:
        result = await self.call("lambda", "publish_version", request.properties)
        return Outcome(
            result["FunctionArn"],
            {"Version": result["Version"], "FunctionArn": result["FunctionArn"].rsplit(":", 1)[0]},
        )

    async def update(self, request: Request) -> Outcome:
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        name, version = request.physical_id.rsplit(":", 1)
        await ignore_missing(
            self.client("lambda").delete_function(FunctionName=name, Qualifier=version),
            "ResourceNotFoundException",
            "ResourceConflictException",
        )


class AliasProvider(Provider):
    """AWS::Lambda::Alias — Ref: the alias ARN; GetAtt: AliasArn."""

    type_name = "AWS::Lambda::Alias"

    async def create(self, request: Request) -> Outcome:
        result = await self.call("lambda", "create_alias", request.properties)
        return Outcome(result["AliasArn"], {"AliasArn": result["AliasArn"]})

    async def update(self, request: Request) -> Outcome:
        await self.call("lambda", "update_alias", request.properties)
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        props = request.properties
        await ignore_missing(
            self.client("lambda").delete_alias(
                FunctionName=props["FunctionName"], Name=props["Name"]
            )
        )


class PermissionProvider(Provider):
    """AWS::Lambda::Permission — a statement in the function's policy; Ref: its id."""

    type_name = "AWS::Lambda::Permission"
    name_max = 100

    async def create(self, request: Request) -> Outcome:
        statement = self.generated_name(request)
        await self.call(
            "lambda", "add_permission", {**request.properties, "StatementId": statement}
        )
        return Outcome(statement, {"Id": statement})

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("lambda").remove_permission(
                FunctionName=request.properties["FunctionName"], StatementId=request.physical_id
            )
        )


class EventSourceMappingProvider(Provider):
    """AWS::Lambda::EventSourceMapping — Ref: the mapping UUID; GetAtt: Id, EventSourceMappingArn."""

    type_name = "AWS::Lambda::EventSourceMapping"

    async def create(self, request: Request) -> Outcome:
        params = self._params(request.properties)
        result = await self.call("lambda", "create_event_source_mapping", params)
        uuid = result["UUID"]
        arn = result.get("EventSourceMappingArn") or self.arn(
            "lambda", f"event-source-mapping:{uuid}"
        )
        return Outcome(uuid, {"Id": uuid, "EventSourceMappingArn": arn})

    @staticmethod
    def _params(props: dict[str, Any]) -> dict[str, Any]:
        params = dict(props)
        if "StartingPositionTimestamp" in params:
            params["StartingPositionTimestamp"] = datetime.fromtimestamp(
                float(params["StartingPositionTimestamp"]), UTC
            )
        if "Tags" in params:
            params["Tags"] = tag_map(props)
        return params

    async def update(self, request: Request) -> Outcome:
        params = self._params(request.properties)
        for key in ("EventSourceArn", "StartingPosition", "StartingPositionTimestamp", "Tags"):
            params.pop(key, None)
        await self.call(
            "lambda", "update_event_source_mapping", {**params, "UUID": request.physical_id}
        )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("lambda").delete_event_source_mapping(UUID=request.physical_id)
        )


class EventInvokeConfigProvider(Provider):
    """AWS::Lambda::EventInvokeConfig — retries, event age and destinations of async invokes."""

    type_name = "AWS::Lambda::EventInvokeConfig"

    async def create(self, request: Request) -> Outcome:
        await self.call("lambda", "put_function_event_invoke_config", request.properties)
        props = request.properties
        return Outcome(
            request.physical_id or self.generated_name(request),
            {"Id": f"{props['FunctionName']}:{props.get('Qualifier', '$LATEST')}"},
        )

    async def update(self, request: Request) -> Outcome:
        await self.call("lambda", "put_function_event_invoke_config", request.properties)
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        props = request.properties
        await ignore_missing(
            self.call(
                "lambda",
                "delete_function_event_invoke_config",
                {"FunctionName": props["FunctionName"], "Qualifier": props.get("Qualifier")},
            )
        )


PROVIDERS = (
    FunctionProvider,
    VersionProvider,
    AliasProvider,
    PermissionProvider,
    EventSourceMappingProvider,
    EventInvokeConfigProvider,
)
