"""The ASGI application that serves the lab's AWS-compatible endpoint."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from engine.http import HttpRequest, HttpResponse

from .endpoint import BODY_LIMITS, Served, WireEndpoint
from .eventstream import StreamingHttpResponse
from .guard import RequestGuard

if TYPE_CHECKING:
    from engine.engine import Engine

    from .signing import SignatureVerifier

Scope = dict[str, Any]

#: One line per request: method, service, operation, status, milliseconds (real time).
access_log = logging.getLogger("pipework.access")


class WireApp:
    """ASGI app: HTTP requests go to the wire endpoint, WebSockets to API Gateway when deployed."""

    def __init__(
        self,
        engine: Engine,
        max_body: int | None = None,
        guard: RequestGuard | None = None,
        verifier: SignatureVerifier | None = None,
    ) -> None:
        self.engine = engine
        self.endpoint = WireEndpoint(engine)
        #: One limit for every protocol when given, else each protocol's own (BODY_LIMITS).
        self.max_body = max_body
        self.guard = guard if guard is not None else RequestGuard()
        self.verifier = verifier

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
        started = time.perf_counter()
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        request = HttpRequest(
            scope["method"],
            path,
            parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
            {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])},
            b"",
            (scope.get("client") or ("127.0.0.1", 0))[0],
            scope.get("scheme", "http"),
        )
        served = Served()
        response = self._admit(request)
        if response is None:
            body = await self._read_body(request, receive)
            if body is None:
                return  # the caller left
            if isinstance(body, HttpResponse):
                response = body
            else:
                request.body = body
                response = await self._verified(request)
                if response is None:
                    response = await self.endpoint.handle(request, served)
        if served.service == "-":  # refused before the endpoint read it
            self.endpoint.identify(request, served)
        await _send(receive, send, response, scope["method"] == "HEAD")
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %s %d %.1fms",
                request.method,
                served.service,
                served.operation,
                response.status,
                (time.perf_counter() - started) * 1000,
            )

    def _admit(self, request: HttpRequest) -> HttpResponse | None:
        """A refusal for a request naming another host, or a browser's from a foreign origin."""
        guard = self.guard
        refusal = guard.check_host(request.headers.get("host"))
        if refusal is None and not self.endpoint.is_api_gateway(request):
            refusal = guard.check_origin(request.headers)
        if refusal is None:
            return None
        self.engine.trace.emit("refused", "wire", request.path, reason=refusal.message)
        return self.endpoint.refuse(request, refusal.message, refusal.status)

    async def _verified(self, request: HttpRequest) -> HttpResponse | None:
        """With --verify-signatures, an error answer for a request whose SigV4 does not hold."""
        if self.verifier is None or self.endpoint.is_api_gateway(request):
            return None
        return self.verifier.check(request, self.endpoint)

    async def _read_body(self, request: HttpRequest, receive: Any) -> bytes | HttpResponse | None:
        """The whole body, a 413 answer once it passes its protocol's limit, or None on hang-up."""
        limit = self.max_body or BODY_LIMITS[self.endpoint.protocol_of(request)]
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return _too_large(limit)
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def _websocket(self, scope: Scope, receive: Any, send: Any) -> None:
        host = next((v for k, v in scope.get("headers", []) if k == b"host"), b"")
        if not self.guard.host_allowed(host.decode("latin-1")):
            await receive()
            await send({"type": "websocket.close", "code": 1008})
            return
        for name in ("apigatewayv2",):
            if name in self.engine.available_services():
                handler = getattr(self.engine.service(name), "handle_websocket", None)
                if handler is not None:
                    await handler(scope, receive, send)
                    return
        await receive()
        await send({"type": "websocket.close", "code": 1008})


def _too_large(limit: int) -> HttpResponse:
    """413 (the rest of the body is discarded as it arrives, within the body timeout)."""
    return HttpResponse(
        413,
        {"content-type": "text/plain"},
        f"Request entity too large (this endpoint reads at most {limit} bytes).".encode(),
    )


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
