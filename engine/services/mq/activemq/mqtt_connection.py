"""One MQTT 3.1.1 (and 3.1) connection to an ActiveMQ broker, mapped onto its JMS topics.

As ActiveMQ does, MQTT topic names become topic destinations with `/` and `.` swapped and the
wildcards `+`/`#` as `*`/`>`: an MQTT publish to `a/b` reaches STOMP subscribers of
`/topic/a.b`, and a STOMP send to `/topic/a.b` reaches MQTT subscribers of `a/b`. QoS 1 and 2
messages are persistent; subscriptions of a persistent session (clean session 0) with QoS ≥ 1
are durable subscriptions kept for the client id.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .core import topic_matches
from .endpoints import AUTO, INDIVIDUAL, Consumer
from .model import TOPIC, Destination, Message
from .mqtt_codec import (
    CONNACK,
    CONNECT,
    DISCONNECT,
    PINGREQ,
    PINGRESP,
    PUBACK,
    PUBCOMP,
    PUBLISH,
    PUBREC,
    PUBREL,
    SUBACK,
    SUBSCRIBE,
    UNSUBACK,
    UNSUBSCRIBE,
    Fields,
    PacketError,
    encode,
    encode_id,
    encode_publish,
    read_packet,
)

if TYPE_CHECKING:
    from engine.clock import Timer

    from .broker import ActiveBroker

#: The JMS property ActiveMQ keeps an MQTT message's QoS in.
QOS_PROPERTY = "ActiveMQ.MQTT.QoS"
#: How many unacknowledged QoS ≥ 1 messages one subscription may hold (its prefetch).
MQTT_PREFETCH = 100
_SWAP = str.maketrans({"/": ".", ".": "/", "+": "*", "#": ">", "*": "+", ">": "#"})


def mqtt_to_activemq(topic: str) -> str:
    """An MQTT topic (or filter) as an ActiveMQ topic name: `a/b/+` → `a.b.*`."""
    return topic.translate(_SWAP)


def activemq_to_mqtt(name: str) -> str:
    """An ActiveMQ topic name as an MQTT topic: `a.b` → `a/b`."""
    return name.translate(_SWAP)


def check_filter(topic_filter: str) -> None:
    """MQTT §4.7: `#` only as the last level, `+` only as a whole level."""
    if not topic_filter:
        raise PacketError("empty topic filter")
    levels = topic_filter.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise PacketError(f"invalid topic filter '{topic_filter}': '#' must be the last level")
        if "+" in level and level != "+":
            raise PacketError(f"invalid topic filter '{topic_filter}': '+' must be a whole level")


@dataclass(slots=True)
class MqttSession:
    """What a persistent session (clean session 0) keeps between connections."""

    subscriptions: dict[str, int] = field(default_factory=dict)  # filter → granted QoS


class MqttConnection:
    """Serves one MQTT client until it disconnects, errs, or the broker drops it."""

    def __init__(
        self, broker: ActiveBroker, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.broker = broker
        self.reader = reader
        self.writer = writer
        self.client_id = ""
        self.clean = True
        self.keep_alive = 0
        self.will: tuple[str, bytes, int, bool] | None = None
        self.consumers: dict[str, tuple[Consumer, int]] = {}  # filter → (consumer, qos)
        self._outgoing: dict[int, tuple[Consumer, str]] = {}  # packet id → delivery
        self._incoming_qos2: set[int] = set()
        self._next_id = 0
        self._last_read = broker.clock.now()
        self._timer: Timer | None = None
        self.closed = False

    # -- the loop ---------------------------------------------------------------------------
    async def serve(self) -> None:
        """Read packets until DISCONNECT, a protocol error, or end of stream."""
        graceful = False
        try:
            packet = await read_packet(self.reader)
            if packet.type != CONNECT or not self._connect(Fields(packet.body)):
                return
            while not self.closed:
                packet = await read_packet(self.reader)
                self._last_read = self.broker.clock.now()
                if packet.type == DISCONNECT:
                    graceful = True
                    return
                self._handle(packet.type, packet.flags, Fields(packet.body))
                if self.writer.transport.get_write_buffer_size() > 1 << 20:
                    await self.writer.drain()
        except PacketError as error:
            self.broker.emit(
                "connection-closed", self.broker.arn, client=self.client_id, error=str(error)
            )
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._cleanup(publish_will=not graceful)

    def _write(self, data: bytes) -> None:
        if not self.closed:
            self.writer.write(data)

    def force_close(self, reason: str) -> None:
        """The broker drops this client (reboot, delete, a newer connection with its id)."""
        self._cleanup(publish_will=True)
        self.writer.close()

    def _cleanup(self, *, publish_will: bool) -> None:
        if self.closed:
            return
        self.closed = True
        broker = self.broker
        broker.connections.discard(self)
        if broker.mqtt_clients.get(self.client_id) is self:
            del broker.mqtt_clients[self.client_id]
        if self._timer is not None:
            self._timer.cancel()
        for consumer, _ in self.consumers.values():
            broker.core.close_consumer(consumer)
        self.consumers.clear()
        if publish_will and self.will is not None:
            topic, payload, qos, retain = self.will
            self._publish(topic, payload, qos, retain)
        if self.clean and self.client_id:
            broker.mqtt_sessions.pop(self.client_id, None)

    # -- CONNECT ----------------------------------------------------------------------------
    def _connect(self, fields: Fields) -> bool:
        protocol, level = fields.text(), fields.u8()
        if (protocol, level) not in (("MQTT", 4), ("MQIsdp", 3)):
            self._write(encode(CONNACK, 0, b"\x00\x01"))  # unacceptable protocol version
            return False
        flags = fields.u8()
        if flags & 0x01:
            raise PacketError("reserved CONNECT flag is set")
        self.clean = bool(flags & 0x02)
        self.keep_alive = fields.u16()
        self.client_id = fields.text()
        if flags & 0x04:
            topic, payload = fields.text(), fields.binary()
            qos = (flags >> 3) & 0x03
            if qos == 3:
                raise PacketError("will QoS 3 is invalid")
            self._check_topic(topic)
            self.will = (topic, payload, qos, bool(flags & 0x20))
        user = fields.text() if flags & 0x80 else None
        password = fields.binary().decode("utf-8", "replace") if flags & 0x40 else None
        broker = self.broker
        if not self.client_id:
            if not self.clean:
                self._write(encode(CONNACK, 0, b"\x00\x02"))  # identifier rejected
                return False
            self.client_id = broker.next_consumer_id("mqtt-client")
        if user is None:
            self._write(encode(CONNACK, 0, b"\x00\x05"))  # not authorized
            return False
        if not broker.authenticate(user, password):
            self._write(encode(CONNACK, 0, b"\x00\x04"))  # bad user name or password
            return False
        previous = broker.mqtt_clients.get(self.client_id)
        if previous is not None:
            previous.force_close("client id taken over")
        broker.mqtt_clients[self.client_id] = self
        broker.connections.add(self)
        session = broker.mqtt_sessions.get(self.client_id)
        present = session is not None and not self.clean
        if self.clean and session is not None:
            for topic_filter, qos in session.subscriptions.items():
                if qos:
                    broker.core.unsubscribe_durable(
                        self.client_id, self._durable_name(topic_filter)
                    )
            del broker.mqtt_sessions[self.client_id]
            session = None
        if not self.clean and session is None:
            session = broker.mqtt_sessions[self.client_id] = MqttSession()
        self._write(encode(CONNACK, 0, bytes([int(present), 0])))
        broker.emit("connected", broker.arn, client=self.client_id, protocol="mqtt", user=user)
        if self.keep_alive:
            self._timer = broker.clock.call_later(self.keep_alive * 1.5, self._check_alive)
        if present and session is not None:
            for topic_filter, qos in session.subscriptions.items():
                self._subscribe(topic_filter, qos)
        return True

    def _check_alive(self) -> None:
        self._timer = None
        if self.closed:
            return
        idle = self.broker.clock.now() - self._last_read
        limit = self.keep_alive * 1.5
        if idle >= limit:
            self.broker.emit(
                "connection-closed", self.broker.arn, client=self.client_id, error="keep-alive"
            )
            self.force_close("keep-alive")
            return
        self._timer = self.broker.clock.call_later(limit - idle, self._check_alive)

    # -- packets ----------------------------------------------------------------------------
    def _handle(self, kind: int, flags: int, fields: Fields) -> None:
        if kind == PUBLISH:
            self._on_publish(flags, fields)
        elif kind in (PUBACK, PUBCOMP):
            self._settle(fields.u16())
        elif kind == PUBREC:
            packet_id = fields.u16()
            self._settle(packet_id)
            self._write(encode_id(PUBREL, packet_id))
        elif kind == PUBREL:
            packet_id = fields.u16()
            self._incoming_qos2.discard(packet_id)
            self._write(encode_id(PUBCOMP, packet_id))
        elif kind == SUBSCRIBE:
            self._on_subscribe(fields)
        elif kind == UNSUBSCRIBE:
            self._on_unsubscribe(fields)
        elif kind == PINGREQ:
            self._write(encode(PINGRESP, 0))
        else:
            raise PacketError(f"unexpected packet type {kind} from a client")

    @staticmethod
    def _check_topic(topic: str) -> None:
        if not topic or "+" in topic or "#" in topic:
            raise PacketError(f"invalid topic name '{topic}' for PUBLISH")

    def _on_publish(self, flags: int, fields: Fields) -> None:
        qos, retain = (flags >> 1) & 0x03, bool(flags & 0x01)
        if qos == 3:
            raise PacketError("PUBLISH with QoS 3")
        topic = fields.text()
        self._check_topic(topic)
        packet_id = fields.u16() if qos else 0
        payload = fields.rest()
        if qos == 2:
            if packet_id not in self._incoming_qos2:  # a resent QoS 2 PUBLISH is delivered once
                self._incoming_qos2.add(packet_id)
                self._publish(topic, payload, qos, retain)
            self._write(encode_id(PUBREC, packet_id))
            return
        self._publish(topic, payload, qos, retain)
        if qos == 1:
            self._write(encode_id(PUBACK, packet_id))

    def _publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        broker = self.broker
        destination = Destination(TOPIC, mqtt_to_activemq(topic))
        message = Message(
            broker.next_message_id(),
            destination,
            payload,
            {QOS_PROPERTY: qos},
            persistent=qos > 0,
            trace_id=broker.trace_id(),
        )
        if retain:
            if payload:
                broker.retained[destination.name] = message
            else:
                broker.retained.pop(destination.name, None)  # an empty retained message clears
        broker.core.send([destination], message)

    def _on_subscribe(self, fields: Fields) -> None:
        packet_id = fields.u16()
        granted: list[int] = []
        while not fields.done:
            topic_filter, qos = fields.text(), fields.u8()
            if qos > 2:
                raise PacketError(f"SUBSCRIBE with QoS {qos}")
            check_filter(topic_filter)
            granted.append(qos)
            self._subscribe(topic_filter, qos)
            self._send_retained(topic_filter, qos)
        if not granted:
            raise PacketError("SUBSCRIBE without a topic filter")
        self._write(encode(SUBACK, 0, struct.pack(">H", packet_id) + bytes(granted)))

    def _durable_name(self, topic_filter: str) -> str:
        return f"AT_LEAST_ONCE:{mqtt_to_activemq(topic_filter)}"

    def _subscribe(self, topic_filter: str, qos: int) -> None:
        existing = self.consumers.pop(topic_filter, None)
        if existing is not None:
            self.broker.core.close_consumer(existing[0])
        durable = None
        if not self.clean and qos:
            durable = (self.client_id, self._durable_name(topic_filter))
            self.broker.mqtt_sessions[self.client_id].subscriptions[topic_filter] = qos
        elif not self.clean:
            self.broker.mqtt_sessions[self.client_id].subscriptions[topic_filter] = qos

        def deliver(consumer: Consumer, message: Message) -> None:
            self._deliver(consumer, qos, message, retained=False)

        consumer = self.broker.core.subscribe(
            Destination(TOPIC, mqtt_to_activemq(topic_filter)),
            f"{self.client_id}:{topic_filter}",
            deliver,
            ack_mode=INDIVIDUAL if qos else AUTO,
            prefetch=MQTT_PREFETCH,
            durable=durable,
        )
        self.consumers[topic_filter] = (consumer, qos)

    def _send_retained(self, topic_filter: str, qos: int) -> None:
        pattern = mqtt_to_activemq(topic_filter)
        for name, message in self.broker.retained.items():
            if topic_matches(pattern, name):
                self._deliver(None, qos, message, retained=True)

    def _deliver(
        self, consumer: Consumer | None, qos: int, message: Message, *, retained: bool
    ) -> None:
        message_qos = message.properties.get(QOS_PROPERTY, 1 if message.persistent else 0)
        effective = min(qos, int(message_qos) if str(message_qos).isdigit() else 0)
        packet_id = 0
        if effective:
            packet_id = self._packet_id()
            if consumer is not None:
                self._outgoing[packet_id] = (consumer, message.id)
        elif consumer is not None and consumer.ack_mode != AUTO:
            self.broker.core.ack(consumer, message.id)  # QoS 0 delivery: nothing to wait for
        topic = activemq_to_mqtt(message.destination.name)
        self._write(
            encode_publish(
                topic, message.body, effective, retained, packet_id, message.redeliveries > 0
            )
        )

    def _packet_id(self) -> int:
        for _ in range(65535):
            self._next_id = self._next_id % 65535 + 1
            if self._next_id not in self._outgoing:
                return self._next_id
        raise PacketError("no free packet identifier")

    def _settle(self, packet_id: int) -> None:
        delivery = self._outgoing.pop(packet_id, None)
        if delivery is not None:
            consumer, message_id = delivery
            self.broker.core.ack(consumer, message_id)

    def _on_unsubscribe(self, fields: Fields) -> None:
        packet_id = fields.u16()
        while not fields.done:
            topic_filter = fields.text()
            found = self.consumers.pop(topic_filter, None)
            if found is not None:
                self.broker.core.close_consumer(found[0])
            session = self.broker.mqtt_sessions.get(self.client_id)
            if session is not None and session.subscriptions.pop(topic_filter, 0):
                self.broker.core.unsubscribe_durable(
                    self.client_id, self._durable_name(topic_filter)
                )
        self._write(encode_id(UNSUBACK, packet_id))
