"""Kinesis Data Streams for DynamoDB: item changes copied into a Kinesis stream as AWS shapes them."""

from __future__ import annotations

import json

import pytest

from engine.errors import ServiceError

pytestmark = pytest.mark.timeout(30)


async def _lab(eng) -> tuple:
    ddb, kinesis = eng.client("dynamodb"), eng.client("kinesis")
    await kinesis.create_stream(StreamName="changes", ShardCount=1)
    arn = (await kinesis.describe_stream(StreamName="changes"))["StreamDescription"]["StreamARN"]
    await ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb, kinesis, arn


async def _records(kinesis) -> list[dict]:
    shard = (await kinesis.describe_stream(StreamName="changes"))["StreamDescription"]["Shards"][0]
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="changes", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    return [
        json.loads(r["Data"])
        for r in (await kinesis.get_records(ShardIterator=iterator))["Records"]
    ]


async def test_every_change_lands_on_the_stream_in_aws_json_form(eng) -> None:
    ddb, kinesis, arn = await _lab(eng)
    enabled = await ddb.enable_kinesis_streaming_destination(TableName="orders", StreamArn=arn)
    assert enabled["DestinationStatus"] == "ENABLING"
    described = await ddb.describe_kinesis_streaming_destination(TableName="orders")
    assert described["KinesisDataStreamDestinations"] == [
        {"StreamArn": arn, "DestinationStatus": "ACTIVE"}
    ]
    await ddb.put_item(TableName="orders", Item={"id": {"S": "o1"}, "blob": {"B": b"\x90"}})
    await ddb.update_item(
        TableName="orders",
        Key={"id": {"S": "o1"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "2"}},
    )
    await ddb.delete_item(TableName="orders", Key={"id": {"S": "o1"}})
    records = await _records(kinesis)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    first = records[0]
    assert first["recordFormat"] == "application/json"
    assert first["tableName"] == "orders" and first["eventSource"] == "aws:dynamodb"
    assert first["dynamodb"]["NewImage"] == {"id": {"S": "o1"}, "blob": {"B": "kA=="}}
    assert first["dynamodb"]["ApproximateCreationDateTimePrecision"] == "MILLISECOND"
    assert "OldImage" in records[1]["dynamodb"] and "NewImage" not in records[2]["dynamodb"]


async def test_update_changes_precision_and_refuses_no_op_and_unknown_streams(eng) -> None:
    ddb, kinesis, arn = await _lab(eng)
    await ddb.enable_kinesis_streaming_destination(TableName="orders", StreamArn=arn)
    with pytest.raises(ServiceError, match="cannot be null or contain only null values"):
        await ddb.update_kinesis_streaming_destination(TableName="orders", StreamArn=arn)
    other = arn.replace("changes", "nope")
    with pytest.raises(ServiceError, match="No streaming destination with streamArn"):
        await ddb.update_kinesis_streaming_destination(
            TableName="orders",
            StreamArn=other,
            UpdateKinesisStreamingConfiguration={
                "ApproximateCreationDateTimePrecision": "MICROSECOND"
            },
        )
    updated = await ddb.update_kinesis_streaming_destination(
        TableName="orders",
        StreamArn=arn,
        UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
    )
    assert updated["DestinationStatus"] == "UPDATING"
    with pytest.raises(ServiceError, match="Precision is already set"):
        await ddb.update_kinesis_streaming_destination(
            TableName="orders",
            StreamArn=arn,
            UpdateKinesisStreamingConfiguration={
                "ApproximateCreationDateTimePrecision": "MICROSECOND"
            },
        )
    await eng.clock.advance(1.5)
    await ddb.put_item(TableName="orders", Item={"id": {"S": "o2"}})
    (record,) = await _records(kinesis)
    stamp = record["dynamodb"]["ApproximateCreationDateTime"]
    assert abs(stamp / 1_000_000 - eng.clock.now()) < 0.001  # microseconds now


async def test_a_disabled_destination_gets_nothing_and_a_missing_table_is_not_found(eng) -> None:
    ddb, kinesis, arn = await _lab(eng)
    with pytest.raises(ServiceError) as missing:
        await ddb.enable_kinesis_streaming_destination(TableName="bad-table", StreamArn=arn)
    assert missing.value.code == "ResourceNotFoundException"
    assert missing.value.message == "Requested resource not found: Table: bad-table not found"
    await ddb.enable_kinesis_streaming_destination(TableName="orders", StreamArn=arn)
    disabled = await ddb.disable_kinesis_streaming_destination(TableName="orders", StreamArn=arn)
    assert disabled["DestinationStatus"] == "DISABLING"
    await ddb.put_item(TableName="orders", Item={"id": {"S": "o3"}})
    assert await _records(kinesis) == []
    described = await ddb.describe_kinesis_streaming_destination(TableName="orders")
    assert described["KinesisDataStreamDestinations"][0]["DestinationStatus"] == "DISABLED"
