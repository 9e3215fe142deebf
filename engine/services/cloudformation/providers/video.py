"""Kinesis Video Streams: video streams and WebRTC signaling channels."""

from __future__ import annotations

from .base import Outcome, Provider, Request, ignore_missing, tag_list, tag_map


class VideoStreamProvider(Provider):
    """AWS::KinesisVideo::Stream — Ref: the stream name; GetAtt: Arn."""

    type_name = "AWS::KinesisVideo::Stream"
    name_property = "Name"
    name_max = 256
    requires = "kinesisvideo"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        params = {**props, "StreamName": self.name(request), "Tags": tag_map(props) or None}
        made = await self.call("kinesisvideo", "create_stream", params)
        return Outcome(params["StreamName"], {"Arn": made["StreamARN"]})

    async def update(self, request: Request) -> Outcome:
        """Device name and media type through UpdateStream, retention through UpdateDataRetention."""
        video, arn, props = (
            self.client("kinesisvideo"),
            request.attributes["Arn"],
            request.properties,
        )
        info = (await video.describe_stream(StreamARN=arn))["StreamInfo"]
        changes = {k: props[k] for k in ("DeviceName", "MediaType") if k in props}
        if any(info.get(k) != v for k, v in changes.items()):
            await self.call(
                "kinesisvideo",
                "update_stream",
                {**changes, "StreamARN": arn, "CurrentVersion": info["Version"]},
            )
            info = (await video.describe_stream(StreamARN=arn))["StreamInfo"]
        hours = int(props.get("DataRetentionInHours") or 0)
        if hours != info["DataRetentionInHours"]:
            await video.update_data_retention(
                StreamARN=arn,
                CurrentVersion=info["Version"],
                Operation="INCREASE_DATA_RETENTION"
                if hours > info["DataRetentionInHours"]
                else "DECREASE_DATA_RETENTION",
                DataRetentionChangeInHours=abs(hours - info["DataRetentionInHours"]),
            )
        return Outcome(request.physical_id, request.attributes)

    async def delete(self, request: Request) -> None:
        arn = request.attributes.get("Arn")
        await ignore_missing(self.client("kinesisvideo").delete_stream(StreamARN=arn))


class SignalingChannelProvider(Provider):
    """AWS::KinesisVideo::SignalingChannel — Ref: the channel name; GetAtt: Arn."""

    type_name = "AWS::KinesisVideo::SignalingChannel"
    name_property = "Name"
    name_max = 256
    requires = "kinesisvideo"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        name = self.name(request)
        params = {
            "ChannelName": name,
            "ChannelType": props.get("Type"),
            "Tags": tag_list(props) or None,
        }
        if "MessageTtlSeconds" in props:
            params["SingleMasterConfiguration"] = {"MessageTtlSeconds": props["MessageTtlSeconds"]}
        made = await self.call("kinesisvideo", "create_signaling_channel", params)
        return Outcome(name, {"Arn": made["ChannelARN"]})

    async def update(self, request: Request) -> Outcome:
        """The message time-to-live through UpdateSignalingChannel."""
        video, arn = self.client("kinesisvideo"), request.attributes["Arn"]
        info = (await video.describe_signaling_channel(ChannelARN=arn))["ChannelInfo"]
        ttl = request.properties.get("MessageTtlSeconds", 60)
        await self.call(
            "kinesisvideo",
            "update_signaling_channel",
            {
                "ChannelARN": arn,
                "CurrentVersion": info["Version"],
                "SingleMasterConfiguration": {"MessageTtlSeconds": ttl},
            },
        )
        return Outcome(request.physical_id, request.attributes)

    async def delete(self, request: Request) -> None:
        arn = request.attributes.get("Arn")
        await ignore_missing(self.client("kinesisvideo").delete_signaling_channel(ChannelARN=arn))


PROVIDERS = (VideoStreamProvider, SignalingChannelProvider)
