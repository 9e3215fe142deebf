"""Kinesis Video Streams Media (`kinesis-video-media`): GetMedia.

In process, `get_media` answers the chunks from the start selector up to the newest fragment
(a client in the lab cannot hold a call open); over the data endpoint, `live(...)` keeps
streaming chunks as fragments land until the stream is idle for a while on the lab clock.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

from botocore.response import StreamingBody

from engine.service import Service

from .reading import media_chunk, start_index
from .resources import VideoStream


class KinesisVideoMediaService(Service):
    """GetMedia over the streams the kinesisvideo service keeps."""

    name = "kinesis-video-media"
    validation_error_code = "InvalidArgumentException"

    @property
    def control(self) -> Any:
        """The kinesisvideo service that owns the streams."""
        return self.engine.service("kinesisvideo")

    def start(self, params: dict[str, Any]) -> tuple[VideoStream, int]:
        """The stream and the position a GetMedia call starts at."""
        stream = self.control.stream_for(params)
        stream.count_call("GetMedia", self.clock.now())
        self.control.ingest.expire(stream)
        return stream, start_index(stream.fragments, params["StartSelector"])

    def get_media(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetMedia: chunks from the start selector to the newest fragment, as MKV."""
        stream, index = self.start(params)
        log = stream.fragments
        now_ms = int(self.clock.now() * 1000)
        newest = log.newest()
        newest_ms = newest.server_ms if newest else now_ms
        data = b"".join(media_chunk(log.at(i), now_ms, newest_ms) for i in range(index, len(log)))
        self.emit("received", stream.arn, fragments=len(log) - index, bytes=len(data))
        return {"ContentType": "video/webm", "Payload": StreamingBody(io.BytesIO(data), len(data))}

    async def live(self, stream: VideoStream, index: int, idle: float) -> AsyncIterator[bytes]:
        """Chunks from `index` on, then each new fragment as it lands, until idle or deleted."""
        import asyncio

        log = stream.fragments
        after: int | None = None  # the number of the last fragment sent
        if index < len(log):
            after = log.at(index).number - 1
        elif len(log):
            after = log.at(len(log) - 1).number
        ready = asyncio.Event()
        stream.waiters.append(ready.set)
        try:
            while stream.status == "ACTIVE":
                position = log.index_after_number(after) if after is not None else 0
                while position < len(log):
                    fragment = log.at(position)
                    newest = log.newest()
                    now_ms = int(self.clock.now() * 1000)
                    yield media_chunk(fragment, now_ms, newest.server_ms if newest else now_ms)
                    self.emit("received", stream.arn, message_id=str(fragment.number))
                    after = fragment.number
                    position = log.index_after_number(after)
                ready.clear()
                try:
                    await self.clock.timeout(idle, ready.wait())
                except TimeoutError:
                    return
        finally:
            if ready.set in stream.waiters:
                stream.waiters.remove(ready.set)


SERVICE = KinesisVideoMediaService
