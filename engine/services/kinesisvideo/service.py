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

from datetime import UTC, datetime
from typing import Any

from engine.errors import ServiceError
from engine.service import Service
from engine.topology import Edge, Node

from .channels import SignalingChannels
from .checks import check_name, check_tags, copy_data, page
from .errors import in_use, invalid, not_found, version_mismatch
from .imaging import ImageSchedule
from .ingest import Ingest
from .listener import DataListener
from .resources import SignalingChannel, VideoStream
from .saving import dump_video, load_video

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
        self.signaling = SignalingChannels(self)
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

    @property
    def channels(self) -> dict[str, SignalingChannel]:
        """The signaling channels, by name."""
        return self.signaling.channels

    def new_version(self) -> str:
        """A fresh resource version (changes on every update)."""
        return self.ids.hex(20)

    async def close_listener_when_idle(self) -> None:
        """Close the data listener once no stream or channel is left."""
        if not self.streams and not self.channels:
            await self.listener.close()

    # -- streams -------------------------------------------------------------------------
    async def create_stream(self, params: dict[str, Any]) -> dict[str, Any]:
        """CreateStream: a new ACTIVE stream (the data endpoint opens with the first one)."""
        name = params["StreamName"]
        check_name(name, "StreamName")
        if name in self.streams:
            raise in_use(f"The stream {name} already exists.")
        retention = params.get("DataRetentionInHours", 0)
        if retention > MAX_RETENTION_HOURS:
            raise invalid(f"DataRetentionInHours must be at most {MAX_RETENTION_HOURS}.")
        tags = dict(params.get("Tags") or {})
        check_tags(tags)
        now = self.clock.now()
        stream = VideoStream(
            name=name,
            arn=self.arn(f"stream/{name}/{int(now * 1000)}"),
            created=now,
            version=self.new_version(),
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
        return page(
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
        await self.close_listener_when_idle()
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
        stream.version = self.new_version()
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
        stream.version = self.new_version()
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
        stream.version = self.new_version()
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
            "EdgeConfig": copy_data(params["EdgeConfig"]),
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
        return page(found, params.get("MaxResults", 10), params.get("NextToken"), "EdgeConfigs")

    def _edge_view(self, stream: VideoStream) -> dict[str, Any]:
        assert stream.edge is not None
        return {"StreamName": stream.name, "StreamARN": stream.arn, **copy_data(stream.edge)}

    # -- signaling channels (control plane only; channels.py) ----------------------------
    async def create_signaling_channel(self, params: dict[str, Any]) -> dict[str, Any]:
        """CreateSignalingChannel: kept and described; the lab relays no signaling."""
        return await self.signaling.create(params)

    def describe_signaling_channel(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeSignalingChannel."""
        return self.signaling.describe(params)

    def list_signaling_channels(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListSignalingChannels."""
        return self.signaling.list(params)

    async def delete_signaling_channel(self, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteSignalingChannel."""
        return await self.signaling.delete(params)

    def update_signaling_channel(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateSignalingChannel."""
        return self.signaling.update(params)

    async def get_signaling_channel_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetSignalingChannelEndpoint: loopback URLs (no signaling is relayed)."""
        return await self.signaling.endpoint(params)

    def update_media_storage_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateMediaStorageConfiguration."""
        return self.signaling.update_media_storage(params)

    def describe_media_storage_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeMediaStorageConfiguration."""
        return self.signaling.describe_media_storage(params)

    def describe_mapped_resource_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeMappedResourceConfiguration."""
        return self.signaling.mapped_to(self.stream_for(params).arn, params)

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
        check_tags(merged)
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
            return self.signaling.find({"ChannelARN": arn})
        return self.stream_for({"StreamARN": arn})

    def tag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        """TagResource (streams and signaling channels)."""
        resource = self._tagged(params["ResourceARN"])
        merged = {**resource.tags, **{t["Key"]: t["Value"] for t in params["Tags"]}}
        check_tags(merged)
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
            config = copy_data(config)
        stream.image_generation = config
        self.images.schedule(stream)
        return {}

    def describe_image_generation_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeImageGenerationConfiguration."""
        stream = self.stream_for(params)
        if stream.image_generation is None:
            return {}
        return {"ImageGenerationConfiguration": copy_data(stream.image_generation)}

    def update_notification_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateNotificationConfiguration: an SNS topic told when images are generated."""
        stream = self.stream_for(params)
        config = params.get("NotificationConfiguration")
        stream.notification = copy_data(config) if config is not None else None
        return {}

    def describe_notification_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeNotificationConfiguration."""
        stream = self.stream_for(params)
        if stream.notification is None:
            return {}
        return {"NotificationConfiguration": copy_data(stream.notification)}

    # -- save and open ---------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """Streams with their fragments, and channels (None when there are none)."""
        if not self.streams and not self.channels:
            return None
        # Fragment numbers grow from the service's base: keep it, so new ones stay above.
        return {**dump_video(self.streams, self.channels), "base": str(self.ingest.base)}

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` produced; retention and image timers start again."""
        self.streams, self.signaling.channels = load_video(data)
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
