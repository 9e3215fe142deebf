"""Amazon MQ control plane: brokers, states on the clock, validation, configurations, tags."""

from __future__ import annotations

import asyncio
import base64

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

USERS = [{"Username": "admin", "Password": "lab-password-1"}]


def create_params(**over):
    params = dict(
        BrokerName="orders",
        EngineType="RABBITMQ",
        HostInstanceType="mq.m5.large",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Users=USERS,
    )
    params.update(over)
    return params


async def test_broker_is_created_then_running_with_loopback_endpoints(eng, clock):
    mq = eng.client("mq")
    created = await mq.create_broker(**create_params())
    assert created["BrokerId"].startswith("b-")
    assert created["BrokerArn"].endswith(f":broker:orders:{created['BrokerId']}")
    described = await mq.describe_broker(BrokerId=created["BrokerId"])
    assert described["BrokerState"] == "CREATION_IN_PROGRESS"
    assert described["BrokerInstances"] == []
    assert described["EngineVersion"] == "3.13"
    await clock.advance(5)
    described = await mq.describe_broker(BrokerId=created["BrokerId"])
    assert described["BrokerState"] == "RUNNING"
    (instance,) = described["BrokerInstances"]
    (endpoint,) = instance["Endpoints"]
    assert endpoint.startswith("amqp://127.0.0.1:")
    assert instance["ConsoleURL"].startswith("http://127.0.0.1:")
    port = int(endpoint.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"AMQP\x00\x00\x09\x01")
    first = await reader.read(7)
    assert first[0] == 1  # a method frame: connection.start
    writer.close()
    listed = await mq.list_brokers()
    assert [b["BrokerName"] for b in listed["BrokerSummaries"]] == ["orders"]


async def test_activemq_configurations_start_from_amazon_mqs_default_xml(eng):
    mq = eng.client("mq")
    created = await mq.create_configuration(Name="amq", EngineType="ACTIVEMQ")
    assert created["LatestRevision"]["Revision"] == 1
    described = await mq.describe_configuration(ConfigurationId=created["Id"])
    assert described["EngineVersion"] == "5.18"
    types = await mq.describe_broker_engine_types()
    assert {t["EngineType"] for t in types["BrokerEngineTypes"]} == {"RABBITMQ", "ACTIVEMQ"}


@pytest.mark.parametrize(
    ("over", "fragment"),
    [
        ({"BrokerName": "bad name"}, "Broker name"),
        ({"HostInstanceType": "mq.t2.micro"}, "instance type"),
        ({"DeploymentMode": "ACTIVE_STANDBY_MULTI_AZ"}, "Deployment mode"),
        (
            {"DeploymentMode": "CLUSTER_MULTI_AZ", "HostInstanceType": "mq.t3.micro"},
            "SINGLE_INSTANCE",
        ),
        ({"EngineVersion": "3.8.6"}, "engine version"),
        ({"Users": []}, "exactly one user"),
        ({"Users": [{"Username": "guest", "Password": "lab-password-1"}]}, "guest"),
        ({"Users": [{"Username": "ad~min", "Password": "lab-password-1"}]}, "tilde"),
        ({"Users": [{"Username": "admin", "Password": "short"}]}, "12 characters"),
        ({"Users": [{"Username": "admin", "Password": "aaaaaaaaaaaaab"}]}, "4 unique"),
        ({"Users": [{"Username": "admin", "Password": "lab-password=1"}]}, "equal signs"),
        ({"StorageType": "EFS"}, "Storage type"),
    ],
)
async def test_create_broker_validation(eng, over, fragment):
    mq = eng.client("mq")
    with pytest.raises(ServiceError) as caught:
        await mq.create_broker(**create_params(**over))
    assert caught.value.code == "BadRequestException"
    assert fragment in caught.value.message
    assert (await mq.list_brokers())["BrokerSummaries"] == []


async def test_duplicate_name_conflicts_and_request_id_is_idempotent(eng):
    mq = eng.client("mq")
    first = await mq.create_broker(**create_params(CreatorRequestId="token-1"))
    again = await mq.create_broker(**create_params(CreatorRequestId="token-1"))
    assert again["BrokerId"] == first["BrokerId"]
    with pytest.raises(ServiceError) as caught:
        await mq.create_broker(**create_params())
    assert caught.value.code == "ConflictException"


async def test_unknown_broker_is_not_found(eng):
    with pytest.raises(ServiceError) as caught:
        await eng.client("mq").describe_broker(BrokerId="b-missing")
    assert caught.value.code == "NotFoundException"
    assert "Can't find requested broker [b-missing]" in caught.value.message


async def test_reboot_drops_connections_and_applies_pending_changes(eng, clock):
    mq = eng.client("mq")
    broker_id = (await mq.create_broker(**create_params()))["BrokerId"]
    with pytest.raises(ServiceError):  # not RUNNING yet
        await mq.reboot_broker(BrokerId=broker_id)
    await clock.advance(5)
    updated = await mq.update_broker(BrokerId=broker_id, HostInstanceType="mq.m5.xlarge")
    assert updated["HostInstanceType"] == "mq.m5.xlarge"
    described = await mq.describe_broker(BrokerId=broker_id)
    assert described["HostInstanceType"] == "mq.m5.large"
    assert described["PendingHostInstanceType"] == "mq.m5.xlarge"
    await mq.reboot_broker(BrokerId=broker_id)
    assert (await mq.describe_broker(BrokerId=broker_id))["BrokerState"] == "REBOOT_IN_PROGRESS"
    await clock.advance(5)
    described = await mq.describe_broker(BrokerId=broker_id)
    assert described["BrokerState"] == "RUNNING"
    assert described["HostInstanceType"] == "mq.m5.xlarge"
    assert "PendingHostInstanceType" not in described


async def test_delete_closes_the_listener_and_frees_the_broker(eng, clock):
    mq = eng.client("mq")
    broker_id = (await mq.create_broker(**create_params()))["BrokerId"]
    await clock.advance(5)
    plane = eng.service("mq").rabbit(broker_id)
    port = plane.listener.port
    await mq.delete_broker(BrokerId=broker_id)
    assert (await mq.describe_broker(BrokerId=broker_id))["BrokerState"] == "DELETION_IN_PROGRESS"
    assert plane.listener.closed
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    await clock.advance(5)
    with pytest.raises(ServiceError):
        await mq.describe_broker(BrokerId=broker_id)
    assert eng.listeners.all() == []


async def test_user_apis_refuse_rabbitmq_brokers(eng):
    mq = eng.client("mq")
    broker_id = (await mq.create_broker(**create_params()))["BrokerId"]
    with pytest.raises(ServiceError) as caught:
        await mq.create_user(BrokerId=broker_id, Username="other", Password="lab-password-2")
    assert caught.value.code == "BadRequestException"
    assert "management API" in caught.value.message
    described = await mq.describe_broker(BrokerId=broker_id)
    assert described["Users"] == [{"Username": "admin"}]


async def test_configurations_and_revisions(eng, clock):
    mq = eng.client("mq")
    made = await mq.create_configuration(Name="tuned", EngineType="RABBITMQ")
    assert made["LatestRevision"]["Revision"] == 1
    first = await mq.describe_configuration_revision(
        ConfigurationId=made["Id"], ConfigurationRevision="1"
    )
    assert "consumer_timeout" in base64.b64decode(first["Data"]).decode()
    data = base64.b64encode(b"consumer_timeout = 60000\nheartbeat = 30\n").decode()
    updated = await mq.update_configuration(
        ConfigurationId=made["Id"], Data=data, Description="shorter"
    )
    assert updated["LatestRevision"]["Revision"] == 2
    revisions = await mq.list_configuration_revisions(ConfigurationId=made["Id"])
    assert [r["Revision"] for r in revisions["Revisions"]] == [1, 2]
    with pytest.raises(ServiceError) as caught:
        await mq.update_configuration(
            ConfigurationId=made["Id"], Data=base64.b64encode(b"not a setting").decode()
        )
    assert caught.value.code == "BadRequestException"
    broker_id = (
        await mq.create_broker(**create_params(Configuration={"Id": made["Id"], "Revision": 2}))
    )["BrokerId"]
    described = await mq.describe_broker(BrokerId=broker_id)
    assert described["Configurations"]["Current"] == {"Id": made["Id"], "Revision": 2}
    with pytest.raises(ServiceError) as caught:
        await mq.delete_configuration(ConfigurationId=made["Id"])
    assert caught.value.code == "ConflictException"


async def test_tags(eng):
    mq = eng.client("mq")
    arn = (await mq.create_broker(**create_params(Tags={"team": "orders"})))["BrokerArn"]
    await mq.create_tags(ResourceArn=arn, Tags={"env": "lab"})
    await mq.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert (await mq.list_tags(ResourceArn=arn))["Tags"] == {"env": "lab"}
    with pytest.raises(ServiceError) as caught:
        await mq.list_tags(ResourceArn=arn + "x")
    assert caught.value.code == "NotFoundException"


async def test_heartbeats_on_the_engine_clock(eng, clock):
    from pamqp import commands as spec
    from pamqp import frame as amqp_frame

    from .test_mq_amqp_fuzz import read_frame

    mq = eng.client("mq")
    broker_id = (await mq.create_broker(**create_params()))["BrokerId"]
    await clock.advance(5)
    port = eng.service("mq").rabbit(broker_id).listener.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"AMQP\x00\x00\x09\x01")
    assert (await read_frame(reader)).name == "Connection.Start"
    writer.write(
        amqp_frame.marshal(
            spec.Connection.StartOk(
                client_properties={}, mechanism="PLAIN", response="\0admin\0lab-password-1"
            ),
            0,
        )
    )
    await read_frame(reader)  # tune
    writer.write(amqp_frame.marshal(spec.Connection.TuneOk(2047, 131072, 10), 0))
    writer.write(amqp_frame.marshal(spec.Connection.Open("/"), 0))
    assert (await read_frame(reader)).name == "Connection.OpenOk"
    await clock.advance(6)
    assert (await read_frame(reader)).name == "Heartbeat"
    await clock.advance(30)  # the client stayed silent for two intervals: the broker hangs up
    with pytest.raises(asyncio.IncompleteReadError):
        while True:
            await read_frame(reader)
    writer.close()
