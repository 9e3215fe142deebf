"""The ASGI application that serves the lab's AWS-compatible endpoint."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from engine.http import HttpRequest, HttpResponse

from .endpoint import MAX_BODY, WireEndpoint
from .eventstream import StreamingHttpResponse

if TYPE_CHECKING:
    from engine.engine import Engine

Scope = dict[str, Any]


class WireApp:
    """ASGI app: HTTP requests go to the wire endpoint, WebSockets to API Gateway when deployed."""

    def __init__(self, engine: Engine, max_body: int = MAX_BODY) -> None:
        self.engine = engine
        self.endpoint = WireEndpoint(engine)
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)

    async def _http(self, scope: Scope, receive: Any, send: Any) -> None:
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _send(
                receive,
                send,
                HttpResponse(413, {"content-type": "text/plain"}, b"Request entity too large"),
            )
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _send(
                    receive,
                    send,
                    HttpResponse(413, {"content-type": "text/plain"}, b"Request entity too large"),
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        request = HttpRequest(
            scope["method"],
            path,
            parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
            {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])},
            b"".join(chunks),
            (scope.get("client") or ("127.0.0.1", 0))[0],
            scope.get("scheme", "http"),
        )
        response = await self.endpoint.handle(request)
        await _send(receive, send, response, scope["method"] == "HEAD")

    async def _websocket(self, scope: Scope, receive: Any, send: Any) -> None:
        for name in ("apigatewayv2",):
            if name in self.engine.available_services():
                handler = getattr(self.engine.service(name), "handle_websocket", None)
                if handler is not None:
                    await handler(scope, receive, send)
                    return
        await receive()
        await send({"type": "websocket.close", "code": 1008})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _send_stream(receive: Any, send: Any, response: StreamingHttpResponse) -> None:
    """Send headers now and each frame as the source yields it, until it ends or the caller leaves."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    stream = response.stream
    if stream is None:
        await send({"type": "http.response.body", "body": b""})
        return

    async def pump() -> None:
        async for frame in stream:
            await send({"type": "http.response.body", "body": frame, "more_body": True})

    pumping = asyncio.ensure_future(pump())

    async def watch() -> None:
        # uvicorn drops writes to a closed connection silently: only receive() tells.
        while (await receive())["type"] != "http.disconnect":
            pass
        pumping.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        await pumping
    except asyncio.CancelledError:
        if not watcher.done():
            raise  # cancelled from outside, not by the caller hanging up
        return
    finally:
        watcher.cancel()
        closing = getattr(stream, "aclose", None)
        if closing is not None:
            await closing()
    await send({"type": "http.response.body", "body": b""})


async def _send(receive: Any, send: Any, response: HttpResponse, head: bool = False) -> None:
    if isinstance(response, StreamingHttpResponse):
        await _send_stream(receive, send, response)
        return
    length = response.headers.get("content-length")
    if not head or length is None:
        # The body's own length, except for HEAD, which describes the object it does not send.
        length = str(len(response.body))
    headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in response.headers.items()
        if k != "content-length"
    ]
    headers.append((b"content-length", length.encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
