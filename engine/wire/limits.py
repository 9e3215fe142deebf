"""The endpoint's limits as a hardened HTTP server keeps them, enforced on uvicorn's httptools protocol.

uvicorn bounds keep-alive idle time and the listen backlog itself; it does not bound how long a
client may take to send its headers or body (slowloris), how large or how many its headers are,
how long its request line is, or how many connections sit open without a request. The protocol
subclass below adds those: each refusal is one HTTP answer (414, 431, 408) and a closed
connection, and when the connection cap is reached the longest-idle connection makes room.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


@dataclass(slots=True, frozen=True)
class ServerLimits:
    """Every limit of the endpoint (sizes in bytes, times in real seconds)."""

    #: The request line (method, target, version): ALB's 16 KB.
    max_request_line: int = 16 * 1024
    #: One header line: ALB's 16 KB.
    max_header_line: int = 16 * 1024
    #: All header lines together: ALB's 64 KB.
    max_header_bytes: int = 64 * 1024
    #: Header fields per request (Apache's LimitRequestFields).
    max_header_count: int = 100
    #: From a connection's (or a kept-alive request's) first byte to the end of its headers.
    header_timeout: float = 10.0
    #: From the end of the headers to the end of the body.
    body_timeout: float = 60.0
    #: Idle time between kept-alive requests.
    keep_alive_timeout: float = 5.0
    #: Open connections at once; beyond it the longest-idle one is closed to make room.
    max_connections: int = 1000


#: How long a refused connection keeps draining what the client still sends before closing.
LINGER_SECONDS = 1.0

_STATUS_TEXT = {408: "Request Timeout", 414: "URI Too Long", 431: "Request Header Fields Too Large"}


class ConnectionRegistry:
    """Connections of one server, idle ones in the order they went idle (oldest first)."""

    def __init__(self) -> None:
        self.open: set[GuardedHttpProtocol] = set()
        self.idle: OrderedDict[GuardedHttpProtocol, None] = OrderedDict()
        self.refused = 0

    def make_room(self, limit: int, newcomer: GuardedHttpProtocol) -> bool:
        """Close the longest-idle connection when over `limit`; False if the newcomer must go."""
        if len(self.open) <= limit:
            return True
        for victim in self.idle:
            if victim is not newcomer:
                self.refused += 1
                victim.drop()
                return True
        return False


def guarded_protocol(limits: ServerLimits) -> type[HttpToolsProtocol]:
    """A uvicorn HTTP protocol class enforcing `limits` (one registry per server)."""
    registry = ConnectionRegistry()
    return type("LabHttpProtocol", (GuardedHttpProtocol,), {"limits": limits, "registry": registry})


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with request-size limits and read deadlines."""

    limits: ServerLimits
    registry: ConnectionRegistry

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._in_request = False
        self._line = 0
        self._header_bytes = 0
        self._header_count = 0
        self._head_bytes = 0  # raw bytes of the request being read, until its headers end
        self._head_done = False
        self._refused = False

    # -- connection life ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        registry = self.registry
        registry.open.add(self)
        registry.idle[self] = None
        if not registry.make_room(self.limits.max_connections, self):
            registry.refused += 1
            self.drop()
            return
        self._arm(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.registry.open.discard(self)
        self.registry.idle.pop(self, None)
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        # The WebSocket protocol takes the connection over: it is no longer this one's to time.
        self._disarm()
        self.registry.open.discard(self)
        self.registry.idle.pop(self, None)
        super().handle_websocket_upgrade()

    def drop(self) -> None:
        """Close the connection at once (no answer: it never asked anything)."""
        self._disarm()
        self.registry.idle.pop(self, None)
        self.transport.abort()

    # -- deadlines ------------------------------------------------------------------------
    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self._in_request or self.cycle is None or self.cycle.response_complete:
            self._refuse(408, "The request was not received in time.")
        # A request whose body arrived is being answered: the app's own time is not limited.

    # -- parsing --------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if not self._in_request and (self.cycle is None or self.cycle.response_complete):
            # A new request begins (first on the connection, or after keep-alive).
            self._in_request = True
            self.registry.idle.pop(self, None)
            self._line = self._header_bytes = self._header_count = self._head_bytes = 0
            self._head_done = False
            self._arm(self.limits.header_timeout)
        super().data_received(data)
        if self._in_request and not self._head_done:
            # httptools hands over a header only once it ends: bound the unfinished ones too.
            self._head_bytes += len(data)
            limits = self.limits
            if self._head_bytes > limits.max_header_bytes + limits.max_request_line:
                self._refuse(431, f"The headers are larger than {limits.max_header_bytes} bytes.")

    def on_url(self, url: bytes) -> None:
        self._line += len(url)
        if self._line > self.limits.max_request_line:
            self._refuse(414, "The request line is too long.")
            raise _Refused
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        limits = self.limits
        size = len(name) + len(value) + 4
        self._header_count += 1
        self._header_bytes += size
        if size > limits.max_header_line:
            self._refuse(431, f"A header line is longer than {limits.max_header_line} bytes.")
            raise _Refused
        if self._header_bytes > limits.max_header_bytes:
            self._refuse(431, f"The headers are larger than {limits.max_header_bytes} bytes.")
            raise _Refused
        if self._header_count > limits.max_header_count:
            self._refuse(431, f"More than {limits.max_header_count} header fields.")
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_done = True
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.more_body:
            self._arm(self.limits.body_timeout)
        else:
            self._disarm()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_request = False
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self._in_request:
            self.registry.idle[self] = None

    def send_400_response(self, msg: str) -> None:
        if not self._refused:  # a limit already answered
            super().send_400_response(msg)

    def _refuse(self, status: int, message: str) -> None:
        if self._refused or self.transport.is_closing():
            return
        self._refused = True
        self._disarm()
        body = message.encode()
        head = (
            f"HTTP/1.1 {status} {_STATUS_TEXT[status]}\r\ncontent-type: text/plain; charset=utf-8"
            f"\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
        ).encode()
        transport = self.transport
        transport.write(head + body)
        # Lingering close: stop writing, keep reading (and discarding) a moment, then close, so
        # the client reads the answer instead of a reset caused by its own unread bytes.
        if transport.can_write_eof():
            transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, transport.close)
        else:
            transport.close()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()


class _Refused(Exception):
    """Stops the parser after a limit answered (httptools reports it as a callback error)."""
