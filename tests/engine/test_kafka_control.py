"""MSK control plane on the virtual clock: states, configurations, nodes, tags, policies, topics."""

from __future__ import annotations

import asyncio

import pytest

from engine import Engine, ServiceError, VirtualClock

from .kafka_lab import active_cluster, topic

pytestmark = pytest.mark.timeout(30)

GROUP = {"InstanceType": "kafka.m5.large", "ClientSubnets": ["subnet-a", "subnet-b", "subnet-c"]}


async def test_cluster_is_creating_then_active_with_a_real_listener(
    eng: Engine, clock: VirtualClock
) -> None:
    kafka = eng.client("kafka")
    created = await kafka.create_cluster(
        ClusterName="orders", KafkaVersion="3.6.0", NumberOfBrokerNodes=3, BrokerNodeGroupInfo=GROUP
    )
    arn = created["ClusterArn"]
    assert created["State"] == "CREATING"
    assert arn.startswith("arn:aws:kafka:us-east-1:123456789012:cluster/orders/")
    with pytest.raises(ServiceError) as error:
        await kafka.get_bootstrap_brokers(ClusterArn=arn)
    assert error.value.code == "BadRequestException"
    await clock.advance(10)
    info = (await kafka.describe_cluster(ClusterArn=arn))["ClusterInfo"]
    assert info["State"] == "ACTIVE" and info["NumberOfBrokerNodes"] == 3
    brokers = (await kafka.get_bootstrap_brokers(ClusterArn=arn))["BootstrapBrokerString"]
    host, port = brokers.split(",")[0].split(":")
    assert host == "127.0.0.1"
    reader, writer = await asyncio.open_connection(host, int(port))  # really listening
    writer.close()
    nodes = (await kafka.list_nodes(ClusterArn=arn))["NodeInfoList"]
    assert [n["BrokerNodeInfo"]["BrokerId"] for n in nodes] == [1.0, 2.0, 3.0]
    assert nodes[0]["BrokerNodeInfo"]["Endpoints"] == [f"127.0.0.1:{port}"]
    v2 = (await kafka.describe_cluster_v2(ClusterArn=arn))["ClusterInfo"]
    assert v2["ClusterType"] == "PROVISIONED" and v2["Provisioned"]["NumberOfBrokerNodes"] == 3


async def test_delete_closes_the_listener_and_forgets_the_cluster(
    eng: Engine, clock: VirtualClock
) -> None:
    kafka = eng.client("kafka")
    arn = (
        await kafka.create_cluster(
            ClusterName="gone",
            KafkaVersion="3.6.0",
            NumberOfBrokerNodes=3,
            BrokerNodeGroupInfo=GROUP,
        )
    )["ClusterArn"]
    await clock.advance(10)
    assert len(eng.listeners.all()) == 1
    assert (await kafka.delete_cluster(ClusterArn=arn))["State"] == "DELETING"
    await clock.advance(10)
    assert eng.listeners.all() == []
    with pytest.raises(ServiceError) as error:
        await kafka.describe_cluster(ClusterArn=arn)
    assert error.value.code == "NotFoundException"


async def test_broker_count_update_needs_the_current_version_and_goes_through_updating(
    eng: Engine, clock: VirtualClock
) -> None:
    kafka = eng.client("kafka")
    arn = (
        await kafka.create_cluster(
            ClusterName="grow",
            KafkaVersion="3.6.0",
            NumberOfBrokerNodes=3,
            BrokerNodeGroupInfo=GROUP,
        )
    )["ClusterArn"]
    with pytest.raises(ServiceError):  # still CREATING
        await kafka.update_broker_count(
            ClusterArn=arn, CurrentVersion="x", TargetNumberOfBrokerNodes=6
        )
    await clock.advance(10)
    current = (await kafka.describe_cluster(ClusterArn=arn))["ClusterInfo"]["CurrentVersion"]
    with pytest.raises(ServiceError) as error:
        await kafka.update_broker_count(
            ClusterArn=arn, CurrentVersion="wrong", TargetNumberOfBrokerNodes=6
        )
    assert error.value.code == "BadRequestException"
    op = await kafka.update_broker_count(
        ClusterArn=arn, CurrentVersion=current, TargetNumberOfBrokerNodes=6
    )
    info = (await kafka.describe_cluster(ClusterArn=arn))["ClusterInfo"]
    assert info["State"] == "UPDATING" and info["ActiveOperationArn"] == op["ClusterOperationArn"]
    await clock.advance(10)
    info = (await kafka.describe_cluster(ClusterArn=arn))["ClusterInfo"]
    assert info["State"] == "ACTIVE" and info["NumberOfBrokerNodes"] == 6
    assert info["CurrentVersion"] != current
    described = await kafka.describe_cluster_operation(
        ClusterOperationArn=op["ClusterOperationArn"]
    )
    assert described["ClusterOperationInfo"]["OperationState"] == "UPDATE_COMPLETE"


async def test_configuration_revisions_become_topic_defaults(
    eng: Engine, clock: VirtualClock
) -> None:
    kafka = eng.client("kafka")
    arn, _ = await active_cluster(eng, properties=b"log.retention.ms=60000\nnum.partitions=4\n")
    await kafka.create_topic(ClusterArn=arn, TopicName="t", PartitionCount=2, ReplicationFactor=3)
    cluster = eng.service("kafka").resolve(arn)
    assert cluster.data.topic_config(cluster.data.topics["t"], "retention.ms") == "60000"
    config_arn = cluster.configuration["Arn"]
    revision = await kafka.update_configuration(
        Arn=config_arn, ServerProperties=b"log.retention.ms=1000\n", Description="shorter"
    )
    assert revision["LatestRevision"]["Revision"] == 2
    text = await kafka.describe_configuration_revision(Arn=config_arn, Revision=2)
    assert text["ServerProperties"] == b"log.retention.ms=1000\n"
    current = (await kafka.describe_cluster(ClusterArn=arn))["ClusterInfo"]["CurrentVersion"]
    await kafka.update_cluster_configuration(
        ClusterArn=arn, CurrentVersion=current, ConfigurationInfo={"Arn": config_arn, "Revision": 2}
    )
    await clock.advance(1)
    assert cluster.data.topic_config(cluster.data.topics["t"], "retention.ms") == "1000"
    with pytest.raises(ServiceError) as error:
        await kafka.create_configuration(Name="bad", ServerProperties=b"no equals sign here\n")
    assert error.value.code == "BadRequestException"
    with pytest.raises(ServiceError) as error:
        await kafka.delete_configuration(Arn=config_arn)
    assert error.value.code == "BadRequestException"


async def test_tags_policies_and_topics(eng: Engine) -> None:
    kafka = eng.client("kafka")
    arn, _ = await active_cluster(eng)
    await kafka.tag_resource(ResourceArn=arn, Tags={"team": "data"})
    assert (await kafka.list_tags_for_resource(ResourceArn=arn))["Tags"] == {"team": "data"}
    await kafka.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert (await kafka.list_tags_for_resource(ResourceArn=arn))["Tags"] == {}
    with pytest.raises(ServiceError) as error:
        await kafka.get_cluster_policy(ClusterArn=arn)
    assert error.value.code == "NotFoundException"
    version = await kafka.put_cluster_policy(ClusterArn=arn, Policy='{"Version":"2012-10-17"}')
    assert (await kafka.get_cluster_policy(ClusterArn=arn))["CurrentVersion"] == version[
        "CurrentVersion"
    ]
    await topic(eng, arn, "orders", 3, cleanup_policy="compact")
    with pytest.raises(ServiceError) as error:
        await topic(eng, arn, "orders", 3)
    assert error.value.code == "TopicExistsException"
    partitions = (await kafka.describe_topic_partitions(ClusterArn=arn, TopicName="orders"))[
        "Partitions"
    ]
    assert [p["Replicas"] for p in partitions] == [[1, 2, 3], [2, 3, 1], [3, 1, 2]]
    assert [p["Leader"] for p in partitions] == [1, 2, 3]
    await kafka.update_topic(ClusterArn=arn, TopicName="orders", PartitionCount=5)
    listed = (await kafka.list_topics(ClusterArn=arn))["Topics"]
    assert listed[0]["PartitionCount"] == 5


async def test_broker_down_moves_leaders_and_shows_under_replicated_partitions(eng: Engine) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "orders", 3)
    service = eng.service("kafka")
    cluster = service.resolve(arn)
    under = service.set_broker_down(cluster, 1, True)
    assert len(under) == 3  # every partition has a replica on broker 1
    leaders = [p.leader for p in cluster.data.topics["orders"].partitions]
    assert 1 not in leaders and leaders == [2, 2, 3]
    listed = (await eng.client("kafka").list_topics(ClusterArn=arn))["Topics"]
    assert listed[0]["OutOfSyncReplicaCount"] == 3
    service.set_broker_down(cluster, 1, False)
    assert cluster.data.under_replicated() == []


async def test_setting_updates_scram_secrets_and_v2_operations(
    eng: Engine, clock: VirtualClock
) -> None:
    kafka = eng.client("kafka")
    arn, _ = await active_cluster(eng)
    current = (await kafka.describe_cluster(ClusterArn=arn))["ClusterInfo"]["CurrentVersion"]
    with pytest.raises(ServiceError):
        await kafka.update_cluster_kafka_version(
            ClusterArn=arn, CurrentVersion=current, TargetKafkaVersion="2.8.1"
        )
    op = await kafka.update_broker_type(
        ClusterArn=arn, CurrentVersion=current, TargetInstanceType="kafka.m5.xlarge"
    )
    await clock.advance(1)
    info = (await kafka.describe_cluster(ClusterArn=arn))["ClusterInfo"]
    assert info["BrokerNodeGroupInfo"]["InstanceType"] == "kafka.m5.xlarge"
    v2 = await kafka.describe_cluster_operation_v2(ClusterOperationArn=op["ClusterOperationArn"])
    assert v2["ClusterOperationInfo"]["OperationType"] == "UPDATE_BROKER_TYPE"
    listed = await kafka.list_cluster_operations_v2(ClusterArn=arn)
    assert listed["ClusterOperationInfoList"][0]["OperationState"] == "UPDATE_COMPLETE"
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_alice-AbCdEf"
    bad = "arn:aws:secretsmanager:us-east-1:123456789012:secret:alice-AbCdEf"
    result = await kafka.batch_associate_scram_secret(ClusterArn=arn, SecretArnList=[secret, bad])
    assert [u["SecretArn"] for u in result["UnprocessedScramSecrets"]] == [bad]
    assert (await kafka.list_scram_secrets(ClusterArn=arn))["SecretArnList"] == [secret]


#: MSK's operations in botocore 1.43, the model the lab was built against; newer botocore
#: models add operations the lab answers with UnsupportedOperation until they are emulated.
MSK_OPERATIONS_AT_BUILD = (
    "batch_associate_scram_secret",
    "batch_disassociate_scram_secret",
    "create_cluster",
    "create_cluster_v2",
    "create_configuration",
    "create_replicator",
    "create_topic",
    "create_vpc_connection",
    "delete_cluster",
    "delete_cluster_policy",
    "delete_configuration",
    "delete_replicator",
    "delete_topic",
    "delete_vpc_connection",
    "describe_cluster",
    "describe_cluster_operation",
    "describe_cluster_operation_v2",
    "describe_cluster_v2",
    "describe_configuration",
    "describe_configuration_revision",
    "describe_replicator",
    "describe_topic",
    "describe_topic_partitions",
    "describe_vpc_connection",
    "get_bootstrap_brokers",
    "get_cluster_policy",
    "get_compatible_kafka_versions",
    "list_client_vpc_connections",
    "list_cluster_operations",
    "list_cluster_operations_v2",
    "list_clusters",
    "list_clusters_v2",
    "list_configuration_revisions",
    "list_configurations",
    "list_kafka_versions",
    "list_nodes",
    "list_replicators",
    "list_scram_secrets",
    "list_tags_for_resource",
    "list_topics",
    "list_vpc_connections",
    "put_cluster_policy",
    "reboot_broker",
    "reject_client_vpc_connection",
    "tag_resource",
    "untag_resource",
    "update_broker_count",
    "update_broker_storage",
    "update_broker_type",
    "update_cluster_configuration",
    "update_cluster_kafka_version",
    "update_configuration",
    "update_connectivity",
    "update_monitoring",
    "update_rebalancing",
    "update_replication_info",
    "update_security",
    "update_storage",
    "update_topic",
)


async def test_every_msk_operation_except_replicators_and_vpc_connections_is_served(
    eng: Engine,
) -> None:
    from engine.model import operations

    service = eng.service("kafka")
    known = set(MSK_OPERATIONS_AT_BUILD) & set(operations("kafka"))
    missing = sorted(s for s in known if not hasattr(service, s))
    assert all(
        "replicator" in s or "vpc_connection" in s or s == "update_replication_info"
        for s in missing
    ), missing
