"""One AMQP 0-9-1 connection: protocol header, negotiation (PLAIN), frames, channels, heartbeats.

Framing and method marshalling are pamqp's; this module reads frames off the socket, checks
their envelope (type, size, frame-end octet) and turns every protocol violation into the
connection or channel exception RabbitMQ would send.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from typing import TYPE_CHECKING, Any

from pamqp import commands as spec
from pamqp import exceptions as pamqp_errors
from pamqp import frame as amqp_frame
from pamqp import heartbeat as amqp_heartbeat
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from .channel import Channel
from .errors import AmqpError

if TYPE_CHECKING:
    from .broker import RabbitBroker
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
        self.closed = False

    # -- writing -------------------------------------------------------------------------------
    def send(self, channel: int, frame: Any) -> None:
        """Write one frame."""
        if not self.closed:
            self.writer.write(amqp_frame.marshal(frame, channel))
            self.last_write = self.broker.clock.now()

    def send_content(self, channel: int, method: Any, properties: Any, body: bytes) -> None:
        """Write a method with content: the method, a content header and body frames."""
        if self.closed:
            return
        marshal = amqp_frame.marshal
        parts = [
            marshal(method, channel),
            marshal(ContentHeader(0, len(body), properties), channel),
        ]
        step = self.frame_max - 8
        for start in range(0, len(body), step):
            parts.append(marshal(ContentBody(body[start : start + step]), channel))
        self.writer.write(b"".join(parts))
        self.last_write = self.broker.clock.now()

    # -- reading ------------------------------------------------------------------------------
    async def _read_frame(self) -> tuple[int, Any]:
        head = await self.reader.readexactly(7)
        kind, channel, size = struct.unpack(">BHI", head)
        if kind not in _FRAME_TYPES:
            raise AmqpError(501, f"type {kind}, first 16 octets = {head!r}: unknown_frame_type")
        if size > self.frame_max:
            raise AmqpError(501, f"type {kind}, {{frame_too_large,{size},{self.frame_max - 8}}}")
        rest = await self.reader.readexactly(size + 1)
        self.last_read = self.broker.clock.now()
        if rest[-1] != 0xCE:
            raise AmqpError(501, f"type {kind}, frame end octet {rest[-1]:#x}, expected 0xce")
        if kind == 8:
            return channel, amqp_heartbeat.Heartbeat()
        try:
            _, channel, value = amqp_frame.unmarshal(head + rest)
        except (pamqp_errors.UnmarshalingException, ValueError, struct.error) as error:
            raise AmqpError(502, f"cannot decode frame: {error}"[:200]) from None
        except Exception as error:  # pamqp may raise anything on garbage; it is still garbage
            raise AmqpError(502, f"cannot decode frame: {type(error).__name__}") from None
        return channel, value

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
                self._channel_failed(channel, error)
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
            self._channel_failed(channel, error)

    def _channel_failed(self, channel: Channel, error: AmqpError) -> None:
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
        self._cleanup()
        self.writer.close()

    def _cleanup(self) -> None:
        if self.closed:
            return
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
