"""DynamoDB Query, Scan, indexes, batches and transactions."""

from __future__ import annotations

import pytest

from engine import ServiceError

from .test_dynamodb_items import make_table


async def fill(eng, count=10):
    ddb = eng.client("dynamodb")
    await make_table(
        eng,
        definitions=[{"AttributeName": "state", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byState",
                "KeySchema": [{"AttributeName": "state", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    for i in range(count):
        item = {"pk": {"S": "c1"}, "sk": {"N": str(i)}, "amount": {"N": str(i * 10)}}
        if i % 2:
            item["state"] = {"S": "open"}
        await ddb.put_item(TableName="orders", Item=item)
    return ddb


def sks(result):
    return [int(item["sk"]["N"]) for item in result["Items"]]


async def test_query_range_in_order_and_reversed(eng):
    ddb = await fill(eng)
    values = {":p": {"S": "c1"}, ":lo": {"N": "2"}, ":hi": {"N": "5"}}
    forward = await ddb.query(
        TableName="orders",
        KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues=values,
    )
    assert sks(forward) == [2, 3, 4, 5]
    backward = await ddb.query(
        TableName="orders",
        KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues=values,
        ScanIndexForward=False,
    )
    assert sks(backward) == [5, 4, 3, 2]


async def test_query_pages_with_limit_and_exclusive_start_key(eng):
    ddb = await fill(eng)
    params = {
        "TableName": "orders",
        "KeyConditionExpression": "pk = :p AND sk > :s",
        "ExpressionAttributeValues": {":p": {"S": "c1"}, ":s": {"N": "5"}},
        "Limit": 3,
    }
    first = await ddb.query(**params)
    assert sks(first) == [6, 7, 8]
    second = await ddb.query(**params, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert sks(second) == [9]
    assert "LastEvaluatedKey" not in second


async def test_query_filter_counts_scanned_items(eng):
    ddb = await fill(eng)
    result = await ddb.query(
        TableName="orders",
        KeyConditionExpression="pk = :p",
        FilterExpression="amount >= :min",
        ExpressionAttributeValues={":p": {"S": "c1"}, ":min": {"N": "70"}},
    )
    assert result["Count"] == 3
    assert result["ScannedCount"] == 10


async def test_query_filter_on_key_is_rejected(eng):
    ddb = await fill(eng, 1)
    with pytest.raises(ServiceError) as caught:
        await ddb.query(
            TableName="orders",
            KeyConditionExpression="pk = :p",
            FilterExpression="sk > :p",
            ExpressionAttributeValues={":p": {"S": "c1"}},
        )
    assert caught.value.message == (
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"
    )


async def test_key_condition_errors(eng):
    ddb = await fill(eng, 1)
    with pytest.raises(ServiceError) as missed:
        await ddb.query(
            TableName="orders",
            KeyConditionExpression="sk = :s",
            ExpressionAttributeValues={":s": {"N": "1"}},
        )
    assert missed.value.message == "Query condition missed key schema element: pk"
    with pytest.raises(ServiceError) as bad_op:
        await ddb.query(
            TableName="orders",
            KeyConditionExpression="pk = :p OR sk = :s",
            ExpressionAttributeValues={":p": {"S": "c1"}, ":s": {"N": "1"}},
        )
    assert bad_op.value.message == "Invalid operator used in KeyConditionExpression: OR"


async def test_sparse_gsi_query_with_keys_only_projection(eng):
    ddb = await fill(eng)
    result = await ddb.query(
        TableName="orders",
        IndexName="byState",
        KeyConditionExpression="#s = :open",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":open": {"S": "open"}},
    )
    assert sorted(sks(result)) == [1, 3, 5, 7, 9]
    assert all("amount" not in item for item in result["Items"])


async def test_scan_segments_cover_every_item_once(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    for i in range(40):
        await ddb.put_item(TableName="orders", Item={"pk": {"S": f"k{i}"}})
    seen = []
    for segment in range(4):
        page = await ddb.scan(TableName="orders", Segment=segment, TotalSegments=4)
        seen += [item["pk"]["S"] for item in page["Items"]]
    assert sorted(seen) == sorted(f"k{i}" for i in range(40))


async def test_scan_pagination_resumes(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    for i in range(7):
        await ddb.put_item(TableName="orders", Item={"pk": {"S": f"k{i}"}})
    seen, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = await ddb.scan(TableName="orders", Limit=3, **extra)
        seen += [item["pk"]["S"] for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if start is None:
            break
    assert sorted(seen) == [f"k{i}" for i in range(7)]


async def test_segment_must_be_below_total(eng):
    await make_table(eng, range_key=False)
    with pytest.raises(ServiceError) as caught:
        await eng.client("dynamodb").scan(TableName="orders", Segment=2, TotalSegments=2)
    assert "Segment: 2 is not less than TotalSegments: 2" in caught.value.message


async def test_batch_write_and_get(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    writes = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(5)]
    assert (await ddb.batch_write_item(RequestItems={"orders": writes}))["UnprocessedItems"] == {}
    got = await ddb.batch_get_item(
        RequestItems={"orders": {"Keys": [{"pk": {"S": "k1"}}, {"pk": {"S": "missing"}}]}}
    )
    assert got["Responses"]["orders"] == [{"pk": {"S": "k1"}}]
    assert got["UnprocessedKeys"] == {}


async def test_batch_limits(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    await make_table(eng, "returns", range_key=False)
    keys = {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(60)]}
    with pytest.raises(ServiceError) as too_many:
        await ddb.batch_get_item(RequestItems={"orders": keys, "returns": keys})
    assert too_many.value.message == "Too many items requested for the BatchGetItem call"
    with pytest.raises(ServiceError) as duplicates:
        await ddb.batch_write_item(
            RequestItems={
                "orders": [{"DeleteRequest": {"Key": {"pk": {"S": "a"}}}}] * 2,
            }
        )
    assert duplicates.value.message == "Provided list of item keys contains duplicates"


async def test_transaction_cancelled_changes_nothing(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "taken"}})
    with pytest.raises(ServiceError) as caught:
        await ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "orders", "Item": {"pk": {"S": "new"}}}},
                {
                    "Put": {
                        "TableName": "orders",
                        "Item": {"pk": {"S": "taken"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    error = caught.value
    assert error.code == "TransactionCanceledException"
    assert error.message == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[None, ConditionalCheckFailed]"
    )
    assert [r["Code"] for r in error.extra["CancellationReasons"]] == [
        "None",
        "ConditionalCheckFailed",
    ]
    assert "Item" not in await ddb.get_item(TableName="orders", Key={"pk": {"S": "new"}})


async def test_transaction_token_is_idempotent_for_ten_minutes(eng, clock):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    request = {
        "TransactItems": [
            {
                "Update": {
                    "TableName": "orders",
                    "Key": {"pk": {"S": "a"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            }
        ],
        "ClientRequestToken": "token-1",
    }
    await ddb.transact_write_items(**request)
    await ddb.transact_write_items(**request)
    got = await ddb.get_item(TableName="orders", Key={"pk": {"S": "a"}})
    assert got["Item"]["n"] == {"N": "1"}
    await clock.advance(601)
    await ddb.transact_write_items(**request)
    got = await ddb.get_item(TableName="orders", Key={"pk": {"S": "a"}})
    assert got["Item"]["n"] == {"N": "2"}


async def test_transaction_token_reused_with_other_request(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    put = {"Put": {"TableName": "orders", "Item": {"pk": {"S": "a"}}}}
    await ddb.transact_write_items(TransactItems=[put], ClientRequestToken="t")
    other = {"Put": {"TableName": "orders", "Item": {"pk": {"S": "b"}}}}
    with pytest.raises(ServiceError) as caught:
        await ddb.transact_write_items(TransactItems=[other], ClientRequestToken="t")
    assert caught.value.code == "IdempotentParameterMismatchException"


async def test_transaction_rejects_two_operations_on_one_item(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    put = {"Put": {"TableName": "orders", "Item": {"pk": {"S": "a"}}}}
    with pytest.raises(ServiceError) as caught:
        await ddb.transact_write_items(TransactItems=[put, put])
    assert caught.value.message == (
        "Transaction request cannot include multiple operations on one item"
    )


async def test_transact_get_items(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "v": {"S": "x"}})
    got = await ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": "orders", "Key": {"pk": {"S": "a"}}}},
            {"Get": {"TableName": "orders", "Key": {"pk": {"S": "b"}}}},
        ]
    )
    assert got["Responses"] == [{"Item": {"pk": {"S": "a"}, "v": {"S": "x"}}}, {}]


async def test_batch_write_reports_consumed_capacity(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    writes = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(3)]
    result = await ddb.batch_write_item(
        RequestItems={"orders": writes}, ReturnConsumedCapacity="TOTAL"
    )
    assert result["ConsumedCapacity"] == [
        {"TableName": "orders", "CapacityUnits": 3.0, "WriteCapacityUnits": 3.0}
    ]


async def test_transaction_costs_two_units_per_item(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    result = await ddb.transact_write_items(
        TransactItems=[{"Put": {"TableName": "orders", "Item": {"pk": {"S": "a"}}}}],
        ReturnConsumedCapacity="TOTAL",
    )
    assert result["ConsumedCapacity"][0]["CapacityUnits"] == 2.0


async def test_reverse_query_pages_resume_downwards(eng):
    ddb = await fill(eng)
    params = {
        "TableName": "orders",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "c1"}},
        "ScanIndexForward": False,
        "Limit": 4,
    }
    first = await ddb.query(**params)
    second = await ddb.query(**params, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert sks(first) == [9, 8, 7, 6]
    assert sks(second) == [5, 4, 3, 2]
