"""Protocol listeners: loopback only, closed with the lab, a failing connection ends only itself."""

from __future__ import annotations

import asyncio

import pytest

from engine import Engine, VirtualClock

pytestmark = pytest.mark.timeout(20)


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        if line == b"boom\n":
            raise ValueError("bad frame")
        writer.write(line)
        await writer.drain()


async def test_listener_serves_on_loopback_and_closes_with_the_lab() -> None:
    async with Engine(clock=VirtualClock()) as eng:
        listener = await eng.listeners.open("test:echo", _echo)
        assert listener.host == "127.0.0.1" and listener.port > 0
        reader, writer = await asyncio.open_connection(listener.host, listener.port)
        writer.write(b"hi\n")
        assert await reader.readline() == b"hi\n"
        assert listener.connection_count == 1
    # the lab closed: the connection ended and the port no longer accepts
    assert await reader.read() == b""
    writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", listener.port)


async def test_a_failing_connection_is_traced_and_the_listener_keeps_serving() -> None:
    async with Engine(clock=VirtualClock()) as eng:
        recorder = eng.trace.record()
        listener = await eng.listeners.open("test:echo", _echo)
        bad_reader, bad_writer = await asyncio.open_connection(listener.host, listener.port)
        bad_writer.write(b"boom\n")
        assert await bad_reader.read() == b""
        bad_writer.close()
        reader, writer = await asyncio.open_connection(listener.host, listener.port)
        writer.write(b"still here\n")
        assert await reader.readline() == b"still here\n"
        writer.close()
        kinds = [event.kind for event in recorder.events]
        assert "connection-failed" in kinds


async def test_reset_closes_listeners() -> None:
    async with Engine(clock=VirtualClock()) as eng:
        listener = await eng.listeners.open("test:echo", _echo)
        await eng.reset()
        assert eng.listeners.all() == []
        assert listener.closed
