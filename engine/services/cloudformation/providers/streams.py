"""Kinesis Data Streams (streams, consumers) and Amazon Data Firehose delivery streams."""

from __future__ import annotations

from typing import Any

from .base import Outcome, Provider, Request, ignore_missing, tag_list, tag_map

_WAIT_STEPS = 120


class StreamProvider(Provider):
    """AWS::Kinesis::Stream — Ref: the stream name; GetAtt: Arn."""

    type_name = "AWS::Kinesis::Stream"
    name_property = "Name"
    name_max = 128

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        mode = (props.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
        params: dict[str, Any] = {"StreamName": name, "StreamModeDetails": {"StreamMode": mode}}
        if mode == "PROVISIONED":
            params["ShardCount"] = int(props.get("ShardCount", 1))
        tags = tag_map(props)
        if tags:
            params["Tags"] = tags
        kinesis = self.client("kinesis")
        await self.call("kinesis", "create_stream", params)
        summary = await self._active(name)
        hours = int(props.get("RetentionPeriodHours", 24))
        if hours > 24:
            await kinesis.increase_stream_retention_period(
                StreamName=name, RetentionPeriodHours=hours
            )
        return Outcome(name, {"Arn": summary["StreamARN"]})

    async def _active(self, name: str) -> dict[str, Any]:
        kinesis = self.client("kinesis")
        for _ in range(_WAIT_STEPS):
            summary = (await kinesis.describe_stream_summary(StreamName=name))[
                "StreamDescriptionSummary"
            ]
            if summary["StreamStatus"] == "ACTIVE":
                return summary
            await self.engine.clock.sleep(1)
        return summary

    async def update(self, request: Request) -> Outcome:
        props, old = request.properties, request.previous
        kinesis = self.client("kinesis")
        name = request.physical_id
        if props.get("ShardCount") != old.get("ShardCount") and props.get("ShardCount"):
            await kinesis.update_shard_count(
                StreamName=name,
                TargetShardCount=int(props["ShardCount"]),
                ScalingType="UNIFORM_SCALING",
            )
            await self._active(name)
        new_hours, old_hours = (
            int(props.get("RetentionPeriodHours", 24)),
            int(old.get("RetentionPeriodHours", 24)),
        )
        if new_hours > old_hours:
            await kinesis.increase_stream_retention_period(
                StreamName=name, RetentionPeriodHours=new_hours
            )
        elif new_hours < old_hours:
            await kinesis.decrease_stream_retention_period(
                StreamName=name, RetentionPeriodHours=new_hours
            )
        return Outcome(name, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("kinesis").delete_stream(
                StreamName=request.physical_id, EnforceConsumerDeletion=True
            )
        )


class StreamConsumerProvider(Provider):
    """AWS::Kinesis::StreamConsumer — Ref: the consumer ARN."""

    type_name = "AWS::Kinesis::StreamConsumer"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        result = await self.client("kinesis").register_stream_consumer(
            StreamARN=props["StreamARN"], ConsumerName=props["ConsumerName"]
        )
        consumer = result["Consumer"]
        arn = consumer["ConsumerARN"]
        return Outcome(
            arn,
            {
                "ConsumerARN": arn,
                "ConsumerName": consumer["ConsumerName"],
                "ConsumerStatus": "ACTIVE",
                "StreamARN": props["StreamARN"],
                "ConsumerCreationTimestamp": consumer["ConsumerCreationTimestamp"].isoformat(),
            },
        )

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("kinesis").deregister_stream_consumer(ConsumerARN=request.physical_id)
        )


class DeliveryStreamProvider(Provider):
    """AWS::KinesisFirehose::DeliveryStream — Ref: the stream name; GetAtt: Arn."""

    type_name = "AWS::KinesisFirehose::DeliveryStream"
    name_property = "DeliveryStreamName"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        params = {**props, "DeliveryStreamName": name, "Tags": tag_list(props) or None}
        arn = (await self.call("firehose", "create_delivery_stream", params))["DeliveryStreamARN"]
        return Outcome(name, {"Arn": arn})

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("firehose").delete_delivery_stream(DeliveryStreamName=request.physical_id)
        )


PROVIDERS = (StreamProvider, StreamConsumerProvider, DeliveryStreamProvider)
