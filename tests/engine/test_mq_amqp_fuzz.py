"""Malformed AMQP input closes that connection with AMQP's error codes; the broker serves on."""

from __future__ import annotations

import asyncio
import random
import struct

import pika
import pytest
from pamqp import commands as spec
from pamqp import frame as amqp_frame

from .rabbit_lab import PASSWORD, USER, RabbitLab

pytestmark = pytest.mark.timeout(60)

HEADER = b"AMQP\x00\x00\x09\x01"


@pytest.fixture(scope="module")
def lab():
    lab = RabbitLab().create_broker()
    yield lab
    lab.close()


async def read_frame(reader: asyncio.StreamReader):
    head = await reader.readexactly(7)
    _, _, size = struct.unpack(">BHI", head)
    rest = await reader.readexactly(size + 1)
    return amqp_frame.unmarshal(head + rest)[2]


async def open_connection(lab: RabbitLab):
    """A raw, negotiated connection (PLAIN) with channel 1 open."""
    reader, writer = await asyncio.open_connection("127.0.0.1", lab.port)
    writer.write(HEADER)
    assert (await read_frame(reader)).name == "Connection.Start"
    writer.write(
        amqp_frame.marshal(
            spec.Connection.StartOk(
                client_properties={}, mechanism="PLAIN", response=f"\0{USER}\0{PASSWORD}"
            ),
            0,
        )
    )
    tune = await read_frame(reader)
    writer.write(amqp_frame.marshal(spec.Connection.TuneOk(tune.channel_max, tune.frame_max, 0), 0))
    writer.write(amqp_frame.marshal(spec.Connection.Open("/"), 0))
    assert (await read_frame(reader)).name == "Connection.OpenOk"
    writer.write(amqp_frame.marshal(spec.Channel.Open(), 1))
    assert (await read_frame(reader)).name == "Channel.OpenOk"
    return reader, writer


async def close_code(reader: asyncio.StreamReader) -> int | None:
    """The reply code of the connection.close the broker sends (None if it just hung up)."""
    try:
        while True:
            value = await asyncio.wait_for(read_frame(reader), 5)
            if value.name == "Connection.Close":
                return value.reply_code
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


def still_serving(lab: RabbitLab) -> None:
    credentials = pika.PlainCredentials(USER, PASSWORD)
    connection = pika.BlockingConnection(
        pika.ConnectionParameters("127.0.0.1", lab.port, credentials=credentials)
    )
    channel = connection.channel()
    channel.queue_declare("fuzz-ok")
    channel.basic_publish("", "fuzz-ok", b"alive")
    assert channel.basic_get("fuzz-ok", auto_ack=True)[2] == b"alive"
    connection.close()


async def test_wrong_protocol_header_is_answered_with_ours(lab):
    reader, writer = await asyncio.open_connection("127.0.0.1", lab.port)
    writer.write(b"AMQP\x01\x01\x00\x0a")
    assert await reader.read(8) == HEADER
    assert await reader.read(1) == b""
    writer.close()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"\x01\x00\x01\x00\x00\x00\x04\x00\x3c\x00\x28\x00", 501),  # bad frame-end octet
        (b"\x09\x00\x01\x00\x00\x00\x00\xce", 501),  # unknown frame type
        (b"\x01\x00\x01\x7f\xff\xff\xff", 501),  # larger than frame_max
        (b"\x01\x00\x01\x00\x00\x00\x04\x00\x63\x00\x01\xce", 502),  # no such method
        (b"\x03\x00\x01\x00\x00\x00\x02hi\xce", 505),  # body with no publish
        (amqp_frame.marshal(spec.Queue.Declare(queue="q"), 5), 504),  # channel 5 never opened
    ],
)
async def test_malformed_frames_close_with_amqp_codes(lab, raw, code):
    reader, writer = await open_connection(lab)
    writer.write(raw)
    assert await close_code(reader) == code
    writer.close()
    await asyncio.to_thread(still_serving, lab)


async def test_reused_consumer_tag_closes_the_connection_with_530(lab):
    reader, writer = await open_connection(lab)
    writer.write(amqp_frame.marshal(spec.Queue.Declare(queue="fuzz-tags"), 1))
    assert (await read_frame(reader)).name == "Queue.DeclareOk"
    for _ in range(2):
        writer.write(amqp_frame.marshal(spec.Basic.Consume(queue="fuzz-tags", consumer_tag="t"), 1))
    assert (await read_frame(reader)).name == "Basic.ConsumeOk"
    assert await close_code(reader) == 530
    writer.close()


async def test_immediate_publish_is_not_implemented(lab):
    reader, writer = await open_connection(lab)
    writer.write(amqp_frame.marshal(spec.Basic.Publish(routing_key="x", immediate=True), 1))
    assert await close_code(reader) == 540
    writer.close()


async def test_random_garbage_never_takes_the_broker_down(lab):
    rng = random.Random(22)
    for _ in range(40):
        reader, writer = await open_connection(lab)
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        if rng.random() < 0.5:  # a plausible frame envelope around garbage
            garbage = (
                struct.pack(">BHI", rng.choice([1, 2, 3]), 1, len(garbage)) + garbage + b"\xce"
            )
        writer.write(garbage)
        writer.write_eof()
        code = await close_code(reader)
        assert code in (None, 501, 502, 503, 504, 505, 530, 540)
        writer.close()
    await asyncio.to_thread(still_serving, lab)
    assert lab.call(_connection_count(lab)) <= 1


async def _connection_count(lab: RabbitLab) -> int:
    await asyncio.sleep(0.05)
    return len(lab.broker.connections)
