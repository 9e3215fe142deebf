"""Shared set-up for the MSK tests: an ACTIVE cluster with its broker listening on loopback."""

from __future__ import annotations

from typing import Any

from engine import Engine, VirtualClock

#: Server properties that make consumer groups form at once (Kafka waits 3 s by default).
FAST_GROUPS = b"group.initial.rebalance.delay.ms=0\ngroup.min.session.timeout.ms=1000\n"


async def active_cluster(
    eng: Engine, name: str = "lab", brokers: int = 3, properties: bytes = FAST_GROUPS
) -> tuple[str, str]:
    """Create a cluster with `properties` and wait (on the engine clock) until it is ACTIVE.

    Returns (cluster ARN, bootstrap broker string).
    """
    eng.settings["kafka.transition_seconds"] = 0
    kafka = eng.client("kafka")
    config = await kafka.create_configuration(Name=f"{name}-config", ServerProperties=properties)
    created = await kafka.create_cluster(
        ClusterName=name,
        KafkaVersion="3.6.0",
        NumberOfBrokerNodes=brokers,
        BrokerNodeGroupInfo={
            "InstanceType": "kafka.m5.large",
            "ClientSubnets": [f"subnet-{i}" for i in range(brokers)],
        },
        ConfigurationInfo={"Arn": config["Arn"], "Revision": 1},
    )
    arn = created["ClusterArn"]
    for _ in range(200):
        if isinstance(eng.clock, VirtualClock):
            await eng.clock.advance(0.01)
        else:
            await eng.clock.sleep(0.01)
        info = await kafka.describe_cluster(ClusterArn=arn)
        if info["ClusterInfo"]["State"] == "ACTIVE":
            break
    brokers_string = (await kafka.get_bootstrap_brokers(ClusterArn=arn))["BootstrapBrokerString"]
    return arn, brokers_string


async def topic(eng: Engine, arn: str, name: str, partitions: int = 3, **configs: Any) -> None:
    """Create a topic through MSK's CreateTopic."""
    import base64
    import json

    params: dict[str, Any] = {
        "ClusterArn": arn,
        "TopicName": name,
        "PartitionCount": partitions,
        "ReplicationFactor": 3,
    }
    if configs:
        text = json.dumps({k.replace("_", "."): str(v) for k, v in configs.items()})
        params["Configs"] = base64.b64encode(text.encode()).decode()
    await eng.client("kafka").create_topic(**params)
