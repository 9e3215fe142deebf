"""The lab's Kinesis Video data endpoint: one loopback HTTP/1.1 listener, as GetDataEndpoint says.

Producers POST /putMedia with a chunked MKV body and read acknowledgements (one JSON object a
line) on the same connection while they upload. GetMedia streams MKV chunks as fragments land.
The archived-media calls (ListFragments, GetClip, GetImages, the HLS/DASH session URLs …) are
AWS's rest-json requests, parsed and answered with botocore's model; HLS playlists, DASH
manifests and fMP4 segments are GETs under /hls/v1/ and /dash/v1/. HTTP framing is h11's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import h11

from engine.errors import ServiceError
from engine.http import HttpRequest
from engine.listeners import Listener

if TYPE_CHECKING:
    from .service import KinesisVideoService

ARCHIVED = "kinesis-video-archived-media"
SIGNALING = "kinesis-video-signaling"
#: Archived-media operations by path.
ARCHIVED_PATHS = {
    "/listFragments",
    "/getMediaForFragmentList",
    "/getClip",
    "/getHLSStreamingSessionURL",
    "/getDASHStreamingSessionURL",
    "/getImages",
}
#: Largest non-streaming request body the listener reads.
MAX_BODY = 1024 * 1024


class _Connection:
    """One client connection: h11 state plus the socket streams."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.h11 = h11.Connection(h11.SERVER)
        self.reader = reader
        self.writer = writer

    async def next_event(self) -> Any:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await self.reader.read(65536)
            self.h11.receive_data(data)

    async def send(self, event: Any) -> None:
        data = self.h11.send(event)
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def body(self, limit: int = MAX_BODY) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            event = await self.next_event()
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > limit:
                    raise ServiceError("InvalidArgumentException", "The request body is too large.")
                parts.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            else:
                raise ConnectionError("the client closed mid-request")

    async def body_chunks(self) -> AsyncIterator[bytes]:
        while True:
            event = await self.next_event()
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return
            else:
                return

    async def respond(self, status: int, headers: dict[str, str], body: bytes) -> None:
        headers = {**headers, "content-length": str(len(body))}
        await self.send(h11.Response(status_code=status, headers=list(headers.items())))
        await self.send(h11.Data(data=body))
        await self.send(h11.EndOfMessage())

    async def error(self, error: ServiceError, request_id: str) -> None:
        from engine.wire.errors import rest_json_error

        headers, body = rest_json_error(ARCHIVED, error.code, error.message, error.extra or {})
        headers.update({"content-type": "application/json", "x-amzn-requestid": request_id})
        status = error.status_code if error.status_code >= 400 else 400
        await self.respond(status, headers, body)


class DataListener:
    """The data endpoint of one lab's Kinesis Video Streams (opened with the first stream)."""

    def __init__(self, service: KinesisVideoService) -> None:
        self.service = service
        self._listener: Listener | None = None
        self._opening: asyncio.Lock | None = None
        #: How long (lab clock seconds) a live GetMedia waits for a new fragment before ending.
        self.live_idle_seconds = 5.0

    @property
    def is_open(self) -> bool:
        """Whether the listener is accepting connections."""
        return self._listener is not None

    @property
    def port(self) -> int:
        """The listener's port (0 while closed)."""
        return self._listener.port if self._listener else 0

    @property
    def url(self) -> str:
        """The endpoint URL GetDataEndpoint returns."""
        return f"http://127.0.0.1:{self.port}"

    async def ensure_open(self) -> None:
        """Open the listener if it is not open yet."""
        if self._listener is None:
            if self._opening is None:
                self._opening = asyncio.Lock()
            async with self._opening:
                if self._listener is None:
                    name = f"kinesisvideo:{self.service.region}"
                    self._listener = await self.service.engine.listeners.open(name, self._serve)

    async def close(self) -> None:
        """Close the listener and its connections."""
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()

    # -- connections -----------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Connection(reader, writer)
        while True:
            try:
                event = await conn.next_event()
            except h11.RemoteProtocolError as error:
                # Not HTTP/1.1: one clear line, then the connection ends.
                if conn.h11.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                    body = f"Malformed HTTP request: {error}".encode()
                    writer.write(
                        b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n"
                        b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
                    )
                    await writer.drain()
                return
            if not isinstance(event, h11.Request):
                return
            target = event.target.decode("latin-1")
            split = urlsplit(target)
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in event.headers}
            request_id = self.service.ids.request_id()
            try:
                await self._route(conn, event.method.decode(), split.path, split.query, headers)
            except ServiceError as error:
                if conn.h11.our_state is not h11.SEND_RESPONSE:
                    return  # the answer had begun: the connection ends
                await conn.error(error, request_id)
            if conn.h11.our_state is h11.DONE and conn.h11.their_state is h11.DONE:
                conn.h11.start_next_cycle()
            else:
                return

    async def _route(
        self, conn: _Connection, method: str, path: str, query: str, headers: dict[str, str]
    ) -> None:
        if method == "POST" and path == "/putMedia":
            await self._put_media(conn, headers)
        elif method == "POST" and path == "/getMedia":
            await self._get_media(conn, await conn.body(), headers)
        elif method == "POST" and path in ARCHIVED_PATHS:
            await self._data_api(conn, ARCHIVED, path, await conn.body(), headers)
        elif method == "GET" and (path.startswith("/hls/v1/") or path.startswith("/dash/v1/")):
            await conn.body()
            from .playback import serve_playback

            status, out_headers, body = await serve_playback(
                self.service, path, dict(parse_qsl(query))
            )
            await conn.respond(status, out_headers, body)
        elif method == "POST" and path == "/v1/get-ice-server-config":
            await self._data_api(conn, SIGNALING, path, await conn.body(), headers)
        elif path.startswith("/v1/"):
            await conn.body()
            raise ServiceError(
                "UnsupportedOperation",
                "The lab keeps signaling channels as control plane only: no WebRTC signaling.",
                status_code=501,
            )
        else:
            await conn.body()
            raise ServiceError(
                "ResourceNotFoundException",
                f"No Kinesis Video data API at {method} {path}.",
                status_code=404,
            )

    # -- PutMedia --------------------------------------------------------------------------
    async def _put_media(self, conn: _Connection, headers: dict[str, str]) -> None:
        params = {
            "StreamName": headers.get("x-amzn-stream-name"),
            "StreamARN": headers.get("x-amzn-stream-arn"),
        }
        stream = self.service.stream_for({k: v for k, v in params.items() if v})
        start = headers.get("x-amzn-producer-start-timestamp")
        try:
            start_ms = int(float(start) * 1000) if start else None
        except ValueError:
            raise ServiceError(
                "InvalidArgumentException", "x-amzn-producer-start-timestamp is not a number."
            ) from None
        timecode_type = headers.get("x-amzn-fragment-timecode-type", "ABSOLUTE")
        self.service.ingest.check(stream, timecode_type)
        acks = self.service.ingest.put_media(
            stream,
            conn.body_chunks(),
            timecode_type=timecode_type,
            producer_start_ms=start_ms,
            checked=True,
        )
        await conn.send(
            h11.Response(
                status_code=200,
                headers=[
                    ("content-type", "application/json"),
                    ("transfer-encoding", "chunked"),
                    ("x-amzn-requestid", self.service.ids.request_id()),
                ],
            )
        )
        async for ack in acks:
            await conn.send(h11.Data(data=(json.dumps(ack) + "\n").encode()))
        if conn.h11.their_state is not h11.DONE:
            with contextlib.suppress(Exception):
                async for _ in conn.body_chunks():
                    pass
        await conn.send(h11.EndOfMessage())

    # -- GetMedia --------------------------------------------------------------------------
    async def _get_media(self, conn: _Connection, body: bytes, headers: dict[str, str]) -> None:
        from engine.model import validator

        _, params = _parse("kinesis-video-media", "/getMedia", body, headers)
        media = self.service.engine.service("kinesis-video-media")
        validator("kinesis-video-media", "GetMedia", media.validation_error_code)(params)
        stream, index = media.start(params)  # type: ignore[attr-defined]
        await conn.send(
            h11.Response(
                status_code=200,
                headers=[
                    ("content-type", "video/webm"),
                    ("transfer-encoding", "chunked"),
                    ("x-amzn-requestid", self.service.ids.request_id()),
                ],
            )
        )
        async for data in media.live(stream, index, self.live_idle_seconds):  # type: ignore[attr-defined]
            await conn.send(h11.Data(data=data))
        await conn.send(h11.EndOfMessage())

    # -- archived media --------------------------------------------------------------------
    async def _data_api(
        self, conn: _Connection, api: str, path: str, body: bytes, headers: dict[str, str]
    ) -> None:
        """One rest-json call of a data-plane API served here (archived media, signaling)."""
        from botocore import xform_name

        from engine.wire.responses import rest_response

        operation, params = _parse(api, path, body, headers)
        client = self.service.engine.client(api)
        result = await getattr(client, xform_name(operation.name))(**params)
        result.pop("ResponseMetadata", None)
        response = rest_response("rest-json", operation, result, self.service.ids.request_id())
        await conn.respond(response.status, response.headers, response.body)


def _parse(service: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[Any, dict]:
    """A rest-json request's operation and parameters (botocore's model), or AWS's 400."""
    from engine.wire.errors import WireError
    from engine.wire.requests import parse_rest

    try:
        return parse_rest(service, "rest-json", HttpRequest("POST", path, [], headers, body))
    except WireError as error:
        raise ServiceError(error.code, error.message, status_code=error.status) from None
