"""boto3's DynamoDB clients against the lab over HTTP: items, modeled errors, streams, waiters."""

from __future__ import annotations

import zlib

import pytest

from engine.http import HttpRequest
from engine.wire import WireEndpoint

KEY_SCHEMA = {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
}


async def test_binary_values_round_trip(lab) -> None:
    ddb = lab.client("dynamodb")
    await lab.call(ddb.create_table, TableName="t", **KEY_SCHEMA)
    item = {"pk": {"S": "a"}, "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"\x01", b"\x02"]}}
    await lab.call(ddb.put_item, TableName="t", Item=item)
    got = await lab.call(ddb.get_item, TableName="t", Key={"pk": {"S": "a"}})
    assert got["Item"]["b"] == {"B": b"\x00\xff"}
    assert sorted(got["Item"]["bs"]["BS"]) == [b"\x01", b"\x02"]


async def test_conditional_check_failure_returns_the_binary_item(lab) -> None:
    ddb = lab.client("dynamodb")
    await lab.call(ddb.create_table, TableName="t", **KEY_SCHEMA)
    await lab.call(ddb.put_item, TableName="t", Item={"pk": {"S": "a"}, "b": {"B": b"\x00\x01"}})
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as error:
        await lab.call(
            ddb.put_item,
            TableName="t",
            Item={"pk": {"S": "a"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert error.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert error.value.response["Item"] == {"pk": {"S": "a"}, "b": {"B": b"\x00\x01"}}


async def test_transaction_cancellation_reasons_are_parsed(lab) -> None:
    ddb = lab.client("dynamodb")
    await lab.call(ddb.create_table, TableName="t", **KEY_SCHEMA)
    await lab.call(ddb.put_item, TableName="t", Item={"pk": {"S": "a"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as error:
        await lab.call(
            ddb.transact_write_items,
            TransactItems=[
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"pk": {"S": "a"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ],
        )
    reasons = error.value.response["CancellationReasons"]
    assert reasons[0]["Code"] == "ConditionalCheckFailed"


async def test_table_exists_waiter_and_query_paginator(lab) -> None:
    ddb = lab.client("dynamodb")
    await lab.call(ddb.create_table, TableName="t", **KEY_SCHEMA)
    waiter = ddb.get_waiter("table_exists")
    await lab.call(waiter.wait, TableName="t", WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    for index in range(5):
        await lab.call(ddb.put_item, TableName="t", Item={"pk": {"S": f"k{index}"}})
    paginator = ddb.get_paginator("scan")

    def collect() -> list[str]:
        pages = paginator.paginate(TableName="t", PaginationConfig={"PageSize": 2})
        return sorted(i["pk"]["S"] for page in pages for i in page["Items"])

    assert await lab.call(collect) == [f"k{i}" for i in range(5)]


async def test_stream_records_read_through_dynamodbstreams(lab) -> None:
    ddb = lab.client("dynamodb")
    created = await lab.call(
        ddb.create_table,
        TableName="t",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        **KEY_SCHEMA,
    )
    stream_arn = created["TableDescription"]["LatestStreamArn"]
    await lab.call(ddb.put_item, TableName="t", Item={"pk": {"S": "a"}, "b": {"B": b"\x07"}})
    streams = lab.client("dynamodbstreams")
    shards = (await lab.call(streams.describe_stream, StreamArn=stream_arn))["StreamDescription"][
        "Shards"
    ]
    iterator = (
        await lab.call(
            streams.get_shard_iterator,
            StreamArn=stream_arn,
            ShardId=shards[0]["ShardId"],
            ShardIteratorType="TRIM_HORIZON",
        )
    )["ShardIterator"]
    records = (await lab.call(streams.get_records, ShardIterator=iterator))["Records"]
    assert records[0]["eventName"] == "INSERT"
    assert records[0]["dynamodb"]["NewImage"]["b"] == {"B": b"\x07"}


async def test_answers_carry_the_crc32_of_their_body(eng) -> None:
    endpoint = WireEndpoint(eng)
    request = HttpRequest(
        "POST",
        "/",
        [],
        {"x-amz-target": "DynamoDB_20120810.ListTables", "host": "localhost"},
        b"{}",
    )
    response = await endpoint.handle(request)
    assert response.headers["x-amz-crc32"] == str(zlib.crc32(response.body))
