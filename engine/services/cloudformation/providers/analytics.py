"""Managed Service for Apache Flink (Kinesis Data Analytics v2): applications and SQL outputs."""

from __future__ import annotations

from .base import Outcome, Provider, Request, ignore_missing, tag_list


class AnalyticsApplicationProvider(Provider):
    """AWS::KinesisAnalyticsV2::Application — Ref: the application name."""

    type_name = "AWS::KinesisAnalyticsV2::Application"
    name_property = "ApplicationName"
    name_max = 128
    requires = "kinesisanalyticsv2"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        params = {**props, "ApplicationName": name, "Tags": tag_list(props) or None}
        await self.call("kinesisanalyticsv2", "create_application", params)
        return Outcome(name)

    async def delete(self, request: Request) -> None:
        client = self.client("kinesisanalyticsv2")
        name = request.physical_id

        async def remove() -> None:
            described = await client.describe_application(ApplicationName=name)
            created = described["ApplicationDetail"]["CreateTimestamp"]
            await client.delete_application(ApplicationName=name, CreateTimestamp=created)

        await ignore_missing(remove())


class AnalyticsOutputProvider(Provider):
    """AWS::KinesisAnalyticsV2::ApplicationOutput — Ref: the output id."""

    type_name = "AWS::KinesisAnalyticsV2::ApplicationOutput"
    requires = "kinesisanalyticsv2"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = props["ApplicationName"]
        params = {
            "ApplicationName": name,
            "CurrentApplicationVersionId": await self._version(name),
            "Output": props.get("Output"),
        }
        made = await self.call("kinesisanalyticsv2", "add_application_output", params)
        wanted = (props.get("Output") or {}).get("Name")
        output = next(
            (o for o in made["OutputDescriptions"] if o.get("Name") == wanted),
            made["OutputDescriptions"][-1],
        )
        return Outcome(output["OutputId"])

    async def _version(self, name: str) -> int:
        described = await self.client("kinesisanalyticsv2").describe_application(
            ApplicationName=name
        )
        return int(described["ApplicationDetail"]["ApplicationVersionId"])

    async def delete(self, request: Request) -> None:
        name = request.properties["ApplicationName"]

        async def remove() -> None:
            await self.client("kinesisanalyticsv2").delete_application_output(
                ApplicationName=name,
                CurrentApplicationVersionId=await self._version(name),
                OutputId=request.physical_id,
            )

        await ignore_missing(remove())


PROVIDERS = (AnalyticsApplicationProvider, AnalyticsOutputProvider)
