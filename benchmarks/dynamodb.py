"""DynamoDB: PutItem, GetItem, UpdateItem and Query through the client, beside a floor and moto.

Run: `python benchmarks/dynamodb.py [--quick]`. Prints one JSON object.

The floor is the same number of awaited calls into a plain dict (what any in-process store
costs at least); moto is boto3 against moto's in-process DynamoDB, on fewer operations.
The issue sets no DynamoDB target, so `targets` is empty; the figures are for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Engine, VirtualClock  # noqa: E402

PARTITIONS = 100


def _item(n: int) -> dict:
    return {
        "pk": {"S": f"customer-{n % PARTITIONS}"},
        "sk": {"N": str(n)},
        "state": {"S": "open"},
        "amount": {"N": str(n % 997)},
    }


async def _pipework(count: int) -> dict:
    async with Engine(clock=VirtualClock()) as eng:
        ddb = eng.client("dynamodb")
        await ddb.create_table(
            TableName="orders",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        rates: dict[str, float] = {}
        started = time.perf_counter()
        for n in range(count):
            await ddb.put_item(TableName="orders", Item=_item(n))
        rates["put_item_per_s"] = count / (time.perf_counter() - started)
        started = time.perf_counter()
        for n in range(count):
            await ddb.get_item(
                TableName="orders",
                Key={"pk": {"S": f"customer-{n % PARTITIONS}"}, "sk": {"N": str(n)}},
            )
        rates["get_item_per_s"] = count / (time.perf_counter() - started)
        started = time.perf_counter()
        for n in range(count):
            await ddb.update_item(
                TableName="orders",
                Key={"pk": {"S": f"customer-{n % PARTITIONS}"}, "sk": {"N": str(n)}},
                UpdateExpression="SET amount = amount + :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
        rates["update_item_per_s"] = count / (time.perf_counter() - started)
        queries = max(1, count // 10)
        started = time.perf_counter()
        for n in range(queries):
            await ddb.query(
                TableName="orders",
                KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
                ExpressionAttributeValues={
                    ":p": {"S": f"customer-{n % PARTITIONS}"},
                    ":lo": {"N": str(n)},
                    ":hi": {"N": str(n + 2000)},
                },
                Limit=10,
            )
        rates["query_10_items_per_s"] = queries / (time.perf_counter() - started)
        return rates


async def _floor(count: int) -> float:
    store: dict = {}

    async def put(key: tuple, item: dict) -> dict:
        """The least an awaited put into a dict costs."""
        store[key] = item
        return {}

    started = time.perf_counter()
    for n in range(count):
        item = _item(n)
        await put((item["pk"]["S"], item["sk"]["N"]), item)
    return count / (time.perf_counter() - started)


def _moto(count: int) -> dict | None:
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        return None
    with mock_aws():
        client = boto3.client(
            "dynamodb",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        client.create_table(
            TableName="orders",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        started = time.perf_counter()
        for n in range(count):
            client.put_item(TableName="orders", Item=_item(n))
        puts = count / (time.perf_counter() - started)
        started = time.perf_counter()
        for n in range(count):
            client.get_item(
                TableName="orders",
                Key={"pk": {"S": f"customer-{n % PARTITIONS}"}, "sk": {"N": str(n)}},
            )
        gets = count / (time.perf_counter() - started)
    return {"put_item_per_s": round(puts), "get_item_per_s": round(gets), "operations": count}


def main() -> None:
    """Run every measurement and print the JSON summary."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer operations")
    args = parser.parse_args()
    count = 5_000 if args.quick else 20_000
    rates = asyncio.run(_pipework(count))
    floor = asyncio.run(_floor(count))
    moto = _moto(500 if args.quick else 1_000)
    print(
        json.dumps(
            {
                "benchmark": "dynamodb",
                "operations": count,
                "pipework": {k: round(v) for k, v in rates.items()},
                "floor_dict_put_per_s": round(floor),
                "moto": moto,
                "put_vs_moto": round(rates["put_item_per_s"] / moto["put_item_per_s"], 1)
                if moto
                else None,
                "targets": {},
            }
        )
    )


if __name__ == "__main__":
    main()
