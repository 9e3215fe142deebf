"""Run the wire endpoint on a real socket with uvicorn, on the engine's own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING

import uvicorn

from engine.outbound import is_loopback_host

from .asgi import WireApp
from .guard import RequestGuard
from .limits import ConnectionRegistry, ServerLimits, guarded_protocol

if TYPE_CHECKING:
    from engine.engine import Engine

    from .signing import SignatureVerifier


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost or *.localhost)."""
    return is_loopback_host(host)


class WireServer:
    """The lab served over HTTP: start it inside a running engine, stop it when done."""

    def __init__(
        self,
        engine: Engine,
        host: str = "127.0.0.1",
        port: int = 4566,
        *,
        allow_origins: Iterable[str] = (),
        limits: ServerLimits | None = None,
        verifier: SignatureVerifier | None = None,
    ) -> None:
        self.engine = engine
        self.host = host
        self.port = port
        self.limits = limits or ServerLimits()
        self.guard = RequestGuard.build(host, allow_origins)
        self.app = WireApp(engine, guard=self.guard, verifier=verifier)
        self._protocol = guarded_protocol(self.limits)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        """The endpoint URL to give boto3 (`endpoint_url`)."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> str:
        """Start listening; returns the endpoint URL (with the real port when 0 was asked)."""
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            lifespan="on",
            log_level="warning",
            access_log=False,
            http=self._protocol,
            timeout_keep_alive=self.limits.keep_alive_timeout,  # type: ignore[arg-type]
            # Headers are bounded by the protocol; the h11 fallback gets the same total.
            h11_max_incomplete_event_size=self.limits.max_header_bytes,
            # An open event stream (SubscribeToShard) must not hold a stop for its five minutes.
            timeout_graceful_shutdown=1,
            ws="websockets-sansio" if _has_sansio() else "auto",
        )
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._server = server
        self._task = asyncio.get_running_loop().create_task(server.serve(), name="pipework-wire")
        while not server.started:
            if self._task.done():
                self._task.result()  # raises the bind error
            await asyncio.sleep(0.01)
        sockets = server.servers[0].sockets if server.servers else []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        self.engine.trace.emit("serving", "wire", self.url)
        if self.engine.endpoint_url is None:
            self.engine.endpoint_url = self.url
        return self.url

    def connections(self) -> ConnectionRegistry:
        """The open connections (and how many were closed to make room)."""
        return self._protocol.registry  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Stop listening and wait for the server to finish."""
        if self.engine.endpoint_url == self.url:
            self.engine.endpoint_url = None
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        self._server = self._task = None


def _has_sansio() -> bool:
    try:
        import uvicorn.protocols.websockets.websockets_sansio_impl  # noqa: F401
    except ImportError:
        return False
    return True
