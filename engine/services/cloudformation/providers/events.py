"""EventBridge resources: buses, bus policies, rules and targets, archives, connections, API
destinations; EventBridge Pipes; EventBridge Scheduler schedules and groups; EventBridge Schemas
registries, schemas and discoverers."""

from __future__ import annotations

from typing import Any

from .base import Outcome, Provider, Request, ignore_missing, json_text, tag_list, tag_map


class EventBusProvider(Provider):
    """AWS::Events::EventBus — Ref: the bus name; GetAtt: Arn, Name, Policy."""

    type_name = "AWS::Events::EventBus"
    name_property = "Name"

    async def create(self, request: Request) -> Outcome:
        props = dict(request.properties)
        name = self.name(request)
        params = {**props, "Name": name, "Tags": tag_list(props) or None}
        arn = (await self.call("events", "create_event_bus", params))["EventBusArn"]
        if "Policy" in props:
            await self.client("events").put_permission(
                EventBusName=name, Policy=json_text(props["Policy"])
            )
        return Outcome(
            name, {"Arn": arn, "Name": name, "Policy": json_text(props.get("Policy", ""))}
        )

    async def update(self, request: Request) -> Outcome:
        props = request.properties
        await self.call("events", "update_event_bus", {**props, "Name": request.physical_id})
        if props.get("Policy") != request.previous.get("Policy") and "Policy" in props:
            await self.client("events").put_permission(
                EventBusName=request.physical_id, Policy=json_text(props["Policy"])
            )
        return Outcome(
            request.physical_id,
            {**request.attributes, "Policy": json_text(props.get("Policy", ""))},
        )

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("events").delete_event_bus(Name=request.physical_id))


class EventBusPolicyProvider(Provider):
    """AWS::Events::EventBusPolicy — one statement of a bus's policy; Ref: the statement id."""

    type_name = "AWS::Events::EventBusPolicy"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        bus = props.get("EventBusName", "default")
        if "Statement" in props:
            statement = {"Sid": props["StatementId"], **props["Statement"]}
            policy = {"Version": "2012-10-17", "Statement": [statement]}
            described = await self.client("events").describe_event_bus(Name=bus)
            if described.get("Policy"):
                import json

                current = json.loads(described["Policy"])
                others = [
                    s for s in current.get("Statement", []) if s.get("Sid") != props["StatementId"]
                ]
                policy["Statement"] = others + [statement]
            await self.client("events").put_permission(EventBusName=bus, Policy=json_text(policy))
        else:
            await self.call("events", "put_permission", {**props, "EventBusName": bus})
        return Outcome(props["StatementId"])

    async def update(self, request: Request) -> Outcome:
        return await self.create(request)

    async def delete(self, request: Request) -> None:
        bus = request.properties.get("EventBusName", "default")
        await ignore_missing(
            self.client("events").remove_permission(
                EventBusName=bus, StatementId=request.physical_id
            )
        )


def _targets(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for target in targets:
        entry = dict(target)
        for key in ("Input",):
            if key in entry:
                entry[key] = json_text(entry[key])
        result.append(entry)
    return result


class RuleProvider(Provider):
    """AWS::Events::Rule — Ref: the rule name (`bus|name` on a custom bus); GetAtt: Arn."""

    type_name = "AWS::Events::Rule"
    name_property = "Name"

    async def create(self, request: Request) -> Outcome:
        name = self.name(request)
        return await self._put(request, name)

    async def _put(self, request: Request, name: str) -> Outcome:
        props = request.properties
        bus = _bus_name(props.get("EventBusName"))
        params: dict[str, Any] = {
            **props,
            "Name": name,
            "EventBusName": bus,
            "Tags": tag_list(props) or None,
        }
        if "EventPattern" in props:
            params["EventPattern"] = json_text(props["EventPattern"])
        arn = (await self.call("events", "put_rule", params))["RuleArn"]
        targets = _targets(props.get("Targets") or [])
        if targets:
            await self.client("events").put_targets(Rule=name, EventBusName=bus, Targets=targets)
        ref = name if bus == "default" else f"{bus}|{name}"
        return Outcome(ref, {"Arn": arn, "Name": name})

    async def update(self, request: Request) -> Outcome:
        name = request.attributes.get("Name") or request.physical_id.split("|")[-1]
        new_ids = {t["Id"] for t in request.properties.get("Targets") or []}
        gone = [t["Id"] for t in request.previous.get("Targets") or [] if t["Id"] not in new_ids]
        bus = _bus_name(request.properties.get("EventBusName"))
        if gone:
            await self.client("events").remove_targets(Rule=name, EventBusName=bus, Ids=gone)
        return await self._put(request, name)

    async def delete(self, request: Request) -> None:
        name = request.attributes.get("Name") or request.physical_id.split("|")[-1]
        bus = _bus_name(request.properties.get("EventBusName"))
        events = self.client("events")
        ids = [t["Id"] for t in request.properties.get("Targets") or []]
        if ids:
            await ignore_missing(events.remove_targets(Rule=name, EventBusName=bus, Ids=ids))
        await ignore_missing(events.delete_rule(Name=name, EventBusName=bus))


def _bus_name(value: Any) -> str:
    if not value:
        return "default"
    text = str(value)
    return text.rsplit("/", 1)[-1] if text.startswith("arn:") else text


class ArchiveProvider(Provider):
    """AWS::Events::Archive — Ref: the archive name; GetAtt: Arn, ArchiveName."""

    type_name = "AWS::Events::Archive"
    name_property = "ArchiveName"
    name_max = 48

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        params = {**props, "ArchiveName": name, "EventSourceArn": props.get("SourceArn")}
        if "EventPattern" in props:
            params["EventPattern"] = json_text(props["EventPattern"])
        arn = (await self.call("events", "create_archive", params))["ArchiveArn"]
        return Outcome(name, {"Arn": arn, "ArchiveName": name})

    async def update(self, request: Request) -> Outcome:
        props = request.properties
        params = {**props, "ArchiveName": request.physical_id}
        if "EventPattern" in props:
            params["EventPattern"] = json_text(props["EventPattern"])
        await self.call("events", "update_archive", params)
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("events").delete_archive(ArchiveName=request.physical_id))


class ConnectionProvider(Provider):
    """AWS::Events::Connection — Ref: the connection name; GetAtt: Arn, SecretArn."""

    type_name = "AWS::Events::Connection"
    name_property = "Name"

    async def create(self, request: Request) -> Outcome:
        name = self.name(request)
        result = await self.call(
            "events", "create_connection", {**request.properties, "Name": name}
        )
        described = await self.client("events").describe_connection(Name=name)
        return Outcome(
            name,
            {
                "Arn": result["ConnectionArn"],
                "Name": name,
                "SecretArn": described.get("SecretArn", ""),
            },
        )

    async def update(self, request: Request) -> Outcome:
        await self.call(
            "events", "update_connection", {**request.properties, "Name": request.physical_id}
        )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("events").delete_connection(Name=request.physical_id))


class ApiDestinationProvider(Provider):
    """AWS::Events::ApiDestination — Ref: the destination name; GetAtt: Arn."""

    type_name = "AWS::Events::ApiDestination"
    name_property = "Name"

    async def create(self, request: Request) -> Outcome:
        name = self.name(request)
        result = await self.call(
            "events", "create_api_destination", {**request.properties, "Name": name}
        )
        return Outcome(name, {"Arn": result["ApiDestinationArn"], "Name": name})

    async def update(self, request: Request) -> Outcome:
        await self.call(
            "events", "update_api_destination", {**request.properties, "Name": request.physical_id}
        )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("events").delete_api_destination(Name=request.physical_id))


class PipeProvider(Provider):
    """AWS::Pipes::Pipe — Ref: the pipe name; GetAtt: Arn, CurrentState, CreationTime …"""

    type_name = "AWS::Pipes::Pipe"
    name_property = "Name"

    async def create(self, request: Request) -> Outcome:
        name = self.name(request)
        props = request.properties
        params = {**props, "Name": name, "Tags": tag_map(props) or None}
        result = await self.call("pipes", "create_pipe", params)
        return Outcome(name, await self._attributes(name, result["Arn"]))

    async def _attributes(self, name: str, arn: str) -> dict[str, Any]:
        described = await self.client("pipes").describe_pipe(Name=name)
        return {
            "Arn": arn,
            "CurrentState": described.get("CurrentState", ""),
            "StateReason": described.get("StateReason", ""),
            "CreationTime": described["CreationTime"].isoformat(),
            "LastModifiedTime": described["LastModifiedTime"].isoformat(),
        }

    async def update(self, request: Request) -> Outcome:
        params = {**request.properties, "Name": request.physical_id}
        params.pop("Source", None)
        params.pop("Tags", None)
        result = await self.call("pipes", "update_pipe", params)
        return Outcome(
            request.physical_id, await self._attributes(request.physical_id, result["Arn"])
        )

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("pipes").delete_pipe(Name=request.physical_id))


class ScheduleProvider(Provider):
    """AWS::Scheduler::Schedule — Ref: the schedule name; GetAtt: Arn."""

    type_name = "AWS::Scheduler::Schedule"
    name_property = "Name"

    async def create(self, request: Request) -> Outcome:
        name = self.name(request)
        result = await self.call(
            "scheduler", "create_schedule", {**request.properties, "Name": name}
        )
        return Outcome(name, {"Arn": result["ScheduleArn"]})

    async def update(self, request: Request) -> Outcome:
        await self.call(
            "scheduler", "update_schedule", {**request.properties, "Name": request.physical_id}
        )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        params = {"Name": request.physical_id}
        if request.properties.get("GroupName"):
            params["GroupName"] = request.properties["GroupName"]
        await ignore_missing(self.client("scheduler").delete_schedule(**params))


class ScheduleGroupProvider(Provider):
    """AWS::Scheduler::ScheduleGroup — Ref: the group name; GetAtt: Arn, State …"""

    type_name = "AWS::Scheduler::ScheduleGroup"
    name_property = "Name"

    async def create(self, request: Request) -> Outcome:
        name = self.name(request)
        params = {"Name": name, "Tags": tag_list(request.properties) or None}
        result = await self.call("scheduler", "create_schedule_group", params)
        return Outcome(name, {"Arn": result["ScheduleGroupArn"], "State": "ACTIVE"})

    async def update(self, request: Request) -> Outcome:
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("scheduler").delete_schedule_group(Name=request.physical_id)
        )


class SchemaRegistryProvider(Provider):
    """AWS::EventSchemas::Registry — Ref: the registry ARN; GetAtt: RegistryArn, RegistryName."""

    type_name = "AWS::EventSchemas::Registry"
    name_property = "RegistryName"
    requires = "schemas"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        made = await self.call(
            "schemas",
            "create_registry",
            {
                "RegistryName": name,
                "Description": props.get("Description"),
                "Tags": tag_map(props) or None,
            },
        )
        return Outcome(
            made["RegistryArn"], {"RegistryArn": made["RegistryArn"], "RegistryName": name}
        )

    async def update(self, request: Request) -> Outcome:
        await self.call(
            "schemas",
            "update_registry",
            {
                "RegistryName": request.attributes["RegistryName"],
                "Description": request.properties.get("Description", ""),
            },
        )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("schemas").delete_registry(RegistryName=request.attributes["RegistryName"])
        )


class SchemaProvider(Provider):
    """AWS::EventSchemas::Schema — Ref: the schema ARN; GetAtt: SchemaArn, SchemaName,
    SchemaVersion."""

    type_name = "AWS::EventSchemas::Schema"
    name_property = "SchemaName"
    requires = "schemas"

    @staticmethod
    def _outcome(made: dict[str, Any]) -> Outcome:
        attributes = {key: made[key] for key in ("SchemaArn", "SchemaName", "SchemaVersion")}
        return Outcome(made["SchemaArn"], attributes)

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        made = await self.call(
            "schemas",
            "create_schema",
            {
                **props,
                "SchemaName": self.name(request),
                "Content": json_text(props["Content"]),
                "Tags": tag_map(props) or None,
            },
        )
        return self._outcome(made)

    async def update(self, request: Request) -> Outcome:
        props = request.properties
        made = await self.call(
            "schemas",
            "update_schema",
            {
                "RegistryName": props["RegistryName"],
                "SchemaName": request.attributes["SchemaName"],
                "Type": props.get("Type"),
                "Content": json_text(props["Content"]),
                "Description": props.get("Description"),
            },
        )
        return self._outcome(made)

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("schemas").delete_schema(
                RegistryName=request.properties["RegistryName"],
                SchemaName=request.attributes["SchemaName"],
            )
        )


class DiscovererProvider(Provider):
    """AWS::EventSchemas::Discoverer — Ref: the discoverer ARN; GetAtt: DiscovererArn,
    DiscovererId."""

    type_name = "AWS::EventSchemas::Discoverer"
    requires = "schemas"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        made = await self.call("schemas", "create_discoverer", {**props, "Tags": tag_map(props)})
        attributes = {"DiscovererArn": made["DiscovererArn"], "DiscovererId": made["DiscovererId"]}
        return Outcome(made["DiscovererArn"], attributes)

    async def update(self, request: Request) -> Outcome:
        props = request.properties
        await self.call(
            "schemas",
            "update_discoverer",
            {
                "DiscovererId": request.attributes["DiscovererId"],
                "Description": props.get("Description"),
                "CrossAccount": props.get("CrossAccount"),
            },
        )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("schemas").delete_discoverer(
                DiscovererId=request.attributes["DiscovererId"]
            )
        )


PROVIDERS = (
    SchemaRegistryProvider,
    SchemaProvider,
    DiscovererProvider,
    EventBusProvider,
    EventBusPolicyProvider,
    RuleProvider,
    ArchiveProvider,
    ConnectionProvider,
    ApiDestinationProvider,
    PipeProvider,
    ScheduleProvider,
    ScheduleGroupProvider,
)
