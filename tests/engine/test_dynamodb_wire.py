"""boto3's own DynamoDB client against the lab over HTTP (botocore parses our answers)."""

from __future__ import annotations

import asyncio

import boto3
import pytest
from botocore.config import Config

from engine import Engine, RealClock

wire = pytest.importorskip("engine.wire")


async def test_boto3_round_trip_and_modeled_transaction_error():
    async with Engine(clock=RealClock()) as engine:
        server = wire.WireServer(engine, "127.0.0.1", 0)
        url = await server.start()
        try:
            session = boto3.session.Session(
                aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1"
            )
            client = session.client(
                "dynamodb", endpoint_url=url, config=Config(retries={"max_attempts": 1})
            )

            def work() -> tuple:
                client.create_table(
                    TableName="t",
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    BillingMode="PAY_PER_REQUEST",
                )
                client.put_item(
                    TableName="t", Item={"pk": {"S": "a"}, "n": {"N": "1.50"}, "b": {"B": b"\x00"}}
                )
                item = client.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]
                try:
                    client.transact_write_items(
                        TransactItems=[
                            {
                                "ConditionCheck": {
                                    "TableName": "t",
                                    "Key": {"pk": {"S": "zz"}},
                                    "ConditionExpression": "attribute_exists(pk)",
                                }
                            }
                        ]
                    )
                except client.exceptions.TransactionCanceledException as error:
                    return item, error.response["CancellationReasons"]
                return item, None

            item, reasons = await asyncio.to_thread(work)
        finally:
            await server.stop()
    assert item == {"pk": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": b"\x00"}}
    assert reasons == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
    ]
