"""DynamoDB secondary indexes: LSIs, GSIs added by UpdateTable, and their validation."""

from __future__ import annotations

import pytest

from engine import ServiceError

from .test_dynamodb_items import make_table


async def test_lsi_orders_by_its_own_sort_key(eng):
    ddb = eng.client("dynamodb")
    await make_table(
        eng,
        definitions=[{"AttributeName": "placed", "AttributeType": "S"}],
        LocalSecondaryIndexes=[
            {
                "IndexName": "byPlaced",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "placed", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    for sk, placed in ((1, "2024-03"), (2, "2024-01"), (3, "2024-02")):
        await ddb.put_item(
            TableName="orders",
            Item={"pk": {"S": "c"}, "sk": {"N": str(sk)}, "placed": {"S": placed}, "x": {"S": "y"}},
        )
    result = await ddb.query(
        TableName="orders",
        IndexName="byPlaced",
        KeyConditionExpression="pk = :c AND begins_with(placed, :year)",
        ExpressionAttributeValues={":c": {"S": "c"}, ":year": {"S": "2024"}},
        Select="ALL_ATTRIBUTES",
    )
    assert [i["sk"]["N"] for i in result["Items"]] == ["2", "3", "1"]
    assert all(i["x"] == {"S": "y"} for i in result["Items"])  # fetched from the table


async def test_lsi_needs_a_range_key_table(eng):
    with pytest.raises(ServiceError) as caught:
        await make_table(
            eng,
            range_key=False,
            definitions=[{"AttributeName": "placed", "AttributeType": "S"}],
            LocalSecondaryIndexes=[
                {
                    "IndexName": "byPlaced",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "placed", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
    assert "Table KeySchema does not have a range key" in caught.value.message


async def test_gsi_created_later_is_backfilled(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "email": {"S": "a@x"}})
    updated = await ddb.update_table(
        TableName="orders",
        AttributeDefinitions=[{"AttributeName": "email", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "byEmail",
                    "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    assert updated["TableDescription"]["TableStatus"] == "UPDATING"
    found = await ddb.query(
        TableName="orders",
        IndexName="byEmail",
        KeyConditionExpression="email = :e",
        ExpressionAttributeValues={":e": {"S": "a@x"}},
    )
    assert found["Items"] == [{"pk": {"S": "a"}, "email": {"S": "a@x"}}]
    described = (await ddb.describe_table(TableName="orders"))["Table"]
    assert described["GlobalSecondaryIndexes"][0]["ItemCount"] == 1


async def test_gsi_key_type_is_checked_on_write(eng):
    ddb = eng.client("dynamodb")
    await make_table(
        eng,
        range_key=False,
        definitions=[{"AttributeName": "email", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byEmail",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    with pytest.raises(ServiceError) as caught:
        await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "email": {"N": "1"}})
    assert caught.value.message == (
        "One or more parameter values were invalid: Type mismatch for Index Key email "
        "Expected: S Actual: N IndexName: byEmail"
    )


async def test_consistent_read_on_gsi_is_rejected(eng):
    ddb = eng.client("dynamodb")
    await make_table(
        eng,
        range_key=False,
        definitions=[{"AttributeName": "email", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byEmail",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    with pytest.raises(ServiceError) as caught:
        await ddb.query(
            TableName="orders",
            IndexName="byEmail",
            KeyConditionExpression="email = :e",
            ExpressionAttributeValues={":e": {"S": "a@x"}},
            ConsistentRead=True,
        )
    assert caught.value.message == "Consistent reads are not supported on global secondary indexes"


async def test_unknown_index(eng):
    await make_table(eng)
    with pytest.raises(ServiceError) as caught:
        await eng.client("dynamodb").query(
            TableName="orders",
            IndexName="nope",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "a"}},
        )
    assert caught.value.message == "The table does not have the specified index: nope"


async def test_lsi_filter_reads_unprojected_attributes_from_table(eng):
    ddb = eng.client("dynamodb")
    await make_table(
        eng,
        definitions=[{"AttributeName": "placed", "AttributeType": "S"}],
        LocalSecondaryIndexes=[
            {
                "IndexName": "byPlaced",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "placed", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    for sk, colour in ((1, "red"), (2, "blue")):
        await ddb.put_item(
            TableName="orders",
            Item={
                "pk": {"S": "c"},
                "sk": {"N": str(sk)},
                "placed": {"S": f"2024-0{sk}"},
                "colour": {"S": colour},
            },
        )
    result = await ddb.query(
        TableName="orders",
        IndexName="byPlaced",
        KeyConditionExpression="pk = :c",
        FilterExpression="colour = :red",
        ExpressionAttributeValues={":c": {"S": "c"}, ":red": {"S": "red"}},
    )
    assert [i["sk"]["N"] for i in result["Items"]] == ["1"]


async def test_item_collection_metrics_for_lsi_tables(eng):
    ddb = eng.client("dynamodb")
    await make_table(
        eng,
        definitions=[{"AttributeName": "placed", "AttributeType": "S"}],
        LocalSecondaryIndexes=[
            {
                "IndexName": "byPlaced",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "placed", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    result = await ddb.put_item(
        TableName="orders",
        Item={"pk": {"S": "c"}, "sk": {"N": "1"}},
        ReturnItemCollectionMetrics="SIZE",
    )
    assert result["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "c"}}
