"""The ordered item store against a brute-force model (hypothesis), through the client."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Engine, VirtualClock

operations = st.lists(
    st.tuples(
        st.sampled_from(["put", "delete"]),
        st.sampled_from(["a", "b", "c"]),  # partition
        st.integers(-5, 5),  # sort key
        st.sampled_from([None, "x", "y"]),  # GSI key (absent: not in the index)
    ),
    max_size=40,
)


async def _run(steps: list[tuple[str, str, int, str | None]]) -> None:
    async with Engine(clock=VirtualClock()) as eng:
        ddb = eng.client("dynamodb")
        await ddb.create_table(
            TableName="t",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "byG",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        model: dict[tuple[str, int], str | None] = {}
        for action, pk, sk, g in steps:
            key = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
            if action == "put":
                item = dict(key, **({"g": {"S": g}} if g else {}))
                await ddb.put_item(TableName="t", Item=item)
                model[(pk, sk)] = g
            else:
                await ddb.delete_item(TableName="t", Key=key)
                model.pop((pk, sk), None)
        for pk in "abc":
            got = await ddb.query(
                TableName="t",
                KeyConditionExpression="pk = :p AND sk >= :lo",
                ExpressionAttributeValues={":p": {"S": pk}, ":lo": {"N": "-2"}},
            )
            expected = sorted(sk for (p, sk) in model if p == pk and sk >= -2)
            assert [int(i["sk"]["N"]) for i in got["Items"]] == expected
        for g in "xy":
            got = await ddb.query(
                TableName="t",
                IndexName="byG",
                KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": g}},
            )
            found = sorted((i["pk"]["S"], int(i["sk"]["N"])) for i in got["Items"])
            assert found == sorted(k for k, v in model.items() if v == g)
        scanned = await ddb.scan(TableName="t", Limit=7)
        seen = [(i["pk"]["S"], int(i["sk"]["N"])) for i in scanned["Items"]]
        while "LastEvaluatedKey" in scanned:
            scanned = await ddb.scan(
                TableName="t", Limit=7, ExclusiveStartKey=scanned["LastEvaluatedKey"]
            )
            seen += [(i["pk"]["S"], int(i["sk"]["N"])) for i in scanned["Items"]]
        assert sorted(seen) == sorted(model)
        described = (await ddb.describe_table(TableName="t"))["Table"]
        assert described["ItemCount"] == len(model)
        assert described["GlobalSecondaryIndexes"][0]["ItemCount"] == sum(
            1 for v in model.values() if v
        )


@settings(max_examples=40, deadline=None)
@given(steps=operations)
def test_store_and_index_agree_with_a_dict_model(steps):
    asyncio.run(_run(steps))
