"""DynamoDB Streams: records per view type, iterators, retention and the internal API."""

from __future__ import annotations

import pytest

from engine import ServiceError

from .test_dynamodb_items import make_table


async def streamed_table(eng, view_type="NEW_AND_OLD_IMAGES"):
    created = await make_table(
        eng,
        range_key=False,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type},
    )
    return created["TableDescription"]["LatestStreamArn"]


async def all_records(eng, arn, iterator_type="TRIM_HORIZON"):
    streams = eng.client("dynamodbstreams")
    shards = (await streams.describe_stream(StreamArn=arn))["StreamDescription"]["Shards"]
    iterator = (
        await streams.get_shard_iterator(
            StreamArn=arn, ShardId=shards[0]["ShardId"], ShardIteratorType=iterator_type
        )
    )["ShardIterator"]
    return await streams.get_records(ShardIterator=iterator)


async def write_three(eng):
    ddb = eng.client("dynamodb")
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    await ddb.update_item(
        TableName="orders",
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET v = :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    await ddb.delete_item(TableName="orders", Key={"pk": {"S": "a"}})


async def test_table_reports_latest_stream_arn(eng):
    arn = await streamed_table(eng)
    table = (await eng.client("dynamodb").describe_table(TableName="orders"))["Table"]
    assert table["LatestStreamArn"] == arn
    assert arn.startswith("arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/")
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }


async def test_insert_modify_remove_with_both_images(eng):
    arn = await streamed_table(eng)
    await write_three(eng)
    records = (await all_records(eng, arn))["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    modify = records[1]["dynamodb"]
    assert modify["OldImage"]["v"] == {"N": "1"}
    assert modify["NewImage"]["v"] == {"N": "2"}
    assert modify["Keys"] == {"pk": {"S": "a"}}
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers)


@pytest.mark.parametrize(
    ("view_type", "has_new", "has_old"),
    [("KEYS_ONLY", False, False), ("NEW_IMAGE", True, False), ("OLD_IMAGE", False, True)],
)
async def test_view_types_choose_images(eng, view_type, has_new, has_old):
    arn = await streamed_table(eng, view_type)
    await write_three(eng)
    modify = (await all_records(eng, arn))["Records"][1]["dynamodb"]
    assert ("NewImage" in modify) is has_new
    assert ("OldImage" in modify) is has_old
    assert modify["StreamViewType"] == view_type


async def test_latest_iterator_sees_only_new_records(eng):
    arn = await streamed_table(eng)
    ddb = eng.client("dynamodb")
    streams = eng.client("dynamodbstreams")
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "old"}})
    shard = (await streams.describe_stream(StreamArn=arn))["StreamDescription"]["Shards"][0]
    iterator = (
        await streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
        )
    )["ShardIterator"]
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "new"}})
    records = (await streams.get_records(ShardIterator=iterator))["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["new"]


async def test_records_expire_after_24_hours(eng, clock):
    arn = await streamed_table(eng)
    await eng.client("dynamodb").put_item(TableName="orders", Item={"pk": {"S": "a"}})
    await clock.advance(24 * 3600 + 1)
    assert (await all_records(eng, arn))["Records"] == []


async def test_iterator_expires_after_15_minutes(eng, clock):
    arn = await streamed_table(eng)
    streams = eng.client("dynamodbstreams")
    shard = (await streams.describe_stream(StreamArn=arn))["StreamDescription"]["Shards"][0]
    iterator = (
        await streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    await clock.advance(16 * 60)
    with pytest.raises(ServiceError) as caught:
        await streams.get_records(ShardIterator=iterator)
    assert caught.value.code == "ExpiredIteratorException"


async def test_disabling_stream_closes_shard(eng):
    arn = await streamed_table(eng)
    ddb = eng.client("dynamodb")
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}})
    await ddb.update_table(TableName="orders", StreamSpecification={"StreamEnabled": False})
    described = (await eng.client("dynamodbstreams").describe_stream(StreamArn=arn))[
        "StreamDescription"
    ]
    assert described["StreamStatus"] == "DISABLED"
    assert "EndingSequenceNumber" in described["Shards"][0]["SequenceNumberRange"]
    result = await all_records(eng, arn)
    assert len(result["Records"]) == 1
    assert "NextShardIterator" not in result


async def test_list_streams_by_table(eng):
    arn = await streamed_table(eng)
    listed = await eng.client("dynamodbstreams").list_streams(TableName="orders")
    assert [s["StreamArn"] for s in listed["Streams"]] == [arn]


async def test_internal_api_on_record_and_lambda_event(eng):
    arn = await streamed_table(eng)
    dynamodb = eng.service("dynamodb")
    seen = []
    cancel = dynamodb.on_record(arn, seen.append)
    await eng.client("dynamodb").put_item(TableName="orders", Item={"pk": {"S": "a"}})
    cancel()
    await eng.client("dynamodb").put_item(TableName="orders", Item={"pk": {"S": "b"}})
    assert len(seen) == 1
    event = seen[0].as_lambda_event(eng.region, arn)
    assert event["eventName"] == "INSERT"
    assert event["eventSource"] == "aws:dynamodb"
    assert event["eventSourceARN"] == arn
    assert event["dynamodb"]["NewImage"] == {"pk": {"S": "a"}}
    log = dynamodb.stream_for_arn(arn)
    records = dynamodb.read(arn, log.shards[0].shard_id, -1, 10)
    assert [r.event_name for r in records] == ["INSERT", "INSERT"]


async def test_shards_roll_over_with_parent(eng, clock):
    arn = await streamed_table(eng)
    ddb = eng.client("dynamodb")
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}})
    await clock.advance(4 * 3600)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "b"}})
    shards = (await eng.client("dynamodbstreams").describe_stream(StreamArn=arn))[
        "StreamDescription"
    ]["Shards"]
    assert len(shards) == 2
    assert shards[1]["ParentShardId"] == shards[0]["ShardId"]


async def test_ttl_deletes_expired_items_as_the_service(eng, clock):
    arn = await streamed_table(eng)
    ddb = eng.client("dynamodb")
    await ddb.update_time_to_live(
        TableName="orders",
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
    )
    soon = str(int(clock.now()) + 60)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "expires": {"N": soon}})
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "b"}})
    await clock.advance(59)
    assert "Item" in await ddb.get_item(TableName="orders", Key={"pk": {"S": "a"}})
    await clock.advance(2)
    assert "Item" not in await ddb.get_item(TableName="orders", Key={"pk": {"S": "a"}})
    assert "Item" in await ddb.get_item(TableName="orders", Key={"pk": {"S": "b"}})
    removal = (await all_records(eng, arn))["Records"][-1]
    assert removal["eventName"] == "REMOVE"
    assert removal["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


async def test_ttl_rewritten_item_is_kept(eng, clock):
    await streamed_table(eng)
    ddb = eng.client("dynamodb")
    await ddb.update_time_to_live(
        TableName="orders",
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
    )
    soon = str(int(clock.now()) + 60)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "expires": {"N": soon}})
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}})
    await clock.advance(120)
    assert "Item" in await ddb.get_item(TableName="orders", Key={"pk": {"S": "a"}})


async def test_describe_and_repeat_ttl_errors(eng):
    await streamed_table(eng)
    ddb = eng.client("dynamodb")
    described = await ddb.describe_time_to_live(TableName="orders")
    assert described["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    spec = {"Enabled": True, "AttributeName": "expires"}
    await ddb.update_time_to_live(TableName="orders", TimeToLiveSpecification=spec)
    with pytest.raises(ServiceError) as caught:
        await ddb.update_time_to_live(TableName="orders", TimeToLiveSpecification=spec)
    assert caught.value.message == "TimeToLive is already enabled"
    described = await ddb.describe_time_to_live(TableName="orders")
    assert described["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires",
    }


async def test_written_and_stream_events_share_a_trace_id(eng):
    arn = await streamed_table(eng)
    recorder = eng.trace.record()
    await eng.client("dynamodb").put_item(TableName="orders", Item={"pk": {"S": "a"}})
    events = [e for e in recorder.events if e.service == "dynamodb"]
    assert [e.kind for e in events] == ["written", "put"]
    assert events[1].resource == arn
    assert events[0].trace_id is not None
    assert events[0].trace_id == events[1].trace_id


async def test_write_that_changes_nothing_adds_no_record(eng):
    arn = await streamed_table(eng)
    ddb = eng.client("dynamodb")
    item = {"pk": {"S": "a"}, "tags": {"SS": ["x", "y"]}}
    await ddb.put_item(TableName="orders", Item=item)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "tags": {"SS": ["y", "x"]}})
    records = (await all_records(eng, arn))["Records"]
    assert [r["eventName"] for r in records] == ["INSERT"]


async def test_dump_and_load_keep_stream_records(eng):
    from engine import Engine, VirtualClock

    arn = await streamed_table(eng)
    await write_three(eng)
    saved = eng.service("dynamodb").dump()
    async with Engine(clock=VirtualClock()) as other:
        other.service("dynamodb").load(saved)
        records = (await all_records(other, arn))["Records"]
        table = (await other.client("dynamodb").describe_table(TableName="orders"))["Table"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert table["LatestStreamArn"] == arn
