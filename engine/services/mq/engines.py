"""The engine-type registry: what each Amazon MQ engine offers and which lab broker runs it.

CreateBroker looks the EngineType up here. An engine whose `factory` is None is described (its
versions and instance types, as DescribeBrokerEngineTypes and DescribeBrokerInstanceOptions
report them) but not emulated: CreateBroker refuses it with a plain BadRequestException.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.engine import Engine

BrokerFactory = Callable[["Engine", str, str, dict[str, str]], Awaitable[Any]]


async def _rabbitmq(engine: Engine, arn: str, name: str, users: dict[str, str]) -> Any:
    from .rabbitmq import RabbitBroker

    broker = RabbitBroker(engine, arn, name, users)
    await broker.open()
    return broker


async def _activemq(engine: Engine, arn: str, name: str, users: dict[str, str]) -> Any:
    from .activemq import ActiveBroker

    broker = ActiveBroker(engine, arn, name, users)
    await broker.open()
    return broker


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """One engine type: versions, instance types, deployment modes, storage, and its lab broker."""

    engine_type: str
    versions: tuple[str, ...]
    instance_types: tuple[str, ...]
    deployment_modes: tuple[str, ...]
    storage_types: tuple[str, ...]
    factory: BrokerFactory | None
    not_emulated: str = ""

    @property
    def default_version(self) -> str:
        """The version CreateBroker picks when none is given (the newest)."""
        return self.versions[0]


_M7G = tuple(
    f"mq.m7g.{size}"
    for size in (
        "medium",
        "large",
        "xlarge",
        "2xlarge",
        "4xlarge",
        "8xlarge",
        "12xlarge",
        "16xlarge",
    )
)

ENGINES: dict[str, EngineSpec] = {
    "RABBITMQ": EngineSpec(
        "RABBITMQ",
        ("3.13",),
        ("mq.t3.micro", "mq.m5.large", "mq.m5.xlarge", "mq.m5.2xlarge", "mq.m5.4xlarge", *_M7G),
        ("SINGLE_INSTANCE", "CLUSTER_MULTI_AZ"),
        ("EBS",),
        _rabbitmq,
    ),
    "ACTIVEMQ": EngineSpec(
        "ACTIVEMQ",
        ("5.18", "5.17.6"),
        (
            "mq.t2.micro",
            "mq.t3.micro",
            "mq.m4.large",
            "mq.m5.large",
            "mq.m5.xlarge",
            "mq.m5.2xlarge",
            "mq.m5.4xlarge",
        ),
        ("SINGLE_INSTANCE", "ACTIVE_STANDBY_MULTI_AZ"),
        ("EBS", "EFS"),
        _activemq,
    ),
}
