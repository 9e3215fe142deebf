"""Amazon MQ brokers and configurations; Amazon MSK provisioned and serverless clusters.

CloudFormation reports a broker or cluster created once it runs (RUNNING / ACTIVE), and deleted
once it is gone, as on AWS; the lab's transitions take `mq.transition_seconds` /
`kafka.transition_seconds` of lab time.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

from engine.errors import ServiceError

from .base import Outcome, Provider, Request, ignore_missing, tag_map

#: Lab seconds a provider waits for a broker or cluster to settle before giving up.
_WAIT_SECONDS = 3600
#: DescribeBroker endpoint schemes → the Fn::GetAtt list that gathers them.
_ENDPOINT_ATTRIBUTES = (
    ("amqp", "AmqpEndpoints"),
    ("mqtt", "MqttEndpoints"),
    ("stomp", "StompEndpoints"),
    ("wss", "WssEndpoints"),
    ("ssl", "OpenWireEndpoints"),
)


async def _settle(
    provider: Provider, probe: Callable[[], Awaitable[str | None]], goal: str | None
) -> None:
    """Sleep on the lab clock until `probe()` answers `goal` (None: the resource is gone)."""
    for _ in range(_WAIT_SECONDS):
        if await probe() == goal:
            return
        await provider.engine.clock.sleep(1)
    raise ServiceError("ServiceUnavailable", f"The resource did not become {goal} in time")


class BrokerProvider(Provider):
    """AWS::AmazonMQ::Broker — Ref: the broker id; GetAtt: Arn, ConfigurationId,
    ConfigurationRevision, IpAddresses and the endpoints per protocol."""

    type_name = "AWS::AmazonMQ::Broker"
    name_property = "BrokerName"
    name_max = 50
    requires = "mq"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        params = {**props, "BrokerName": self.name(request), "Tags": tag_map(props) or None}
        made = await self.call("mq", "create_broker", params)
        await _settle(self, lambda: self._state(made["BrokerId"]), "RUNNING")
        return Outcome(made["BrokerId"], await self._attributes(made["BrokerId"]))

    async def _state(self, broker_id: str) -> str | None:
        try:
            return (await self.client("mq").describe_broker(BrokerId=broker_id))["BrokerState"]
        except ServiceError as error:
            if error.code == "NotFoundException":
                return None
            raise

    async def _attributes(self, broker_id: str) -> dict[str, Any]:
        described = await self.client("mq").describe_broker(BrokerId=broker_id)
        endpoints = [e for i in described.get("BrokerInstances", []) for e in i["Endpoints"]]
        attributes: dict[str, Any] = {"Arn": described["BrokerArn"], "IpAddresses": ["127.0.0.1"]}
        for scheme, name in _ENDPOINT_ATTRIBUTES:
            attributes[name] = [e for e in endpoints if e.split("://", 1)[0].startswith(scheme)]
        current = (described.get("Configurations") or {}).get("Current") or {}
        if current:
            attributes["ConfigurationId"] = current["Id"]
            attributes["ConfigurationRevision"] = current["Revision"]
        return attributes

    async def update(self, request: Request) -> Outcome:
        params = {**request.properties, "BrokerId": request.physical_id}
        await self.call("mq", "update_broker", params)
        return Outcome(request.physical_id, await self._attributes(request.physical_id))

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("mq").delete_broker(BrokerId=request.physical_id))
        await _settle(self, lambda: self._state(request.physical_id), None)


class BrokerConfigurationProvider(Provider):
    """AWS::AmazonMQ::Configuration — Ref: the configuration id; GetAtt: Arn, Id, Revision."""

    type_name = "AWS::AmazonMQ::Configuration"
    name_property = "Name"
    name_max = 150
    requires = "mq"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        params = {**props, "Name": self.name(request), "Tags": tag_map(props) or None}
        made = await self.call("mq", "create_configuration", params)
        revision = made["LatestRevision"]["Revision"]
        if "Data" in props:
            revision = await self._revise(made["Id"], props)
        return Outcome(made["Id"], {"Arn": made["Arn"], "Id": made["Id"], "Revision": revision})

    async def _revise(self, configuration_id: str, props: dict[str, Any]) -> int:
        data = str(props["Data"])
        try:
            base64.b64decode(data, validate=True)
        except ValueError:
            data = base64.b64encode(data.encode()).decode()  # AWS takes it base64-encoded
        revised = await self.call(
            "mq",
            "update_configuration",
            {
                "ConfigurationId": configuration_id,
                "Data": data,
                "Description": props.get("Description"),
            },
        )
        return int(revised["LatestRevision"]["Revision"])

    async def update(self, request: Request) -> Outcome:
        revision = await self._revise(request.physical_id, request.properties)
        return Outcome(request.physical_id, {**request.attributes, "Revision": revision})

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("mq").delete_configuration(ConfigurationId=request.physical_id)
        )


class _ClusterProvider(Provider):
    """What MSK's provisioned and serverless clusters share: Ref and Arn are the cluster ARN."""

    name_property = "ClusterName"
    requires = "kafka"

    async def _made(self, arn: str) -> Outcome:
        await _settle(self, lambda: self._state(arn), "ACTIVE")
        return Outcome(arn, {"Arn": arn})

    async def _state(self, arn: str) -> str | None:
        try:
            return (await self.client("kafka").describe_cluster_v2(ClusterArn=arn))["ClusterInfo"][
                "State"
            ]
        except ServiceError as error:
            if error.code == "NotFoundException":
                return None
            raise

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("kafka").delete_cluster(ClusterArn=request.physical_id))
        await _settle(self, lambda: self._state(request.physical_id), None)


class ClusterProvider(_ClusterProvider):
    """AWS::MSK::Cluster — Ref: the cluster ARN; GetAtt: Arn."""

    type_name = "AWS::MSK::Cluster"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        params = {**props, "ClusterName": self.name(request), "Tags": tag_map(props) or None}
        made = await self.call("kafka", "create_cluster", params)
        return await self._made(made["ClusterArn"])


class ServerlessClusterProvider(_ClusterProvider):
    """AWS::MSK::ServerlessCluster — Ref: the cluster ARN; GetAtt: Arn."""

    type_name = "AWS::MSK::ServerlessCluster"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        serverless = {k: props[k] for k in ("VpcConfigs", "ClientAuthentication") if k in props}
        params = {
            "ClusterName": self.name(request),
            "Serverless": serverless,
            "Tags": tag_map(props) or None,
        }
        made = await self.call("kafka", "create_cluster_v2", params)
        return await self._made(made["ClusterArn"])


PROVIDERS = (
    BrokerProvider,
    BrokerConfigurationProvider,
    ClusterProvider,
    ServerlessClusterProvider,
)
