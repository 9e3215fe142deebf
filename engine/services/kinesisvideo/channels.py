"""Signaling channels, control plane only: kept, described, tagged and mapped to streams.

The lab relays no WebRTC signaling or media; `GetSignalingChannelEndpoint` reports loopback
URLs where the data endpoint answers `/v1/…` with one line saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .checks import check_name, check_tags, copy_data, page
from .errors import in_use, invalid, not_found, version_mismatch
from .resources import SignalingChannel

if TYPE_CHECKING:
    from .service import KinesisVideoService


class SignalingChannels:
    """The service's signaling channels and their operations."""

    def __init__(self, service: KinesisVideoService) -> None:
        self.service = service
        self.channels: dict[str, SignalingChannel] = {}

    def find(self, params: dict[str, Any]) -> SignalingChannel:
        """The channel named by ChannelName or ChannelARN."""
        name, arn = params.get("ChannelName"), params.get("ChannelARN")
        if arn:
            name = arn.split(":channel/", 1)[-1].split("/", 1)[0] if ":channel/" in arn else None
        channel = self.channels.get(name or "")
        if channel is None or (arn and channel.arn != arn):
            raise not_found("channel")
        return channel

    async def create(self, params: dict[str, Any]) -> dict[str, Any]:
        """CreateSignalingChannel."""
        service = self.service
        name = params["ChannelName"]
        check_name(name, "ChannelName")
        if name in self.channels:
            raise in_use(f"The signaling channel {name} already exists.")
        tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
        check_tags(tags)
        now = service.clock.now()
        channel = SignalingChannel(
            name,
            service.arn(f"channel/{name}/{int(now * 1000)}"),
            now,
            service.new_version(),
            params.get("ChannelType", "SINGLE_MASTER"),
            (params.get("SingleMasterConfiguration") or {}).get("MessageTtlSeconds", 60),
            tags,
        )
        await service.listener.ensure_open()
        self.channels[name] = channel
        service.emit("created", channel.arn, channel_type=channel.channel_type)
        return {"ChannelARN": channel.arn}

    def describe(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeSignalingChannel."""
        if not params.get("ChannelName") and not params.get("ChannelARN"):
            raise invalid("Either ChannelName or ChannelARN must be specified.")
        return {"ChannelInfo": self.find(params).info()}

    def list(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListSignalingChannels, by name prefix."""
        condition = params.get("ChannelNameCondition") or {}
        prefix = condition.get("ComparisonValue", "")
        names = sorted(n for n in self.channels if n.startswith(prefix))
        return page(
            [self.channels[n].info() for n in names],
            params.get("MaxResults", 10_000),
            params.get("NextToken"),
            "ChannelInfoList",
        )

    async def delete(self, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteSignalingChannel (the listener closes with the last stream or channel)."""
        channel = self.find(params)
        current = params.get("CurrentVersion")
        if current is not None and current != channel.version:
            raise version_mismatch()
        del self.channels[channel.name]
        self.service.emit("deleted", channel.arn)
        await self.service.close_listener_when_idle()
        return {}

    def update(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateSignalingChannel: the message TTL (CurrentVersion guard)."""
        channel = self.find(params)
        if params["CurrentVersion"] != channel.version:
            raise version_mismatch()
        config = params.get("SingleMasterConfiguration") or {}
        channel.message_ttl = config.get("MessageTtlSeconds", channel.message_ttl)
        channel.version = self.service.new_version()
        return {}

    async def endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetSignalingChannelEndpoint: loopback URLs per protocol (no relay answers there)."""
        self.find(params)
        listener = self.service.listener
        await listener.ensure_open()
        config = params.get("SingleMasterChannelEndpointConfiguration") or {}
        # The lab's listener speaks plain HTTP on loopback (no TLS): the URLs say so.
        schemes = {"WSS": "ws", "HTTPS": "http", "WEBRTC": "http"}
        return {
            "ResourceEndpointList": [
                {"Protocol": p, "ResourceEndpoint": f"{schemes[p]}://127.0.0.1:{listener.port}"}
                for p in config.get("Protocols") or ["WSS", "HTTPS"]
            ]
        }

    def update_media_storage(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateMediaStorageConfiguration: map a channel to the stream it would ingest into."""
        channel = self.find(params)
        config = copy_data(params["MediaStorageConfiguration"])
        if config.get("StreamARN") and self.service.stream_for_arn(config["StreamARN"]) is None:
            raise not_found()
        channel.media_storage = config
        return {}

    def describe_media_storage(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeMediaStorageConfiguration."""
        return {"MediaStorageConfiguration": copy_data(self.find(params).media_storage)}

    def mapped_to(self, stream_arn: str, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeMappedResourceConfiguration: the channels whose media storage is the stream."""
        found = [
            {"Type": "KinesisVideoSignalingChannel", "ARN": c.arn}
            for c in self.channels.values()
            if c.media_storage.get("StreamARN") == stream_arn
        ]
        return page(
            found,
            params.get("MaxResults", 1),
            params.get("NextToken"),
            "MappedResourceConfigurationList",
        )
