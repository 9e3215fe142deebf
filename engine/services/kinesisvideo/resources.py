"""The control plane's resources: video streams and signaling channels."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.clock import Timer

from .checks import throttle
from .fragments import FragmentLog


@dataclass(slots=True)
class VideoStream:
    """A Kinesis video stream: its settings, its archive and who is reading it live."""

    name: str
    arn: str
    created: float
    version: str
    retention_hours: int
    kms_key_id: str
    device_name: str | None = None
    media_type: str | None = None
    status: str = "ACTIVE"
    tags: dict[str, str] = field(default_factory=dict)
    image_generation: dict[str, Any] | None = None
    notification: dict[str, Any] | None = None
    storage_tier: str = "HOT"
    #: StartEdgeConfigurationUpdate's configuration, with its times and sync status.
    edge: dict[str, Any] | None = None
    fragments: FragmentLog = field(default_factory=FragmentLog)
    next_number: int = 0
    #: Live readers (GetMedia over the listener) woken when a fragment lands.
    waiters: list[Any] = field(default_factory=list)
    expiry: Timer | None = None
    image_timer: Timer | None = None
    #: Running totals the flow map samples.
    put_fragments: int = 0
    put_bytes: int = 0
    expired: int = 0
    errors: int = 0
    sessions: int = 0  # open PutMedia connections
    #: Recent call times per limited API (GetMedia, GetMediaForFragmentList, PutMedia).
    calls: dict[str, deque[float]] = field(default_factory=dict)

    def count_call(self, api: str, now: float) -> None:
        """Count a call against the API's 5-per-second limit (ClientLimitExceededException)."""
        throttle(self.calls.setdefault(api, deque(maxlen=8)), now)

    def info(self) -> dict[str, Any]:
        """StreamInfo as DescribeStream / ListStreams return it."""
        out: dict[str, Any] = {
            "StreamName": self.name,
            "StreamARN": self.arn,
            "KmsKeyId": self.kms_key_id,
            "Version": self.version,
            "Status": self.status,
            "CreationTime": datetime.fromtimestamp(self.created, UTC),
            "DataRetentionInHours": self.retention_hours,
        }
        if self.device_name:
            out["DeviceName"] = self.device_name
        if self.media_type:
            out["MediaType"] = self.media_type
        return out


@dataclass(slots=True)
class SignalingChannel:
    """A WebRTC signaling channel: control plane only (the lab relays no media or signaling)."""

    name: str
    arn: str
    created: float
    version: str
    channel_type: str = "SINGLE_MASTER"
    message_ttl: int = 60
    tags: dict[str, str] = field(default_factory=dict)
    media_storage: dict[str, Any] = field(default_factory=lambda: {"Status": "DISABLED"})

    def info(self) -> dict[str, Any]:
        """ChannelInfo as DescribeSignalingChannel / ListSignalingChannels return it."""
        return {
            "ChannelName": self.name,
            "ChannelARN": self.arn,
            "ChannelType": self.channel_type,
            "ChannelStatus": "ACTIVE",
            "CreationTime": datetime.fromtimestamp(self.created, UTC),
            "SingleMasterConfiguration": {"MessageTtlSeconds": self.message_ttl},
            "Version": self.version,
        }
