"""DynamoDB under throttle faults, and errors as botocore's ClientError.response shows them."""

from __future__ import annotations

import pytest

from engine import ServiceError

from .test_dynamodb_items import make_table


async def test_throttled_put_raises_throughput_exceeded(eng):
    await make_table(eng, range_key=False)
    eng.faults.configure("orders", throttle=1.0)
    with pytest.raises(ServiceError) as caught:
        await eng.client("dynamodb").put_item(TableName="orders", Item={"pk": {"S": "a"}})
    assert caught.value.code == "ProvisionedThroughputExceededException"
    eng.faults.clear()
    got = await eng.client("dynamodb").get_item(TableName="orders", Key={"pk": {"S": "a"}})
    assert "Item" not in got


async def test_throttled_batch_write_returns_unprocessed_items(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    eng.faults.configure("orders", throttle=0.5)
    writes = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(20)]
    result = await ddb.batch_write_item(RequestItems={"orders": writes})
    left = result["UnprocessedItems"]["orders"]
    assert 0 < len(left) < 20
    eng.faults.clear()
    await ddb.batch_write_item(RequestItems={"orders": left})
    scanned = await ddb.scan(TableName="orders", Select="COUNT")
    assert scanned["Count"] == 20


async def test_throttled_batch_get_returns_unprocessed_keys(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    for i in range(10):
        await ddb.put_item(TableName="orders", Item={"pk": {"S": f"k{i}"}})
    eng.faults.configure("orders", throttle=0.5)
    keys = [{"pk": {"S": f"k{i}"}} for i in range(10)]
    result = await ddb.batch_get_item(
        RequestItems={"orders": {"Keys": keys, "ConsistentRead": True}}
    )
    unprocessed = result["UnprocessedKeys"]["orders"]
    assert unprocessed["ConsistentRead"] is True
    assert len(result["Responses"]["orders"]) + len(unprocessed["Keys"]) == 10


async def test_cancellation_reasons_are_top_level_in_response(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    with pytest.raises(ServiceError) as caught:
        await ddb.transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": "orders",
                        "Key": {"pk": {"S": "a"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            ]
        )
    response = caught.value.response
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert response["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
    ]
