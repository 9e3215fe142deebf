"""Kinesis control plane: create, describe, list, delete, tags, retention, encryption, limits."""

from __future__ import annotations

import pytest

from engine import Engine, ServiceError

ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"


async def test_provisioned_stream_splits_hash_space_evenly(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=3)
    shards = (await kinesis.describe_stream(StreamName="orders"))["StreamDescription"]["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-00000000000{i}" for i in range(3)]
    assert shards[0]["HashKeyRange"]["StartingHashKey"] == "0"
    assert shards[-1]["HashKeyRange"]["EndingHashKey"] == str(2**128 - 1)
    for low, high in zip(shards, shards[1:], strict=False):
        assert int(low["HashKeyRange"]["EndingHashKey"]) + 1 == int(
            high["HashKeyRange"]["StartingHashKey"]
        )


async def test_on_demand_stream_has_four_shards(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = (await kinesis.describe_stream_summary(StreamName="orders"))[
        "StreamDescriptionSummary"
    ]
    assert summary["OpenShardCount"] == 4
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["RetentionPeriodHours"] == 24
    assert summary["EncryptionType"] == "NONE"


async def test_stream_arn_parameter_finds_the_stream(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    described = await kinesis.describe_stream_summary(StreamARN=ARN)
    assert described["StreamDescriptionSummary"]["StreamName"] == "orders"


async def test_creating_an_existing_stream_is_resource_in_use(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    with pytest.raises(ServiceError) as caught:
        await kinesis.create_stream(StreamName="orders", ShardCount=1)
    assert caught.value.code == "ResourceInUseException"
    assert caught.value.message == "Stream orders under account 123456789012 already exists."


async def test_shard_limit_is_enforced(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    with pytest.raises(ServiceError) as caught:
        await kinesis.create_stream(StreamName="huge", ShardCount=501)
    assert caught.value.code == "LimitExceededException"
    assert (await kinesis.list_streams())["StreamNames"] == []


async def test_list_streams_paginates(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    for name in ("c", "a", "b"):
        await kinesis.create_stream(StreamName=name, ShardCount=1)
    first = await kinesis.list_streams(Limit=2)
    assert first["StreamNames"] == ["a", "b"]
    assert first["HasMoreStreams"] is True
    second = await kinesis.list_streams(NextToken=first["NextToken"])
    assert second["StreamNames"] == ["c"]
    assert second["StreamSummaries"][0]["StreamARN"].endswith(":stream/c")


async def test_list_shards_paginates_with_next_token(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=5)
    first = await kinesis.list_shards(StreamName="orders", MaxResults=2)
    second = await kinesis.list_shards(NextToken=first["NextToken"], MaxResults=10)
    ids = [s["ShardId"] for s in first["Shards"] + second["Shards"]]
    assert ids == [f"shardId-00000000000{i}" for i in range(5)]
    assert "NextToken" not in second


async def test_list_shards_rejects_next_token_with_stream_name(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=3)
    first = await kinesis.list_shards(StreamName="orders", MaxResults=1)
    with pytest.raises(ServiceError) as caught:
        await kinesis.list_shards(StreamName="orders", NextToken=first["NextToken"])
    assert caught.value.code == "InvalidArgumentException"


async def test_delete_stream_removes_it(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    await kinesis.delete_stream(StreamName="orders")
    with pytest.raises(ServiceError) as caught:
        await kinesis.describe_stream(StreamName="orders")
    assert caught.value.code == "ResourceNotFoundException"


async def test_delete_refuses_while_consumers_are_registered(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    await kinesis.register_stream_consumer(StreamARN=ARN, ConsumerName="c")
    with pytest.raises(ServiceError) as caught:
        await kinesis.delete_stream(StreamName="orders")
    assert caught.value.code == "ResourceInUseException"
    await kinesis.delete_stream(StreamName="orders", EnforceConsumerDeletion=True)
    assert (await kinesis.list_streams())["StreamNames"] == []


async def test_tags_add_list_and_remove(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1, Tags={"team": "a"})
    await kinesis.add_tags_to_stream(StreamName="orders", Tags={"env": "lab"})
    await kinesis.remove_tags_from_stream(StreamName="orders", TagKeys=["team"])
    listed = await kinesis.list_tags_for_stream(StreamName="orders")
    assert listed["Tags"] == [{"Key": "env", "Value": "lab"}]
    assert (await kinesis.list_tags_for_resource(ResourceARN=ARN))["Tags"] == listed["Tags"]


async def test_retention_bounds_and_direction(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    with pytest.raises(ServiceError) as too_short:
        await kinesis.decrease_stream_retention_period(StreamName="orders", RetentionPeriodHours=1)
    assert too_short.value.code == "InvalidArgumentException"
    assert "Minimum allowed retention period is 24 hours" in too_short.value.message
    await kinesis.increase_stream_retention_period(StreamName="orders", RetentionPeriodHours=72)
    with pytest.raises(ServiceError) as wrong_way:
        await kinesis.increase_stream_retention_period(StreamName="orders", RetentionPeriodHours=48)
    assert "Use DecreaseRetentionPeriod API" in wrong_way.value.message
    summary = await kinesis.describe_stream_summary(StreamName="orders")
    assert summary["StreamDescriptionSummary"]["RetentionPeriodHours"] == 72


async def test_encryption_marks_new_records(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    await kinesis.start_stream_encryption(
        StreamName="orders", EncryptionType="KMS", KeyId="alias/aws/kinesis"
    )
    put = await kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k")
    assert put["EncryptionType"] == "KMS"
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    record = (await kinesis.get_records(ShardIterator=iterator))["Records"][0]
    assert record["EncryptionType"] == "KMS"
    await kinesis.stop_stream_encryption(
        StreamName="orders", EncryptionType="KMS", KeyId="alias/aws/kinesis"
    )
    summary = await kinesis.describe_stream_summary(StreamName="orders")
    assert summary["StreamDescriptionSummary"]["EncryptionType"] == "NONE"


async def test_enhanced_monitoring_reports_before_and_after(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    result = await kinesis.enable_enhanced_monitoring(
        StreamName="orders", ShardLevelMetrics=["IncomingBytes"]
    )
    assert result["CurrentShardLevelMetrics"] == []
    assert result["DesiredShardLevelMetrics"] == ["IncomingBytes"]


async def test_stream_name_pattern_is_checked(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    with pytest.raises(ServiceError) as caught:
        await kinesis.create_stream(StreamName="bad name", ShardCount=1)
    assert caught.value.code == "ValidationException"


async def test_topology_has_stream_with_shard_children(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=2)
    await kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k")
    topology = eng.topology()
    stream = topology.node(ARN)
    assert stream is not None and stream.kind == "stream"
    assert stream.counters["records"] == 1
    shards = [n for n in topology.nodes if n.kind == "shard"]
    assert len(shards) == 2 and all(n.parent == ARN for n in shards)


async def test_resource_policy_put_get_delete(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    policy = '{"Version": "2012-10-17", "Statement": []}'
    await kinesis.put_resource_policy(ResourceARN=ARN, Policy=policy)
    assert (await kinesis.get_resource_policy(ResourceARN=ARN))["Policy"] == policy
    await kinesis.delete_resource_policy(ResourceARN=ARN)
    with pytest.raises(ServiceError) as caught:
        await kinesis.delete_resource_policy(ResourceARN=ARN)
    assert caught.value.code == "ResourceNotFoundException"


async def test_update_stream_mode_and_limits(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=2)
    await kinesis.update_stream_mode(StreamARN=ARN, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    limits = await kinesis.describe_limits()
    assert (limits["ShardLimit"], limits["OpenShardCount"], limits["OnDemandStreamCount"]) == (
        500,
        2,
        1,
    )


async def test_operations_not_emulated_say_so(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("kinesis").describe_account_settings()
    assert caught.value.code == "UnsupportedOperation"
