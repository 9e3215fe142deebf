"""A lab engine on a real clock in a background thread, with one ActiveMQ broker, for real clients."""

from __future__ import annotations

import asyncio
from typing import Any

from .rabbit_lab import PASSWORD, USER, RabbitLab

__all__ = ["PASSWORD", "USER", "ActiveLab"]


class ActiveLab(RabbitLab):
    """An engine loop in a thread; `port` is the broker's STOMP port."""

    def create_broker(self, name: str = "lab") -> ActiveLab:
        """Create a RUNNING ActiveMQ broker and note its STOMP port."""

        async def create() -> dict:
            mq = self.engine.client("mq")
            created = await mq.create_broker(
                BrokerName=name,
                EngineType="ACTIVEMQ",
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
        endpoints = described["BrokerInstances"][0]["Endpoints"]
        self.endpoints = {e.split("://")[0]: int(e.rsplit(":", 1)[1]) for e in endpoints}
        self.port = self.endpoints["stomp"]
        return self

    @property
    def broker(self) -> Any:
        """The broker's data plane."""
        return self.engine.service("mq").activemq(self.broker_id)

    def run(self, fn, *args) -> Any:
        """Call a plain function on the lab's loop (the broker is not thread-safe)."""

        async def call() -> Any:
            return fn(*args)

        return self.call(call())
