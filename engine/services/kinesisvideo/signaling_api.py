"""Kinesis Video Signaling (`kinesis-video-signaling`): GetIceServerConfig for a channel.

The lab keeps signaling channels as control plane only. GetIceServerConfig answers what AWS
answers — TURN servers with temporary credentials and a time to live — but the URIs name the
channel's loopback endpoint, where no TURN relay or WebRTC signaling runs.
SendAlexaOfferToMaster needs a connected master, which the lab never has, and is not emulated.
"""

from __future__ import annotations

from typing import Any

from engine.errors import ServiceError
from engine.service import Service

#: How long AWS's TURN credentials last (seconds).
ICE_TTL_SECONDS = 300


class KinesisVideoSignalingService(Service):
    """GetIceServerConfig over the channels the kinesisvideo service keeps."""

    name = "kinesis-video-signaling"
    validation_error_code = "InvalidArgumentException"

    @property
    def control(self) -> Any:
        """The kinesisvideo service that owns the channels."""
        return self.engine.service("kinesisvideo")

    async def get_ice_server_config(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetIceServerConfig: TURN URIs and temporary credentials for the channel."""
        channel = self.control.signaling.find({"ChannelARN": params["ChannelARN"]})
        if params.get("Service", "TURN") != "TURN":
            raise ServiceError(
                "InvalidArgumentException", "The only supported Service value is TURN."
            )
        listener = self.control.listener
        await listener.ensure_open()
        host = f"127.0.0.1:{listener.port}"
        expires = int(self.clock.now()) + ICE_TTL_SECONDS
        client = params.get("ClientId") or params.get("Username") or "viewer"
        self.emit("ice-config", channel.arn, client=client)
        return {
            "IceServerList": [
                {
                    "Uris": [
                        f"turn:{host}?transport=udp",
                        f"turns:{host}:443?transport=udp",
                        f"turns:{host}:443?transport=tcp",
                    ],
                    "Username": f"{expires}:{self.ids.hex(24)}",
                    "Password": self.ids.hex(32),
                    "Ttl": ICE_TTL_SECONDS,
                }
            ]
        }


SERVICE = KinesisVideoSignalingService
