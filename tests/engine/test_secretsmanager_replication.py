"""Secrets Manager replication in a one-Region lab: replicas recorded with AWS's status."""

from __future__ import annotations

import pytest

from engine import Engine, ServiceError, VirtualClock

pytestmark = pytest.mark.timeout(60)


async def test_replicate_status_moves_to_in_sync_and_describe_shows_it(
    eng: Engine, clock: VirtualClock
) -> None:
    sm = eng.client("secretsmanager")
    arn = (await sm.create_secret(Name="db", SecretString="x"))["ARN"]
    result = await sm.replicate_secret_to_regions(
        SecretId="db", AddReplicaRegions=[{"Region": "eu-west-1"}]
    )
    assert result["ARN"] == arn
    assert result["ReplicationStatus"] == [
        {
            "Region": "eu-west-1",
            "KmsKeyId": "alias/aws/secretsmanager",
            "Status": "InProgress",
            "StatusMessage": "Replication in progress",
        }
    ]
    await clock.advance(5)
    described = await sm.describe_secret(SecretId="db")
    assert described["PrimaryRegion"] == "us-east-1"
    assert described["ReplicationStatus"][0]["Status"] == "InSync"
    assert described["ReplicationStatus"][0]["StatusMessage"] == "Replication succeeded"


async def test_create_with_replicas_and_the_checks(eng: Engine) -> None:
    sm = eng.client("secretsmanager")
    created = await sm.create_secret(
        Name="s",
        SecretString="v",
        AddReplicaRegions=[{"Region": "us-west-2", "KmsKeyId": "alias/mine"}],
    )
    assert created["ReplicationStatus"][0]["KmsKeyId"] == "alias/mine"
    with pytest.raises(ServiceError) as error:
        await sm.replicate_secret_to_regions(
            SecretId="s", AddReplicaRegions=[{"Region": "us-east-1"}]
        )
    assert error.value.code == "InvalidParameterException"
    with pytest.raises(ServiceError) as error:
        await sm.replicate_secret_to_regions(
            SecretId="s", AddReplicaRegions=[{"Region": "eu-north-1"}, {"Region": "nowhere"}]
        )
    assert error.value.code == "InvalidParameterException"
    described = await sm.describe_secret(SecretId="s")
    assert [r["Region"] for r in described["ReplicationStatus"]] == ["us-west-2"]  # none added
    # A primary with replicas cannot be deleted until they are removed.
    with pytest.raises(ServiceError) as error:
        await sm.delete_secret(SecretId="s", ForceDeleteWithoutRecovery=True)
    assert error.value.code == "InvalidRequestException"
    removed = await sm.remove_regions_from_replication(
        SecretId="s", RemoveReplicaRegions=["us-west-2"]
    )
    assert removed["ReplicationStatus"] == []
    assert "ReplicationStatus" not in await sm.describe_secret(SecretId="s")
    with pytest.raises(ServiceError) as error:
        await sm.remove_regions_from_replication(SecretId="s", RemoveReplicaRegions=["us-west-2"])
    assert error.value.code == "InvalidParameterException"
    await sm.delete_secret(SecretId="s", ForceDeleteWithoutRecovery=True)


async def test_stop_replication_promotes_the_replica(eng: Engine) -> None:
    sm = eng.client("secretsmanager")
    arn = (await sm.create_secret(Name="p", SecretString="v"))["ARN"]
    await sm.replicate_secret_to_regions(SecretId=arn, AddReplicaRegions=[{"Region": "eu-west-1"}])
    replica = arn.replace(":us-east-1:", ":eu-west-1:")
    with pytest.raises(ServiceError) as error:
        await sm.stop_replication_to_replica(SecretId=arn)
    assert error.value.code == "InvalidRequestException"
    assert (await sm.stop_replication_to_replica(SecretId=replica))["ARN"] == replica
    assert "ReplicationStatus" not in await sm.describe_secret(SecretId=arn)
    with pytest.raises(ServiceError) as error:
        await sm.stop_replication_to_replica(SecretId=replica)
    assert error.value.code == "ResourceNotFoundException"


async def test_replicas_survive_save_and_open(eng: Engine) -> None:
    sm = eng.client("secretsmanager")
    await sm.create_secret(Name="kept", SecretString="v")
    await sm.replicate_secret_to_regions(
        SecretId="kept", AddReplicaRegions=[{"Region": "ap-south-1"}]
    )
    service = eng.service("secretsmanager")
    data = service.dump()
    async with Engine(clock=VirtualClock()) as other:
        other.service("secretsmanager").load(data)
        described = await other.client("secretsmanager").describe_secret(SecretId="kept")
    assert described["ReplicationStatus"][0]["Region"] == "ap-south-1"
