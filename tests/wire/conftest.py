"""A lab served over a real loopback socket, and boto3 clients pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config

from engine import Engine, RealClock
from engine.wire import WireServer


class Lab:
    """A served engine plus a factory of real boto3 clients for it."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._session = boto3.session.Session(
            aws_access_key_id="AKIALAB", aws_secret_access_key="secret", region_name="us-east-1"
        )

    def client(self, name: str, **config: Any) -> Any:
        """A boto3 client for `name` aimed at the lab."""
        return self.client_for(name, self.url, **config)

    def client_for(self, name: str, url: str, **config: Any) -> Any:
        """A boto3 client for `name` aimed at `url` (another host name for the same listener)."""
        return self._session.client(
            name, endpoint_url=url, config=Config(retries={"max_attempts": 1}, **config)
        )

    async def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a blocking boto3 call in a thread while the engine keeps serving."""
        return await asyncio.to_thread(function, *args, **kwargs)


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    """An engine on the real clock, served on a free loopback port."""
    async with Engine(clock=RealClock()) as engine:
        server = WireServer(engine, "127.0.0.1", 0)
        url = await server.start()
        try:
            yield Lab(engine, url)
        finally:
            await server.stop()
