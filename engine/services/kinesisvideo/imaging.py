"""Image generation: while a stream's configuration is ENABLED, a frame every sampling interval
goes to the S3 destination (and, when a notification destination is set, a message to SNS).

One clock timer per stream; an image is made only when a fragment landed since the last one
(AWS generates images from ingested media). Needs PyAV; without it each tick is traced as
failed with the line that names the extra.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from engine.errors import ServiceError
from engine.service import Envelope

from .resources import VideoStream

if TYPE_CHECKING:
    from .service import KinesisVideoService


class ImageSchedule:
    """Starts, stops and runs the image generation timers of the service's streams."""

    def __init__(self, service: KinesisVideoService) -> None:
        self.service = service
        self._last: dict[str, int] = {}  # stream ARN → number of the fragment last imaged
        self.generated = 0

    def schedule(self, stream: VideoStream) -> None:
        """(Re)start or stop the stream's timer to match its configuration."""
        if stream.image_timer is not None:
            stream.image_timer.cancel()
            stream.image_timer = None
        config = stream.image_generation
        if config and config.get("Status") == "ENABLED":
            stream.image_timer = self.service.clock.call_later(
                config["SamplingInterval"] / 1000, self._tick, stream
            )
        else:
            self._last.pop(stream.arn, None)

    def _tick(self, stream: VideoStream) -> None:
        stream.image_timer = None
        if self.service.streams.get(stream.name) is not stream:
            return
        try:
            self._generate(stream)
        except ServiceError as error:
            self.service.emit("failed", stream.arn, error=error.code, detail=error.message)
        except Exception as error:  # undecodable media: the image is skipped, the schedule goes on
            self.service.emit("failed", stream.arn, error="MEDIA_ERROR", detail=str(error)[:256])
        self.schedule(stream)

    def _generate(self, stream: VideoStream) -> None:
        config = stream.image_generation
        assert config is not None
        newest = stream.fragments.newest()
        if newest is None or self._last.get(stream.arn) == newest.number:
            return
        self._last[stream.arn] = newest.number
        from .video import FrameDecoder, encode_image

        frames = FrameDecoder().frames(newest, "image generation")
        if not frames:
            return
        _, frame = frames[-1]
        body = encode_image(
            frame,
            config["Format"],
            config.get("WidthPixels"),
            config.get("HeightPixels"),
            int((config.get("FormatConfig") or {}).get("JPEGQuality", 0)) or None,
        )
        selector = config["ImageSelectorType"]
        stamp_ms = newest.server_ms if selector == "SERVER_TIMESTAMP" else newest.producer_ms
        stamp_ms += frames[-1][0]
        uri = config["DestinationConfig"]["Uri"].split("://", 1)[-1]
        bucket, _, prefix = uri.partition("/")
        when = datetime.fromtimestamp(stamp_ms / 1000, UTC)
        extension = "jpg" if config["Format"] == "JPEG" else "png"
        key = "/".join(
            p
            for p in (
                prefix.strip("/"),
                self.service.account_id,
                stream.name,
                when.strftime("%Y/%m/%d/%H/%M/%S"),
                f"{stamp_ms}-{selector}-{newest.number}.{extension}",
            )
            if p
        )
        s3 = self.service.engine.service("s3")
        s3.put_object_internal(  # type: ignore[attr-defined]
            bucket, key, body, content_type="image/jpeg" if extension == "jpg" else "image/png"
        )
        self.generated += 1
        self.service.emit(
            "delivered", stream.arn, message_id=str(newest.number), bucket=bucket, key=key
        )
        notification = stream.notification
        if notification and notification.get("Status") == "ENABLED":
            topic = notification["DestinationConfig"]["Uri"]
            message = json.dumps(
                {
                    "StreamArn": stream.arn,
                    "FragmentNumber": str(newest.number),
                    "FragmentStartProducerTimestamp": newest.producer_ms,
                    "FragmentStartServerTimestamp": newest.server_ms,
                    "S3Destination": f"s3://{bucket}/{key}",
                }
            )
            self.service.engine.spawn(self._notify(stream, topic, message), name="kvs-notify")

    async def _notify(self, stream: VideoStream, topic: str, message: str) -> None:
        try:
            await self.service.engine.fabric.deliver(
                topic, Envelope(message, source_arn=stream.arn)
            )
            self.service.emit("delivered", stream.arn, target=topic)
        except ServiceError as error:
            self.service.emit("delivery-failed", stream.arn, target=topic, error=error.code)
