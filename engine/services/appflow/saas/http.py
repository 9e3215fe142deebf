"""The sandboxes' REST APIs on one loopback listener: `http://127.0.0.1:PORT/<app>/<the app's path>`.

Each app answers in its real API's shape (pagination, modified-date filters, its own rate-limit
reply); this module only parses HTTP (httptools), routes by the first path segment and writes JSON.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

import httptools

if TYPE_CHECKING:
    from . import SaasLab

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
}
#: Largest request body the sandboxes read.
MAX_BODY = 1 << 20


@dataclass(slots=True)
class Reply:
    """A REST answer: status, JSON payload (None: no body) and extra headers."""

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class _Request:
    def __init__(self) -> None:
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body = b""
        self.done = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body += body
        if len(self.body) > MAX_BODY:
            raise ValueError("body too large")

    def on_message_complete(self) -> None:
        self.done = True


class SaasHttp:
    """Serves every sandbox app's REST API on one connection handler."""

    def __init__(self, lab: SaasLab) -> None:
        self.lab = lab

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer requests on one connection until the client closes it."""
        while True:
            request = _Request()
            parser = httptools.HttpRequestParser(request)
            while not request.done:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                try:
                    parser.feed_data(chunk)
                except (httptools.HttpParserError, ValueError):
                    await _write(writer, Reply(400, {"error": "malformed HTTP request"}), False)
                    return
            url = httptools.parse_url(request.url)
            keep = parser.should_keep_alive()
            reply = self.answer(
                parser.get_method().decode(),
                unquote(url.path.decode()),
                (url.query or b"").decode(),
                request.headers,
                request.body,
            )
            await _write(writer, reply, keep)
            if not keep:
                return

    def answer(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Reply:
        """One request → one reply (also used by the console's `saas request`)."""
        key, _, rest = path.lstrip("/").partition("/")
        app = self.lab.apps.get(key)
        if app is None:
            return Reply(
                404, {"error": f"no sandbox app at /{key}; try " + ", ".join(self.lab.apps)}
            )
        if not headers.get("authorization"):
            return app.unauthorized()
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError:
            return Reply(400, {"error": "the request body is not JSON"})
        if not app.admit():
            return app.rate_limited()
        app.ensure_seeded()
        return app.handle(
            method, "/" + rest, dict(parse_qsl(query, keep_blank_values=True)), payload
        )


async def _write(writer: asyncio.StreamWriter, reply: Reply, keep_alive: bool) -> None:
    body = b"" if reply.payload is None else json.dumps(reply.payload, default=str).encode()
    head = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Error')}"]
    headers = {"content-type": "application/json", "content-length": str(len(body))}
    headers.update(reply.headers)
    headers["connection"] = "keep-alive" if keep_alive else "close"
    head.extend(f"{k}: {v}" for k, v in headers.items())
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
