"""A lab engine on a real clock in a background thread, with one RabbitMQ broker, for real clients."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from engine import Engine, RealClock

USER = "admin"
PASSWORD = "lab-password-1"


class RabbitLab:
    """An engine loop in a thread; `port` is the broker's AMQP port."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.engine: Engine = self.call(self._engine())
        self.broker_id = ""
        self.port = 0
        self.console_port = 0

    async def _engine(self) -> Engine:
        engine = Engine(clock=RealClock())
        engine.settings["mq.transition_seconds"] = 0.0
        return engine

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 10) -> Any:
        """Run a coroutine on the lab's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def create_broker(self, name: str = "lab") -> RabbitLab:
        """Create a RUNNING RabbitMQ broker and note its ports."""

        async def create() -> dict:
            mq = self.engine.client("mq")
            created = await mq.create_broker(
                BrokerName=name,
                EngineType="RABBITMQ",
                HostInstanceType="mq.m5.large",
                DeploymentMode="SINGLE_INSTANCE",
                PubliclyAccessible=False,
                Users=[{"Username": USER, "Password": PASSWORD}],
            )
            while True:
                described = await mq.describe_broker(BrokerId=created["BrokerId"])
                if described["BrokerState"] == "RUNNING":
                    return described
                await asyncio.sleep(0.01)

        described = self.call(create())
        self.broker_id = described["BrokerId"]
        endpoint = described["BrokerInstances"][0]["Endpoints"][0]
        self.port = int(endpoint.rsplit(":", 1)[1])
        self.console_port = int(described["BrokerInstances"][0]["ConsoleURL"].rsplit(":", 1)[1])
        return self

    @property
    def broker(self) -> Any:
        """The broker's data plane."""
        return self.engine.service("mq").rabbit(self.broker_id)

    def close(self) -> None:
        """Close the engine and stop the loop."""
        self.call(self.engine.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()
