"""Protocol listeners: loopback TCP servers that open with a resource and close with the lab.

Services whose data plane is a protocol (Kafka, AMQP, STOMP, MQTT, GraphQL over HTTP/WebSocket,
HLS) open their sockets here, so every listener runs in the lab's event loop, binds to loopback
only, and is closed (with its connections) when the resource is deleted or the lab closes.

    listener = await engine.listeners.open("kafka:orders-cluster", handle_connection)
    listener.port          # the port the control plane reports
    await listener.close() # on DeleteCluster

`handle_connection(reader, writer)` owns one connection; an exception it raises is traced as
`connection-failed` and ends that connection only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Engine

ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

#: Where listeners bind: the lab talks to nothing beyond loopback.
LOOPBACK = "127.0.0.1"


class Listener:
    """One open TCP listener and the connections it is serving."""

    def __init__(self, listeners: Listeners, name: str, handler: ConnectionHandler) -> None:
        self.name = name
        self.host = LOOPBACK
        self.port = 0
        self._listeners = listeners
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task, asyncio.StreamWriter] = {}
        self.closed = False

    @property
    def address(self) -> str:
        """`host:port`, the form bootstrap-broker strings and endpoints use."""
        return f"{self.host}:{self.port}"

    @property
    def connection_count(self) -> int:
        """How many clients are connected right now."""
        return len(self._connections)

    async def _start(self, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            await self._handler(reader, writer)
        except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception as error:  # one bad connection must never take the listener down
            trace = self._listeners.engine.trace
            if trace.enabled:
                trace.emit(
                    "connection-failed",
                    self.name,
                    None,
                    error=f"{type(error).__name__}: {error}"[:256],
                )
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def close(self) -> None:
        """Stop accepting, end every connection, and forget this listener."""
        if self.closed:
            return
        self.closed = True
        self._listeners._forget(self)
        if self._server is not None:
            self._server.close()
        tasks = list(self._connections)
        for task, writer in list(self._connections.items()):
            writer.close()
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()


class Listeners:
    """Every protocol listener of one lab."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._open: dict[int, Listener] = {}

    async def open(self, name: str, handler: ConnectionHandler, *, port: int = 0) -> Listener:
        """Open a loopback listener named `name` (a resource ARN or label); port 0 picks a free one."""
        listener = Listener(self, name, handler)
        await listener._start(port)
        self._open[id(listener)] = listener
        return listener

    def all(self) -> list[Listener]:
        """The listeners open right now."""
        return list(self._open.values())

    async def close_all(self) -> None:
        """Close every listener (the lab is closing or being reset)."""
        for listener in list(self._open.values()):
            await listener.close()

    def _forget(self, listener: Listener) -> None:
        self._open.pop(id(listener), None)
