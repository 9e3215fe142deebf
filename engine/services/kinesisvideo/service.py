"""Amazon Kinesis Video Streams: the control plane, and the streams the data plane reads.

Internal API (the data plane services, the lab's `video` commands, the flow map):

- `stream_for(params) -> VideoStream`: the stream a call names (StreamName or StreamARN).
- `ingest.put_media(stream, chunks, ...)`: a PutMedia session over any async byte source,
  yielding AWS's acknowledgements (see ingest.py); `ingest.put_bytes(...)` for a whole file.
- `endpoint_url() -> str`: the lab's data endpoint (opened with the first stream).

Signaling channels are control plane only: the lab keeps and describes them, and reports
endpoints, but relays no WebRTC signaling or media.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from engine.errors import ServiceError
from engine.service import Service
from engine.topology import Edge, Node

from .errors import in_use, invalid, not_found, version_mismatch
from .imaging import ImageSchedule
from .ingest import Ingest
from .listener import DataListener
from .resources import SignalingChannel, VideoStream
from .saving import dump_video, load_video

#: What stream and channel names may contain (the model's pattern, which AWS enforces).
_NAME = re.compile(r"[a-zA-Z0-9_.-]+")
#: Tags per stream or channel (AWS's documented maximum).
MAX_TAGS = 50
#: The longest retention AWS allows: 87,600 hours (ten years).
MAX_RETENTION_HOURS = 87_600
#: The API names GetDataEndpoint accepts.
DATA_APIS = (
    "PUT_MEDIA",
    "GET_MEDIA",
    "LIST_FRAGMENTS",
    "GET_MEDIA_FOR_FRAGMENT_LIST",
    "GET_HLS_STREAMING_SESSION_URL",
    "GET_DASH_STREAMING_SESSION_URL",
    "GET_CLIP",
    "GET_IMAGES",
)


class KinesisVideoService(Service):
    """Kinesis Video Streams: streams, retention, data endpoints and signaling channels."""

    name = "kinesisvideo"
    validation_error_code = "InvalidArgumentException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.streams: dict[str, VideoStream] = {}
        self.channels: dict[str, SignalingChannel] = {}
        self.listener = DataListener(self)
        self.ingest = Ingest(self)
        self.images = ImageSchedule(self)

    # -- lookups -------------------------------------------------------------------------
    def stream_for(self, params: dict[str, Any], *, arn_key: str = "StreamARN") -> VideoStream:
        """The stream named by StreamName or StreamARN (exactly one of them)."""
        name, arn = params.get("StreamName"), params.get(arn_key)
        if name and arn:
            raise invalid("Specify either StreamName or StreamARN, not both.")
        if arn:
            name = arn.split(":stream/", 1)[-1].split("/", 1)[0] if ":stream/" in arn else None
        if not name:
            if arn is None:
                raise invalid("Either StreamName or StreamARN must be specified.")
            raise not_found()
        stream = self.streams.get(name)
        if stream is None or (arn and stream.arn != arn):
            raise not_found()
        return stream

    def stream_for_arn(self, arn: str) -> VideoStream | None:
        """The stream with this ARN, or None."""
        try:
            return self.stream_for({"StreamARN": arn})
        except Exception:
            return None

    def _channel_for(self, params: dict[str, Any]) -> SignalingChannel:
        name, arn = params.get("ChannelName"), params.get("ChannelARN")
        if arn:
            name = arn.split(":channel/", 1)[-1].split("/", 1)[0] if ":channel/" in arn else None
        channel = self.channels.get(name or "")
        if channel is None or (arn and channel.arn != arn):
            raise not_found("channel")
        return channel

    def _version(self) -> str:
        return self.ids.hex(20)

    # -- streams -------------------------------------------------------------------------
    async def create_stream(self, params: dict[str, Any]) -> dict[str, Any]:
        """CreateStream: a new ACTIVE stream (the data endpoint opens with the first one)."""
        name = params["StreamName"]
        _check_name(name, "StreamName")
        if name in self.streams:
            raise in_use(f"The stream {name} already exists.")
        retention = params.get("DataRetentionInHours", 0)
        if retention > MAX_RETENTION_HOURS:
            raise invalid(f"DataRetentionInHours must be at most {MAX_RETENTION_HOURS}.")
        tags = dict(params.get("Tags") or {})
        _check_tags(tags)
        now = self.clock.now()
        stream = VideoStream(
            name=name,
            arn=self.arn(f"stream/{name}/{int(now * 1000)}"),
            created=now,
            version=self._version(),
            retention_hours=retention,
            kms_key_id=params.get("KmsKeyId")
            or f"arn:aws:kms:{self.region}:{self.account_id}:alias/aws/kinesisvideo",
            device_name=params.get("DeviceName"),
            media_type=params.get("MediaType"),
            tags=tags,
            storage_tier=(params.get("StreamStorageConfiguration") or {}).get(
                "DefaultStorageTier", "HOT"
            ),
        )
        await self.listener.ensure_open()
        self.streams[name] = stream
        self.emit("created", stream.arn, retention_hours=retention)
        return {"StreamARN": stream.arn}

    def describe_stream(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeStream."""
        return {"StreamInfo": self.stream_for(params).info()}

    def list_streams(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListStreams, in name order, optionally by name prefix, paged by NextToken."""
        condition = params.get("StreamNameCondition") or {}
        prefix = condition.get("ComparisonValue", "")
        names = sorted(n for n in self.streams if n.startswith(prefix))
        return _page(
            [self.streams[n].info() for n in names],
            params.get("MaxResults", 10_000),
            params.get("NextToken"),
            "StreamInfoList",
        )

    async def delete_stream(self, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteStream: the stream, its fragments, timers and live readers go."""
        stream = self.stream_for(params)
        current = params.get("CurrentVersion")
        if current is not None and current != stream.version:
            raise version_mismatch()
        self._release(stream)
        del self.streams[stream.name]
        archived = self.engine.running("kinesis-video-archived-media")
        if archived is not None:
            archived.forget_stream(stream.arn)  # type: ignore[attr-defined]
        self.emit("deleted", stream.arn)
        if not self.streams and not self.channels:
            await self.listener.close()
        return {}

    def _release(self, stream: VideoStream) -> None:
        stream.status = "DELETING"
        for timer in (stream.expiry, stream.image_timer):
            if timer is not None:
                timer.cancel()
        stream.expiry = stream.image_timer = None
        stream.fragments.clear()
        for wake in list(stream.waiters):
            wake()
        stream.waiters.clear()

    def update_stream(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateStream: device name and media type, guarded by CurrentVersion."""
        stream = self.stream_for(params)
        if params["CurrentVersion"] != stream.version:
            raise version_mismatch()
        if "DeviceName" in params:
            stream.device_name = params["DeviceName"]
        if "MediaType" in params:
            stream.media_type = params["MediaType"]
        stream.version = self._version()
        return {}

    def update_data_retention(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateDataRetention: raise or lower retention by a number of hours."""
        stream = self.stream_for(params)
        if params["CurrentVersion"] != stream.version:
            raise version_mismatch()
        change = params["DataRetentionChangeInHours"]
        if change < 1:
            raise invalid("DataRetentionChangeInHours must be at least 1.")
        if params["Operation"] == "INCREASE_DATA_RETENTION":
            hours = stream.retention_hours + change
            if hours > MAX_RETENTION_HOURS:
                raise invalid(f"DataRetentionInHours must be at most {MAX_RETENTION_HOURS}.")
        else:
            hours = stream.retention_hours - change
            if hours < 0:
                raise invalid("The data retention cannot be decreased below 0 hours.")
        stream.retention_hours = hours
        stream.version = self._version()
        self.ingest.expire(stream)
        self.emit("retention-changed", stream.arn, retention_hours=hours)
        return {}

    def describe_stream_storage_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeStreamStorageConfiguration: the stream's storage tier."""
        stream = self.stream_for(params)
        return {
            "StreamName": stream.name,
            "StreamARN": stream.arn,
            "StreamStorageConfiguration": {"DefaultStorageTier": stream.storage_tier},
        }

    def update_stream_storage_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateStreamStorageConfiguration: change the storage tier (CurrentVersion guard)."""
        stream = self.stream_for(params)
        if params["CurrentVersion"] != stream.version:
            raise version_mismatch()
        stream.storage_tier = params["StreamStorageConfiguration"]["DefaultStorageTier"]
        stream.version = self._version()
        return {}

    # -- edge configurations (no edge agent runs in the lab) -----------------------------
    def start_edge_configuration_update(self, params: dict[str, Any]) -> dict[str, Any]:
        """StartEdgeConfigurationUpdate: kept as SYNCING (the lab has no edge agent to sync)."""
        stream = self.stream_for(params)
        now = datetime.fromtimestamp(self.clock.now(), UTC)
        created = stream.edge["CreationTime"] if stream.edge else now
        stream.edge = {
            "CreationTime": created,
            "LastUpdatedTime": now,
            "SyncStatus": "SYNCING",
            "EdgeConfig": _copy(params["EdgeConfig"]),
        }
        return self._edge_view(stream)

    def describe_edge_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeEdgeConfiguration."""
        stream = self.stream_for(params)
        if stream.edge is None:
            raise ServiceError(
                "StreamEdgeConfigurationNotFoundException",
                "The edge configuration for the stream was not found.",
                status_code=404,
            )
        return self._edge_view(stream)

    def delete_edge_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteEdgeConfiguration."""
        stream = self.stream_for(params)
        if stream.edge is None:
            raise ServiceError(
                "StreamEdgeConfigurationNotFoundException",
                "The edge configuration for the stream was not found.",
                status_code=404,
            )
        stream.edge = None
        return {}

    def list_edge_agent_configurations(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListEdgeAgentConfigurations: the streams configured for one hub device."""
        hub = params["HubDeviceArn"]
        found = [
            self._edge_view(s)
            for s in sorted(self.streams.values(), key=lambda s: s.name)
            if s.edge and s.edge["EdgeConfig"].get("HubDeviceArn") == hub
        ]
        return _page(found, params.get("MaxResults", 10), params.get("NextToken"), "EdgeConfigs")

    def _edge_view(self, stream: VideoStream) -> dict[str, Any]:
        assert stream.edge is not None
        return {"StreamName": stream.name, "StreamARN": stream.arn, **_copy(stream.edge)}

    # -- media storage (a channel's WebRTC ingestion into a stream) -----------------------
    def update_media_storage_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateMediaStorageConfiguration: map a channel to the stream it would ingest into."""
        channel = self._channel_for(params)
        config = _copy(params["MediaStorageConfiguration"])
        if config.get("StreamARN") and self.stream_for_arn(config["StreamARN"]) is None:
            raise not_found()
        channel.media_storage = config
        return {}

    def describe_media_storage_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeMediaStorageConfiguration."""
        return {"MediaStorageConfiguration": _copy(self._channel_for(params).media_storage)}

    def describe_mapped_resource_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeMappedResourceConfiguration: the channels whose media storage is this stream."""
        stream = self.stream_for(params)
        found = [
            {"Type": "KinesisVideoSignalingChannel", "ARN": c.arn}
            for c in self.channels.values()
            if c.media_storage.get("StreamARN") == stream.arn
        ]
        return _page(
            found,
            params.get("MaxResults", 1),
            params.get("NextToken"),
            "MappedResourceConfigurationList",
        )

    # -- data endpoints ------------------------------------------------------------------
    async def get_data_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetDataEndpoint: the lab's loopback data listener, for every API name."""
        self.stream_for(params)
        await self.listener.ensure_open()
        return {"DataEndpoint": self.listener.url}

    def endpoint_url(self) -> str | None:
        """The data endpoint URL, or None while no stream or channel exists."""
        return self.listener.url if self.listener.is_open else None

    # -- tags ----------------------------------------------------------------------------
    def tag_stream(self, params: dict[str, Any]) -> dict[str, Any]:
        """TagStream."""
        stream = self.stream_for(params)
        merged = {**stream.tags, **params["Tags"]}
        _check_tags(merged)
        stream.tags = merged
        return {}

    def untag_stream(self, params: dict[str, Any]) -> dict[str, Any]:
        """UntagStream."""
        stream = self.stream_for(params)
        for key in params["TagKeyList"]:
            stream.tags.pop(key, None)
        return {}

    def list_tags_for_stream(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListTagsForStream."""
        return {"Tags": dict(self.stream_for(params).tags)}

    def _tagged(self, arn: str) -> VideoStream | SignalingChannel:
        if ":channel/" in arn:
            return self._channel_for({"ChannelARN": arn})
        return self.stream_for({"StreamARN": arn})

    def tag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        """TagResource (streams and signaling channels)."""
        resource = self._tagged(params["ResourceARN"])
        merged = {**resource.tags, **{t["Key"]: t["Value"] for t in params["Tags"]}}
        _check_tags(merged)
        resource.tags = merged
        return {}

    def untag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        """UntagResource."""
        resource = self._tagged(params["ResourceARN"])
        for key in params["TagKeyList"]:
            resource.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListTagsForResource."""
        return {"Tags": dict(self._tagged(params["ResourceARN"]).tags)}

    # -- image generation and notifications ----------------------------------------------
    def update_image_generation_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateImageGenerationConfiguration: images to S3 on a schedule while ENABLED."""
        stream = self.stream_for(params)
        config = params.get("ImageGenerationConfiguration")
        if config is not None:
            if stream.retention_hours == 0:
                raise invalid("Image generation needs a stream with data retention above 0.")
            interval = config["SamplingInterval"]
            if not 200 <= interval <= 20_000:
                raise invalid("SamplingInterval must be between 200 and 20000 milliseconds.")
            config = _copy(config)
        stream.image_generation = config
        self.images.schedule(stream)
        return {}

    def describe_image_generation_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeImageGenerationConfiguration."""
        stream = self.stream_for(params)
        if stream.image_generation is None:
            return {}
        return {"ImageGenerationConfiguration": _copy(stream.image_generation)}

    def update_notification_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateNotificationConfiguration: an SNS topic told when images are generated."""
        stream = self.stream_for(params)
        config = params.get("NotificationConfiguration")
        stream.notification = _copy(config) if config is not None else None
        return {}

    def describe_notification_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeNotificationConfiguration."""
        stream = self.stream_for(params)
        if stream.notification is None:
            return {}
        return {"NotificationConfiguration": _copy(stream.notification)}

    # -- signaling channels (control plane only) -----------------------------------------
    async def create_signaling_channel(self, params: dict[str, Any]) -> dict[str, Any]:
        """CreateSignalingChannel: kept and described; the lab relays no signaling."""
        name = params["ChannelName"]
        _check_name(name, "ChannelName")
        if name in self.channels:
            raise in_use(f"The signaling channel {name} already exists.")
        tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
        _check_tags(tags)
        now = self.clock.now()
        channel = SignalingChannel(
            name,
            self.arn(f"channel/{name}/{int(now * 1000)}"),
            now,
            self._version(),
            params.get("ChannelType", "SINGLE_MASTER"),
            (params.get("SingleMasterConfiguration") or {}).get("MessageTtlSeconds", 60),
            tags,
        )
        await self.listener.ensure_open()
        self.channels[name] = channel
        self.emit("created", channel.arn, channel_type=channel.channel_type)
        return {"ChannelARN": channel.arn}

    def describe_signaling_channel(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeSignalingChannel."""
        if not params.get("ChannelName") and not params.get("ChannelARN"):
            raise invalid("Either ChannelName or ChannelARN must be specified.")
        return {"ChannelInfo": self._channel_for(params).info()}

    def list_signaling_channels(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListSignalingChannels, by name prefix."""
        condition = params.get("ChannelNameCondition") or {}
        prefix = condition.get("ComparisonValue", "")
        names = sorted(n for n in self.channels if n.startswith(prefix))
        return _page(
            [self.channels[n].info() for n in names],
            params.get("MaxResults", 10_000),
            params.get("NextToken"),
            "ChannelInfoList",
        )

    async def delete_signaling_channel(self, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteSignalingChannel."""
        channel = self._channel_for(params)
        current = params.get("CurrentVersion")
        if current is not None and current != channel.version:
            raise version_mismatch()
        del self.channels[channel.name]
        self.emit("deleted", channel.arn)
        if not self.streams and not self.channels:
            await self.listener.close()
        return {}

    def update_signaling_channel(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateSignalingChannel: the message TTL (CurrentVersion guard)."""
        channel = self._channel_for(params)
        if params["CurrentVersion"] != channel.version:
            raise version_mismatch()
        config = params.get("SingleMasterConfiguration") or {}
        channel.message_ttl = config.get("MessageTtlSeconds", channel.message_ttl)
        channel.version = self._version()
        return {}

    async def get_signaling_channel_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetSignalingChannelEndpoint: loopback URLs per protocol (no relay answers there)."""
        self._channel_for(params)
        await self.listener.ensure_open()
        config = params.get("SingleMasterChannelEndpointConfiguration") or {}
        port = self.listener.port
        schemes = {"WSS": "wss", "HTTPS": "https", "WEBRTC": "https"}
        return {
            "ResourceEndpointList": [
                {"Protocol": p, "ResourceEndpoint": f"{schemes[p]}://127.0.0.1:{port}"}
                for p in config.get("Protocols") or ["WSS", "HTTPS"]
            ]
        }

    # -- save and open ---------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """Streams with their fragments, and channels (None when there are none)."""
        if not self.streams and not self.channels:
            return None
        # Fragment numbers grow from the service's base: keep it, so new ones stay above.
        return {**dump_video(self.streams, self.channels), "base": str(self.ingest.base)}

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` produced; retention and image timers start again."""
        self.streams, self.channels = load_video(data)
        self.ingest.base = int(data.get("base", self.ingest.base))
        for stream in self.streams.values():
            self.ingest.expire(stream)
            self.images.schedule(stream)

    # -- lifecycle and views -------------------------------------------------------------
    async def close(self) -> None:
        """Release every stream's timers and readers, and the data listener."""
        for stream in self.streams.values():
            self._release(stream)
        await self.listener.close()

    def holdings(self) -> dict[str, int]:
        """Streams, channels, fragments and their bytes."""
        return {
            "streams": len(self.streams),
            "channels": len(self.channels),
            "fragments": sum(len(s.fragments) for s in self.streams.values()),
            "fragment_bytes": sum(s.fragments.bytes for s in self.streams.values()),
            "listeners": int(self.listener.is_open),
        }

    def topology(self) -> tuple[list[Node], list[Edge]]:
        """Each stream with its fragment timeline; image destinations as delivery edges."""
        nodes: list[Node] = []
        edges: list[Edge] = []
        now_ms = int(self.clock.now() * 1000)
        for stream in self.streams.values():
            nodes.append(
                Node(
                    stream.arn,
                    "video-stream",
                    stream.name,
                    self.name,
                    self.timeline(stream, now_ms),
                )
            )
            config = stream.image_generation
            if config and config.get("Status") == "ENABLED":
                bucket = config["DestinationConfig"]["Uri"].split("://", 1)[-1].split("/", 1)[0]
                edges.append(Edge(stream.arn, f"arn:aws:s3:::{bucket}", "delivery", "images"))
        for channel in self.channels.values():
            nodes.append(Node(channel.arn, "signaling-channel", channel.name, self.name, {}))
        return nodes, edges

    def timeline(self, stream: VideoStream, now_ms: int) -> dict[str, Any]:
        """Counters for the flow map: fragments, bytes, ingest rate, retention window."""
        self.ingest.expire(stream)
        log = stream.fragments
        oldest, newest = log.oldest(), log.newest()
        window = stream.retention_hours * 3600 * 1000
        recent = log.in_range("SERVER_TIMESTAMP", now_ms - 10_000, now_ms)
        return {
            "fragments": len(log),
            "bytes": log.bytes,
            "put": stream.put_fragments,
            "expired": stream.expired,
            "errors": stream.errors,
            "producers": stream.sessions,
            "ingest_bytes_per_s": sum(f.size for f in recent) // 10,
            "retention_hours": stream.retention_hours,
            "oldest_ms": oldest.server_ms if oldest else 0,
            "newest_ms": newest.server_ms if newest else 0,
            "window_start_ms": now_ms - window if window else 0,
        }


def _check_name(name: str, member: str) -> None:
    if not _NAME.fullmatch(name):
        raise invalid(f"{member} must match [a-zA-Z0-9_.-]+ (got {name!r}).")


def _check_tags(tags: dict[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise ServiceError(
            "TagsPerResourceExceededLimitException",
            f"A resource can have at most {MAX_TAGS} tags.",
        )


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _page(items: list[dict], limit: int, token: str | None, key: str) -> dict[str, Any]:
    start = 0
    if token:
        try:
            start = int(token)
        except ValueError:
            raise invalid("The NextToken is not valid.") from None
    out: dict[str, Any] = {key: items[start : start + limit]}
    if start + limit < len(items):
        out["NextToken"] = str(start + limit)
    return out
