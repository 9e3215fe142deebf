"""WarmThroughput as AWS reports it: asked-for rates, or the provisioned or on-demand defaults."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(30)

KEY = {
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "AttributeDefinitions": [
        {"AttributeName": "id", "AttributeType": "S"},
        {"AttributeName": "g", "AttributeType": "S"},
    ],
}
INDEX = {
    "IndexName": "by-g",
    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
    "Projection": {"ProjectionType": "ALL"},
}


async def test_a_provisioned_table_is_warm_at_its_capacity(eng) -> None:
    ddb = eng.client("dynamodb")
    created = await ddb.create_table(
        TableName="p",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        GlobalSecondaryIndexes=[
            {**INDEX, "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}
        ],
        **KEY,
    )
    # Being created, a table reports no warm throughput it was not asked for.
    assert "WarmThroughput" not in created["TableDescription"]
    assert "WarmThroughput" not in created["TableDescription"]["GlobalSecondaryIndexes"][0]
    table = (await ddb.describe_table(TableName="p"))["Table"]
    assert table["WarmThroughput"] == {
        "ReadUnitsPerSecond": 5,
        "WriteUnitsPerSecond": 5,
        "Status": "ACTIVE",
    }
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 1,
        "WriteUnitsPerSecond": 1,
        "Status": "ACTIVE",
    }


async def test_an_on_demand_table_starts_warm_at_12000_reads_and_4000_writes(eng) -> None:
    ddb = eng.client("dynamodb")
    await ddb.create_table(
        TableName="od", BillingMode="PAY_PER_REQUEST", GlobalSecondaryIndexes=[INDEX], **KEY
    )
    table = (await ddb.describe_table(TableName="od"))["Table"]
    warm = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    assert table["WarmThroughput"] == warm
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == warm


async def test_asked_for_warm_throughput_is_updating_then_active(eng) -> None:
    ddb = eng.client("dynamodb")
    created = await ddb.create_table(
        TableName="w",
        KeySchema=KEY["KeySchema"],
        AttributeDefinitions=KEY["AttributeDefinitions"][:1],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        WarmThroughput={"ReadUnitsPerSecond": 1000, "WriteUnitsPerSecond": 1200},
    )
    assert created["TableDescription"]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 1000,
        "WriteUnitsPerSecond": 1200,
        "Status": "UPDATING",
    }
    table = (await ddb.describe_table(TableName="w"))["Table"]
    assert table["WarmThroughput"]["Status"] == "ACTIVE"
    assert table["WarmThroughput"]["ReadUnitsPerSecond"] == 1000


async def test_batch_write_words_a_missing_key_as_a_schema_mismatch(eng) -> None:
    from engine.errors import ServiceError

    ddb = eng.client("dynamodb")
    await ddb.create_table(
        TableName="b",
        KeySchema=KEY["KeySchema"],
        AttributeDefinitions=KEY["AttributeDefinitions"][:1],
        BillingMode="PAY_PER_REQUEST",
    )
    with pytest.raises(ServiceError) as caught:
        await ddb.batch_write_item(
            RequestItems={"b": [{"PutRequest": {"Item": {"other": {"S": "x"}}}}]}
        )
    assert caught.value.code == "ValidationException"
    assert caught.value.message == "The provided key element does not match the schema"


async def test_delete_table_answers_without_warm_throughput(eng) -> None:
    ddb = eng.client("dynamodb")
    await ddb.create_table(
        TableName="gone",
        KeySchema=KEY["KeySchema"],
        AttributeDefinitions=KEY["AttributeDefinitions"][:1],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    deleted = await ddb.delete_table(TableName="gone")
    assert deleted["TableDescription"]["TableStatus"] == "DELETING"
    assert "WarmThroughput" not in deleted["TableDescription"]
