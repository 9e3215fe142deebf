"""Amazon MQ (`mq`): the control plane, RabbitMQ brokers over AMQP 0-9-1 and ActiveMQ over STOMP.

Internal API (console lab commands, Lambda event source mappings, Pipes):
    mq.rabbit(broker) -> RabbitBroker      broker id, ARN or name; raises NotFoundException
    broker.publish(exchange, key, body, vhost=, headers=, properties=) -> dict
    broker.session(on_delivery) -> Session  consume with Session.subscribe / get, settle with ack/nack
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from engine.service import Service
from engine.topology import Edge, Node

from .broker_users import BrokerUsers
from .brokers import BrokerControl
from .configurations import Configurations
from .engines import ENGINES
from .errors import bad_request, page
from .tags import Tags

if TYPE_CHECKING:
    from engine.engine import Engine

    from .activemq import ActiveBroker
    from .rabbitmq import RabbitBroker


class MqService(Service):
    """Amazon MQ in the lab: RabbitMQ brokers over AMQP, ActiveMQ brokers over STOMP."""

    name: ClassVar[str] = "mq"
    validation_error_code: ClassVar[str] = "BadRequestException"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.tags = Tags()
        self.brokers = BrokerControl(self)
        self.users = BrokerUsers(self)
        self.configurations = Configurations(self)

    async def close(self) -> None:
        await self.brokers.close()

    # -- internal API ----------------------------------------------------------------------
    def rabbit(self, broker: str) -> RabbitBroker:
        """The RabbitMQ data plane of a broker (id, ARN or name)."""
        record = self.brokers.get(broker)
        if record.spec.engine_type != "RABBITMQ":
            raise bad_request(f"Broker [{record.name}] is not a RabbitMQ broker.", "broker-id")
        return record.plane

    def activemq(self, broker: str) -> ActiveBroker:
        """The ActiveMQ data plane of a broker (id, ARN or name)."""
        record = self.brokers.get(broker)
        if record.spec.engine_type != "ACTIVEMQ":
            raise bad_request(f"Broker [{record.name}] is not an ActiveMQ broker.", "broker-id")
        return record.plane

    def owns(self, arn: str) -> bool:
        return any(r.arn == arn for r in self.brokers.brokers.values())

    # -- brokers ----------------------------------------------------------------------------
    async def create_broker(self, params: dict) -> dict:
        return await self.brokers.create(params)

    def describe_broker(self, params: dict) -> dict:
        return self.brokers.describe(params)

    def list_brokers(self, params: dict) -> dict:
        return self.brokers.list(params)

    def update_broker(self, params: dict) -> dict:
        return self.brokers.update(params)

    def reboot_broker(self, params: dict) -> dict:
        return self.brokers.reboot(params)

    async def delete_broker(self, params: dict) -> dict:
        return await self.brokers.delete(params)

    def promote(self, params: dict) -> dict:
        record = self.brokers.get(params["BrokerId"])
        raise bad_request(
            f"Broker [{record.id}] is not part of a cross-region data replication pair "
            "(Promote applies to ActiveMQ CRDR brokers).",
            "broker-id",
        )

    # -- users: Amazon MQ's user APIs are ActiveMQ's; RabbitMQ users live in the broker ------
    def create_user(self, params: dict) -> dict:
        return self.users.create(params)

    def update_user(self, params: dict) -> dict:
        return self.users.update(params)

    def delete_user(self, params: dict) -> dict:
        return self.users.delete(params)

    def describe_user(self, params: dict) -> dict:
        return self.users.describe(params)

    def list_users(self, params: dict) -> dict:
        return self.users.list(params)

    # -- configurations ------------------------------------------------------------------------
    def create_configuration(self, params: dict) -> dict:
        return self.configurations.create(params)

    def describe_configuration(self, params: dict) -> dict:
        return self.configurations.describe(params)

    def list_configurations(self, params: dict) -> dict:
        return self.configurations.list(params)

    def update_configuration(self, params: dict) -> dict:
        return self.configurations.update(params)

    def delete_configuration(self, params: dict) -> dict:
        return self.configurations.delete(params)

    def describe_configuration_revision(self, params: dict) -> dict:
        return self.configurations.revision(params)

    def list_configuration_revisions(self, params: dict) -> dict:
        return self.configurations.revisions(params)

    # -- tags ----------------------------------------------------------------------------------
    def create_tags(self, params: dict) -> dict:
        return self.tags.create(params)

    def delete_tags(self, params: dict) -> dict:
        return self.tags.delete(params)

    def list_tags(self, params: dict) -> dict:
        return self.tags.list(params)

    # -- engine catalogue ----------------------------------------------------------------------
    def describe_broker_engine_types(self, params: dict) -> dict:
        wanted = params.get("EngineType")
        items = [
            {"EngineType": spec.engine_type, "EngineVersions": [{"Name": v} for v in spec.versions]}
            for spec in ENGINES.values()
            if wanted in (None, spec.engine_type)
        ]
        chunk, token = page(items, params)
        result: dict[str, Any] = {"BrokerEngineTypes": chunk, "MaxResults": len(chunk)}
        if token:
            result["NextToken"] = token
        return result

    def describe_broker_instance_options(self, params: dict) -> dict:
        zones = [{"Name": f"{self.region}{z}"} for z in "abc"]
        items = [
            {
                "AvailabilityZones": zones,
                "EngineType": spec.engine_type,
                "HostInstanceType": instance,
                "StorageType": storage,
                "SupportedDeploymentModes": [
                    m
                    for m in spec.deployment_modes
                    if not (instance.endswith(("t3.micro", "t2.micro")) and m != "SINGLE_INSTANCE")
                ],
                "SupportedEngineVersions": list(spec.versions),
            }
            for spec in ENGINES.values()
            for instance in spec.instance_types
            for storage in spec.storage_types
            if params.get("EngineType") in (None, spec.engine_type)
            and params.get("HostInstanceType") in (None, instance)
            and params.get("StorageType") in (None, storage)
        ]
        chunk, token = page(items, params)
        result: dict[str, Any] = {"BrokerInstanceOptions": chunk, "MaxResults": len(chunk)}
        if token:
            result["NextToken"] = token
        return result

    # -- save / open -----------------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        from .persistence import dump

        return dump(self)

    def load(self, data: dict[str, Any]) -> None:
        from .persistence import load

        load(self, data)

    # -- views ---------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes: list[Node] = []
        edges: list[Edge] = []
        for record in self.brokers.brokers.values():
            plane = record.plane
            nodes.append(
                Node(
                    record.arn,
                    "broker",
                    record.name,
                    "mq",
                    {"connections": len(plane.connections) if plane else 0},
                )
            )
            if plane is not None and record.state != "DELETION_IN_PROGRESS":
                more_nodes, more_edges = plane.topology()
                nodes.extend(more_nodes)
                edges.extend(more_edges)
        return nodes, edges
