"""HTTP/1.1 (h11) and WebSocket (websockets' sans-I/O protocol) on one loopback listener connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import h11
from websockets.frames import Opcode
from websockets.server import ServerProtocol

MAX_BODY = 1024 * 1024  # AppSync's request limit is 1 MB (the lab refuses bigger bodies)
MAX_FRAME = 240 * 1024  # AppSync's real-time message limit


class HttpCall:
    """One HTTP request: method, path, query, lower-cased headers and body."""

    __slots__ = ("method", "path", "query", "headers", "body")

    def __init__(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.headers = headers
        self.body = body


class WebSocket:
    """A server-side WebSocket: `send(text)`, `close(code, reason)`; messages go to a callback."""

    def __init__(
        self, protocol: ServerProtocol, writer: asyncio.StreamWriter, subprotocol: str
    ) -> None:
        self._protocol = protocol
        self._writer = writer
        self.subprotocol = subprotocol
        self.closed = False

    def _flush(self) -> None:
        for data in self._protocol.data_to_send():
            if data:
                self._writer.write(data)
            else:
                self.closed = True
                self._writer.close()

    def send(self, text: str) -> None:
        """Send one text message (no-op once closed)."""
        if self.closed:
            return
        self._protocol.send_text(text.encode("utf-8"))
        self._flush()

    def send_json(self, message: dict[str, Any]) -> None:
        """Send one JSON message."""
        self.send(json.dumps(message, separators=(",", ":"), default=str))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake."""
        if self.closed:
            return
        try:
            self._protocol.send_close(code, reason)
        except Exception:  # already closing
            pass
        self._flush()
        self.closed = True


HttpHandler = Callable[[HttpCall], Awaitable[tuple[int, dict[str, str], bytes]]]
# Returns (subprotocol to accept, on_message, on_close) or raises Refused.
WsOpen = Callable[[HttpCall, list[str]], Awaitable[Any]]


class Refused(Exception):
    """The WebSocket handshake is refused with this status and body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


async def serve(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    on_http: HttpHandler,
    on_websocket: WsOpen,
) -> None:
    """Serve one connection: HTTP requests until it closes, or one WebSocket after an upgrade."""
    connection = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
    try:
        await _serve_http(reader, writer, connection, on_http, on_websocket)
    except h11.RemoteProtocolError as error:
        # A malformed request gets one 400 naming what is wrong, then the connection closes.
        if connection.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            body = json.dumps(
                {"errors": [{"errorType": "MalformedHttpRequestException", "message": str(error)}]}
            ).encode()
            try:
                await _respond(writer, connection, 400, {"content-type": "application/json"}, body)
            except h11.LocalProtocolError:
                pass


async def _serve_http(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    connection: h11.Connection,
    on_http: HttpHandler,
    on_websocket: WsOpen,
) -> None:
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            connection.receive_data(data)
            if not data:
                return
            continue
        if isinstance(event, (h11.ConnectionClosed,)) or event is h11.PAUSED:
            return
        if not isinstance(event, h11.Request):
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in event.headers}
        target = event.target.decode("latin-1")
        if headers.get("upgrade", "").lower() == "websocket":
            head = (
                f"{event.method.decode()} {target} HTTP/1.1\r\n".encode()
                + b"".join(k + b": " + v + b"\r\n" for k, v in event.headers.raw_items())
                + b"\r\n"
            )
            trailing = connection.trailing_data[0] if connection.next_event() is h11.PAUSED else b""
            await _websocket(
                reader, writer, head, trailing, HttpCall("GET", target, headers, b""), on_websocket
            )
            return
        body = bytearray()
        while True:
            part = connection.next_event()
            if part is h11.NEED_DATA:
                data = await reader.read(65536)
                if not data:
                    return
                connection.receive_data(data)
                continue
            if isinstance(part, h11.Data):
                body += part.data
                if len(body) > MAX_BODY:
                    await _respond(
                        writer, connection, 413, {}, b'{"errors":[{"message":"Payload too large"}]}'
                    )
                    return
                continue
            break
        status, answer_headers, payload = await on_http(
            HttpCall(event.method.decode(), target, headers, bytes(body))
        )
        await _respond(writer, connection, status, answer_headers, payload)
        if connection.our_state is h11.MUST_CLOSE:
            return
        try:
            connection.start_next_cycle()
        except h11.LocalProtocolError:
            return


async def _respond(
    writer: asyncio.StreamWriter,
    connection: h11.Connection,
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    header_list = [("content-length", str(len(body))), *headers.items()]
    # One write per response: one send() instead of three.
    writer.write(
        b"".join(
            (
                connection.send(h11.Response(status_code=status, headers=header_list)) or b"",
                connection.send(h11.Data(data=body)) or b"",
                connection.send(h11.EndOfMessage()) or b"",
            )
        )
    )
    await writer.drain()


async def _websocket(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    head: bytes,
    trailing: bytes,
    call: HttpCall,
    on_websocket: WsOpen,
) -> None:
    offered = [
        p.strip() for p in call.headers.get("sec-websocket-protocol", "").split(",") if p.strip()
    ]
    try:
        subprotocol, on_message, on_close = await on_websocket(call, offered)
        refusal = None
    except Refused as refused:
        subprotocol, on_message, on_close, refusal = None, None, None, refused
    protocol = ServerProtocol(
        subprotocols=[subprotocol] if subprotocol else None, max_size=MAX_FRAME
    )
    protocol.receive_data(head)
    (request,) = protocol.events_received()
    if refusal is not None:
        response = protocol.reject(refusal.status, json.dumps(refusal.body))
    else:
        response = protocol.accept(request)
    protocol.send_response(response)
    for data in protocol.data_to_send():
        writer.write(data)
    await writer.drain()
    if refusal is not None or response.status_code != 101:
        return
    socket = WebSocket(protocol, writer, subprotocol or "")
    try:
        if trailing:
            protocol.receive_data(trailing)
        while not socket.closed:
            for frame in protocol.events_received():
                if frame.opcode is Opcode.TEXT:
                    await on_message(socket, frame.data.decode("utf-8", "replace"))
            socket._flush()
            await writer.drain()
            if socket.closed:
                break
            data = await reader.read(65536)
            if not data:
                protocol.receive_eof()
                break
            protocol.receive_data(data)
    finally:
        socket.closed = True
        await on_close(socket)
