"""One AMQP 0-9-1 connection: protocol header, negotiation (PLAIN), frames, channels, heartbeats.

Framing and method marshalling are pamqp's; this module reads frames off the socket, checks
their envelope (type, size, frame-end octet) and turns every protocol violation into the
connection or channel exception RabbitMQ would send.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections import deque
from typing import TYPE_CHECKING, Any

from pamqp import commands as spec
from pamqp import frame as amqp_frame
from pamqp import heartbeat as amqp_heartbeat
from pamqp.body import ContentBody
from pamqp.constants import FRAME_BODY, FRAME_HEADER
from pamqp.header import ContentHeader

from .channel import Channel
from .errors import AmqpError

#: pamqp's low-level framing (type, channel, size, payload, frame end) for pre-encoded payloads.
frame_bytes = amqp_frame._marshal

if TYPE_CHECKING:
    from .broker import RabbitBroker
    from .model import Message
    from .queues import Queue
    from .vhost import VirtualHost

PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
FRAME_MAX = 131072
CHANNEL_MAX = 2047
HEARTBEAT = 60
_FRAME_TYPES = (1, 2, 3, 8)


class Connection:
    """A client connection to a broker."""

    def __init__(
        self, broker: RabbitBroker, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.broker = broker
        self.reader = reader
        self.writer = writer
        self.user = ""
        self.vhost: VirtualHost | None = None
        self.channels: dict[int, Channel] = {}
        self.closing_channels: set[int] = set()
        self.exclusive_queues: dict[str, Queue] = {}
        self.frame_max = FRAME_MAX
        self.heartbeat = 0
        self.last_read = broker.clock.now()
        self.last_write = broker.clock.now()
        self.client_properties: dict[str, Any] = {}
        self.peer = writer.get_extra_info("peername")
        self._heartbeat_task: asyncio.Task | None = None
        self._buffer = bytearray()
        self._pending: deque[tuple[int, Any]] = deque()
        self._out: list[bytes] = []
        self._confirming: list[Channel] = []
        self.closed = False

    # -- writing -------------------------------------------------------------------------------
    # Frames produced while handling one batch of input (or one publish elsewhere) are joined
    # and written once, on the loop's next turn: one send per batch, not one per frame.
    def _queue(self, data: bytes) -> None:
        if self.closed:
            return
        if not self._out:
            asyncio.get_running_loop().call_soon(self._flush)
        self._out.append(data)

    def confirm_later(self, channel: Channel) -> None:
        """`channel` owes publisher confirms: send them (coalesced) with the next write."""
        if not self._out:
            asyncio.get_running_loop().call_soon(self._flush)
            self._out.append(b"")
        self._confirming.append(channel)

    def _flush(self) -> None:
        if self._confirming:
            channels, self._confirming = self._confirming, []
            for channel in channels:
                if not channel.closing:
                    channel.flush_confirms()
        if self._out and not self.closed:
            self.writer.write(b"".join(self._out))
            self.last_write = self.broker.clock.now()
        self._out.clear()

    def send(self, channel: int, frame: Any) -> None:
        """Write one frame."""
        self._queue(amqp_frame.marshal(frame, channel))

    def send_content(self, channel: int, method: Any, message: Message, properties: Any) -> None:
        """Write a method with content: the method, a content header and body frames.

        A message's encoded content header is kept (as RabbitMQ keeps encoded content) and
        reused for every delivery that carries its own properties unchanged.
        """
        self._queue(amqp_frame.marshal(method, channel))
        body = message.body
        if properties is message.properties:
            header = message.encoded_header
            if header is None:
                header = message.encoded_header = ContentHeader(0, len(body), properties).marshal()
        else:
            header = ContentHeader(0, len(body), properties).marshal()
        self._queue(frame_bytes(FRAME_HEADER, channel, header))
        step = self.frame_max - 8
        for start in range(0, len(body), step):
            self._queue(frame_bytes(FRAME_BODY, channel, body[start : start + step]))

    # -- reading ------------------------------------------------------------------------------
    async def _read_frame(self) -> tuple[int, Any]:
        if not self._pending:
            await self._fill()
        return self._pending.popleft()

    async def _fill(self) -> None:
        """Decode every complete frame buffered; read more when there is none."""
        while True:
            error = self._decode_buffered()
            if self._pending:
                return
            if error is not None:
                raise error
            chunk = await self.reader.read(65536)
            if not chunk:
                raise asyncio.IncompleteReadError(b"", None)
            self.last_read = self.broker.clock.now()
            self._buffer.extend(chunk)

    def _decode_buffered(self) -> AmqpError | None:
        """Move complete frames from the buffer to `_pending`; the first bad one's error."""
        buffer = self._buffer
        size_total = len(buffer)
        offset = 0
        error = None
        while size_total - offset >= 7:
            kind, channel, size = struct.unpack_from(">BHI", buffer, offset)
            if kind not in _FRAME_TYPES:
                error = AmqpError(501, f"type {kind}, unknown frame type")
                break
            if size > self.frame_max:
                error = AmqpError(
                    501, f"type {kind}, {{frame_too_large,{size},{self.frame_max - 8}}}"
                )
                break
            end = offset + 8 + size
            if end > size_total:
                break
            if buffer[end - 1] != 0xCE:
                error = AmqpError(
                    501, f"type {kind}, frame end octet {buffer[end - 1]:#x}, expected 0xce"
                )
                break
            if kind == 8:
                self._pending.append((channel, amqp_heartbeat.Heartbeat()))
                offset = end
                continue
            else:
                try:
                    _, channel, value = amqp_frame.unmarshal(bytes(buffer[offset:end]))
                except Exception as failure:  # pamqp raises many kinds on garbage
                    error = AmqpError(502, f"cannot decode frame: {failure}"[:200])
                    break
                if kind == 2:  # keep the encoded header for deliveries (see send_content)
                    value.encoded = bytes(buffer[offset + 7 : end - 1])
                self._pending.append((channel, value))
            offset = end
        if offset:
            del buffer[:offset]
        return error

    async def _expect(self, name: str) -> Any:
        channel, value = await self._read_frame()
        if getattr(value, "name", "") != name:
            raise AmqpError(
                503, f"expected '{name.lower()}', got '{getattr(value, 'name', '?').lower()}'"
            )
        return value

    # -- the connection's life -------------------------------------------------------------
    async def serve(self) -> None:
        """Run the connection until the client or the broker closes it."""
        header = await self.reader.readexactly(8)
        if header != PROTOCOL_HEADER:
            # AMQP 0-9-1 §4.2.2: answer a bad header with ours, then close.
            self.writer.write(PROTOCOL_HEADER)
            return
        try:
            if not await self._negotiate():
                return
            self.broker.connections.add(self)
            await self._loop()
        except AmqpError as error:
            await self._close_with(error)
        finally:
            self._cleanup()

    async def _negotiate(self) -> bool:
        broker = self.broker
        self.send(
            0,
            spec.Connection.Start(
                0,
                9,
                server_properties=broker.server_properties(),
                mechanisms="PLAIN",
                locales="en_US",
            ),
        )
        start_ok = await self._expect("Connection.StartOk")
        self.client_properties = dict(start_ok.client_properties or {})
        if start_ok.mechanism != "PLAIN":
            raise AmqpError(
                403,
                f"unsupported authentication mechanism '{start_ok.mechanism}'; the broker offers PLAIN",
            )
        response = start_ok.response
        if isinstance(response, str):
            response = response.encode("latin-1", "replace")
        parts = (response or b"").split(b"\x00")
        user = parts[1].decode("utf-8", "replace") if len(parts) == 3 else ""
        password = parts[2].decode("utf-8", "replace") if len(parts) == 3 else ""
        if not broker.authenticate(user, password):
            raise AmqpError(
                403,
                "Login was refused using authentication mechanism PLAIN. For details see the "
                "broker logfile.",
                connection=True,
            )
        self.user = user
        self.send(0, spec.Connection.Tune(CHANNEL_MAX, FRAME_MAX, HEARTBEAT))
        tune_ok = await self._expect("Connection.TuneOk")
        if tune_ok.frame_max and tune_ok.frame_max < 4096:
            raise AmqpError(530, f"frame_max={tune_ok.frame_max} < 4096 min size")
        self.frame_max = min(tune_ok.frame_max or FRAME_MAX, FRAME_MAX)
        self.heartbeat = tune_ok.heartbeat or 0
        opened = await self._expect("Connection.Open")
        vhost = broker.vhosts.get(opened.virtual_host)
        if vhost is None:
            raise AmqpError(530, f"vhost {opened.virtual_host} not found", connection=True)
        self.vhost = vhost
        self.send(0, spec.Connection.OpenOk())
        broker.emit("connected", broker.arn, user=user, vhost=vhost.name)
        if self.heartbeat:
            self._heartbeat_task = asyncio.get_running_loop().create_task(self._heartbeats())
        return True

    async def _loop(self) -> None:
        writer = self.writer
        while True:
            number, value = await self._read_frame()
            if number == 0:
                if isinstance(value, amqp_heartbeat.Heartbeat):
                    continue
                name = getattr(value, "name", "")
                if name == "Connection.Close":
                    self.send(0, spec.Connection.CloseOk())
                    return
                if name == "Connection.CloseOk":
                    return
                raise AmqpError(503, f"unexpected {name or 'frame'} on channel 0")
            if number in self.closing_channels:
                # After channel.close, everything but close-ok is discarded (AMQP 0-9-1 §2.3.5.2).
                if getattr(value, "name", "") in ("Channel.CloseOk", "Channel.Close"):
                    self.closing_channels.discard(number)
                    if value.name == "Channel.Close":
                        self.send(number, spec.Channel.CloseOk())
                continue
            self._on_channel_frame(number, value)
            if writer.transport.get_write_buffer_size() > 1 << 20:
                await writer.drain()

    def _on_channel_frame(self, number: int, value: Any) -> None:
        channel = self.channels.get(number)
        name = getattr(value, "name", "")
        if channel is None:
            if name != "Channel.Open":
                raise AmqpError(504, "expected 'channel.open'")
            if number > CHANNEL_MAX:
                raise AmqpError(530, f"channel number {number} exceeds the maximum {CHANNEL_MAX}")
            self.channels[number] = Channel(self, number)
            self.send(number, spec.Channel.OpenOk())
            return
        if isinstance(value, (ContentHeader, ContentBody)):
            try:
                channel.content(value)
            except AmqpError as error:
                self.channel_failed(channel, error)
            return
        if channel.pending is not None:
            raise AmqpError(
                505, "expected content header for class 60, got non content header frame instead"
            )
        if name == "Channel.Close":
            self._drop_channel(channel)
            self.send(number, spec.Channel.CloseOk())
            return
        if name == "Channel.CloseOk":
            return
        try:
            channel.handle(value)
        except AmqpError as error:
            self.channel_failed(channel, error)

    def channel_failed(self, channel: Channel, error: AmqpError) -> None:
        """Close `channel` with `error` (a connection error closes the connection)."""
        if error.connection:
            raise error
        self._drop_channel(channel)
        self.closing_channels.add(channel.number)
        self.send(
            channel.number,
            spec.Channel.Close(error.code, error.text, error.class_id, error.method_id),
        )
        self.broker.emit("channel-closed", self.broker.arn, code=error.code, text=error.text)

    def _drop_channel(self, channel: Channel) -> None:
        channel.closing = True
        self.channels.pop(channel.number, None)
        channel.release()

    async def _close_with(self, error: AmqpError) -> None:
        """Send connection.close with the error and wait briefly for close-ok."""
        self.broker.emit("connection-closed", self.broker.arn, code=error.code, text=error.text)
        self.send(0, spec.Connection.Close(error.code, error.text, error.class_id, error.method_id))
        self._flush()
        with contextlib.suppress(Exception):
            await self.writer.drain()

            async def wait_close_ok() -> None:
                while True:
                    _, value = await self._read_frame()
                    if getattr(value, "name", "") == "Connection.CloseOk":
                        return

            await asyncio.wait_for(wait_close_ok(), 1.0)

    def force_close(self, reason: str) -> None:
        """The broker is going away (reboot, delete): 320 CONNECTION_FORCED, then hang up."""
        if self.closed:
            return
        self.send(
            0,
            spec.Connection.Close(
                320,
                f"CONNECTION_FORCED - broker forced connection closure with reason '{reason}'",
                0,
                0,
            ),
        )
        self._flush()
        self._cleanup()
        self.writer.close()

    def _cleanup(self) -> None:
        if self.closed:
            return
        self._flush()
        self.closed = True
        self.broker.connections.discard(self)
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
        for channel in list(self.channels.values()):
            self._drop_channel(channel)
        # Exclusive queues belong to their connection and go with it.
        for queue in self.exclusive_queues.values():
            if self.vhost is not None:
                self.vhost.delete_queue(queue)
        self.exclusive_queues.clear()

    async def _heartbeats(self) -> None:
        """Send heartbeats at half the negotiated interval; hang up after two missed ones."""
        clock = self.broker.clock
        interval = self.heartbeat
        heartbeat = amqp_frame.marshal(amqp_heartbeat.Heartbeat(), 0)
        while not self.closed:
            await clock.sleep(interval / 2)
            now = clock.now()
            if now - self.last_read > interval * 2:
                self.broker.emit("connection-closed", self.broker.arn, text="missed heartbeats")
                self._cleanup()
                self.writer.close()
                return
            if now - self.last_write >= interval / 2:
                self.writer.write(heartbeat)
                self.last_write = now
