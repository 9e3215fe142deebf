"""MQTT 3.1.1 control packets: reading them off a stream and encoding the ones a broker sends.

Of the codecs on PyPI, `mqtt-codec` (last released 2019) no longer builds on current Python, and
amqtt's packet classes come with its broker and pin an older `websockets` than the lab uses, so
this is the small codec MQTT 3.1.1 §2–3 specifies: a fixed header with a variable-length
remaining length, then packet-specific fields.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = (
    8,
    9,
    10,
    11,
    12,
    13,
    14,
)
#: The largest packet the lab accepts (ActiveMQ's default `maxFrameSize` is far larger).
MAX_PACKET_BYTES = 16 * 1024 * 1024
#: Flags the specification fixes for packets other than PUBLISH (§2.2.2).
_FIXED_FLAGS = {PUBREL: 2, SUBSCRIBE: 2, UNSUBSCRIBE: 2}


class PacketError(ValueError):
    """A malformed packet: MQTT says the server closes the connection."""


@dataclass(slots=True)
class Packet:
    """One control packet: its type, the fixed header's flags and the rest of it."""

    type: int
    flags: int
    body: bytes


async def read_packet(reader: asyncio.StreamReader) -> Packet:
    """The next packet (raises PacketError when the fixed header is malformed)."""
    first = (await reader.readexactly(1))[0]
    kind, flags = first >> 4, first & 0x0F
    if kind == 0 or kind == 15:
        raise PacketError(f"reserved packet type {kind}")
    if kind != PUBLISH and flags != _FIXED_FLAGS.get(kind, 0):
        raise PacketError(f"invalid fixed-header flags {flags:#x} for packet type {kind}")
    length, multiplier = 0, 1
    for _ in range(4):
        byte = (await reader.readexactly(1))[0]
        length += (byte & 0x7F) * multiplier
        if not byte & 0x80:
            break
        multiplier *= 128
    else:
        raise PacketError("remaining length is longer than 4 bytes")
    if length > MAX_PACKET_BYTES:
        raise PacketError(f"packet of {length} bytes is larger than {MAX_PACKET_BYTES}")
    return Packet(kind, flags, await reader.readexactly(length))


class Fields:
    """Reads a packet's fields in order (UTF-8 strings, binary data, 16-bit integers)."""

    __slots__ = ("data", "at")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def u8(self) -> int:
        if self.at >= len(self.data):
            raise PacketError("packet ends early")
        self.at += 1
        return self.data[self.at - 1]

    def u16(self) -> int:
        if self.at + 2 > len(self.data):
            raise PacketError("packet ends early")
        (value,) = struct.unpack_from(">H", self.data, self.at)
        self.at += 2
        return value

    def binary(self) -> bytes:
        size = self.u16()
        if self.at + size > len(self.data):
            raise PacketError("a length-prefixed field runs past the packet")
        value = self.data[self.at : self.at + size]
        self.at += size
        return value

    def text(self) -> str:
        raw = self.binary()
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PacketError("a string field is not UTF-8") from None
        if "\0" in value:
            raise PacketError("a string field contains U+0000")
        return value

    def rest(self) -> bytes:
        value = self.data[self.at :]
        self.at = len(self.data)
        return value

    @property
    def done(self) -> bool:
        return self.at >= len(self.data)


def _remaining(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def encode(kind: int, flags: int, body: bytes = b"") -> bytes:
    """One packet's bytes."""
    return bytes([(kind << 4) | flags]) + _remaining(len(body)) + body


def encode_publish(
    topic: str, payload: bytes, qos: int, retain: bool, packet_id: int, dup: bool = False
) -> bytes:
    """A PUBLISH packet."""
    name = topic.encode("utf-8")
    body = struct.pack(">H", len(name)) + name
    if qos:
        body += struct.pack(">H", packet_id)
    flags = (dup << 3) | (qos << 1) | int(retain)
    return encode(PUBLISH, flags, body + payload)


def encode_id(kind: int, packet_id: int) -> bytes:
    """PUBACK, PUBREC, PUBREL, PUBCOMP or UNSUBACK for a packet id."""
    return encode(kind, 2 if kind == PUBREL else 0, struct.pack(">H", packet_id))
