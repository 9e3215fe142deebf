"""DynamoDB tables and single-item operations."""

from __future__ import annotations

import pytest

from engine import ServiceError


async def make_table(eng, name="orders", *, range_key=True, **extra):
    """Create a pay-per-request table keyed by pk (S) and, optionally, sk (N)."""
    definitions = [{"AttributeName": "pk", "AttributeType": "S"}]
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if range_key:
        definitions.append({"AttributeName": "sk", "AttributeType": "N"})
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
    definitions += extra.pop("definitions", [])
    return await eng.client("dynamodb").create_table(
        TableName=name,
        AttributeDefinitions=definitions,
        KeySchema=schema,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


async def test_create_table_reports_creating_then_active(eng):
    created = await make_table(eng)
    assert created["TableDescription"]["TableStatus"] == "CREATING"
    described = await eng.client("dynamodb").describe_table(TableName="orders")
    assert described["Table"]["TableStatus"] == "ACTIVE"
    assert described["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


async def test_create_table_rejects_undefined_key_attribute(eng):
    with pytest.raises(ServiceError) as caught:
        await eng.client("dynamodb").create_table(
            TableName="t",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    assert caught.value.code == "ValidationException"
    assert "Some index key attributes are not defined" in caught.value.message


async def test_create_table_twice_is_resource_in_use(eng):
    await make_table(eng)
    with pytest.raises(ServiceError) as caught:
        await make_table(eng)
    assert caught.value.code == "ResourceInUseException"


async def test_provisioned_table_needs_throughput(eng):
    with pytest.raises(ServiceError) as caught:
        await eng.client("dynamodb").create_table(
            TableName="t",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
    assert "ReadCapacityUnits and WriteCapacityUnits must both be specified" in caught.value.message


async def test_list_and_delete_tables(eng):
    ddb = eng.client("dynamodb")
    for name in ("b-table", "a-table", "c-table"):
        await make_table(eng, name)
    page = await ddb.list_tables(Limit=2)
    assert page["TableNames"] == ["a-table", "b-table"]
    assert page["LastEvaluatedTableName"] == "b-table"
    deleted = await ddb.delete_table(TableName="a-table")
    assert deleted["TableDescription"]["TableStatus"] == "DELETING"
    with pytest.raises(ServiceError) as caught:
        await ddb.describe_table(TableName="a-table")
    assert caught.value.code == "ResourceNotFoundException"


async def test_put_get_keeps_types_and_canonical_numbers(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng)
    item = {
        "pk": {"S": "a"},
        "sk": {"N": "1.50"},
        "blob": {"B": b"\x00\x01"},
        "tags": {"SS": ["x", "y"]},
        "nested": {"M": {"list": {"L": [{"NULL": True}, {"BOOL": False}]}}},
    }
    await ddb.put_item(TableName="orders", Item=item)
    got = await ddb.get_item(TableName="orders", Key={"pk": {"S": "a"}, "sk": {"N": "1.5"}})
    assert got["Item"]["sk"] == {"N": "1.5"}
    assert got["Item"]["blob"] == {"B": b"\x00\x01"}
    assert got["Item"]["nested"] == item["nested"]


async def test_get_item_with_wrong_key_shape(eng):
    await make_table(eng)
    with pytest.raises(ServiceError) as caught:
        await eng.client("dynamodb").get_item(TableName="orders", Key={"pk": {"S": "a"}})
    assert caught.value.message == "The provided key element does not match the schema"


async def test_put_item_missing_key_and_type_mismatch(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng)
    with pytest.raises(ServiceError) as missing:
        await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}})
    assert missing.value.message == (
        "One or more parameter values were invalid: Missing the key sk in the item"
    )
    with pytest.raises(ServiceError) as mismatch:
        await ddb.put_item(TableName="orders", Item={"pk": {"N": "1"}, "sk": {"N": "1"}})
    assert mismatch.value.message == (
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    )


async def test_item_over_400kb_is_rejected(eng):
    await make_table(eng, range_key=False)
    with pytest.raises(ServiceError) as caught:
        await eng.client("dynamodb").put_item(
            TableName="orders", Item={"pk": {"S": "a"}, "big": {"S": "x" * (400 * 1024)}}
        )
    assert caught.value.message == "Item size has exceeded the maximum allowed size"


async def test_invalid_number_and_empty_set(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    with pytest.raises(ServiceError) as bad_number:
        await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "n": {"N": "abc"}})
    assert bad_number.value.message == "A value provided cannot be converted into a number"
    with pytest.raises(ServiceError) as empty:
        await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "s": {"SS": []}})
    assert "may not be empty" in empty.value.message


async def test_condition_failure_returns_old_item_when_asked(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    with pytest.raises(ServiceError) as caught:
        await ddb.put_item(
            TableName="orders",
            Item={"pk": {"S": "a"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert caught.value.code == "ConditionalCheckFailedException"
    assert caught.value.message == "The conditional request failed"
    assert caught.value.extra["Item"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    still = await ddb.get_item(TableName="orders", Key={"pk": {"S": "a"}})
    assert still["Item"]["v"] == {"N": "1"}


async def test_put_returns_all_old(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    result = await ddb.put_item(
        TableName="orders", Item={"pk": {"S": "a"}, "v": {"N": "2"}}, ReturnValues="ALL_OLD"
    )
    assert result["Attributes"] == {"pk": {"S": "a"}, "v": {"N": "1"}}


async def test_put_rejects_updated_new_return_values(eng):
    await make_table(eng, range_key=False)
    with pytest.raises(ServiceError) as caught:
        await eng.client("dynamodb").put_item(
            TableName="orders", Item={"pk": {"S": "a"}}, ReturnValues="UPDATED_NEW"
        )
    assert caught.value.message == "Return values set to invalid value"


async def test_update_creates_item_and_returns_updated_new(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    result = await ddb.update_item(
        TableName="orders",
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET #c = if_not_exists(#c, :zero) + :one",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    assert result["Attributes"] == {"count": {"N": "1"}}


async def test_update_of_key_attribute_is_rejected(eng):
    await make_table(eng, range_key=False)
    with pytest.raises(ServiceError) as caught:
        await eng.client("dynamodb").update_item(
            TableName="orders",
            Key={"pk": {"S": "a"}},
            UpdateExpression="SET pk = :v",
            ExpressionAttributeValues={":v": {"S": "b"}},
        )
    assert "Cannot update attribute pk. This attribute is part of the key" in caught.value.message


async def test_delete_with_condition_and_all_old(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "state": {"S": "done"}})
    result = await ddb.delete_item(
        TableName="orders",
        Key={"pk": {"S": "a"}},
        ConditionExpression="#s = :done",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":done": {"S": "done"}},
        ReturnValues="ALL_OLD",
    )
    assert result["Attributes"]["state"] == {"S": "done"}
    assert "Item" not in await ddb.get_item(TableName="orders", Key={"pk": {"S": "a"}})


async def test_missing_table_is_resource_not_found(eng):
    with pytest.raises(ServiceError) as caught:
        await eng.client("dynamodb").get_item(TableName="nope", Key={"pk": {"S": "a"}})
    assert caught.value.code == "ResourceNotFoundException"


async def test_dump_and_load_restore_items(eng):
    from engine import Engine, VirtualClock

    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "b": {"B": b"\xff"}})
    saved = eng.service("dynamodb").dump()
    async with Engine(clock=VirtualClock()) as other:
        other.service("dynamodb").load(saved)
        got = await other.client("dynamodb").get_item(TableName="orders", Key={"pk": {"S": "a"}})
    assert got["Item"] == {"pk": {"S": "a"}, "b": {"B": b"\xff"}}


async def test_topology_has_table_node_with_counters(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}})
    await ddb.get_item(TableName="orders", Key={"pk": {"S": "a"}})
    node = eng.topology().node("orders")
    assert node.kind == "table"
    assert node.counters["items"] == 1
    assert node.counters["writes"] == 1
    assert node.counters["reads"] == 1


async def test_written_trace_event(eng):
    ddb = eng.client("dynamodb")
    await make_table(eng, range_key=False)
    with eng.trace.subscribe() as events:
        await ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}})
        kinds = [e.kind for e in events.drain()]
    assert kinds == ["written"]


async def test_oversized_partition_key_is_rejected(eng):
    await make_table(eng, range_key=False)
    with pytest.raises(ServiceError) as caught:
        await eng.client("dynamodb").put_item(TableName="orders", Item={"pk": {"S": "k" * 2049}})
    assert "Size of hashkey has exceeded the maximum size limit of2048 bytes" in (
        caught.value.message
    )
