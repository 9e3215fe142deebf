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

    async def delete(self, request: Request) -> None:
        arn = request.attributes.get("Arn")
        await ignore_missing(self.client("kinesisvideo").delete_signaling_channel(ChannelARN=arn))


PROVIDERS = (VideoStreamProvider, SignalingChannelProvider)
