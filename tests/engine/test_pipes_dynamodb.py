"""EventBridge Pipes from a DynamoDB stream: item changes flow to the target as stream records."""

from __future__ import annotations

import json

from engine import Engine, VirtualClock

ROLE = "arn:aws:iam::123456789012:role/pipe"


async def _table_stream(eng: Engine) -> str:
    result = await eng.client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return result["TableDescription"]["LatestStreamArn"]


async def _queue(eng: Engine, name: str) -> tuple[str, str]:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    return url, arn


async def test_item_changes_reach_the_target(eng: Engine, clock: VirtualClock) -> None:
    stream = await _table_stream(eng)
    url, target = await _queue(eng, "target")
    await eng.client("pipes").create_pipe(
        Name="p",
        Source=stream,
        Target=target,
        RoleArn=ROLE,
        SourceParameters={
            "DynamoDBStreamParameters": {"StartingPosition": "TRIM_HORIZON"},
            "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
        },
    )
    dynamodb = eng.client("dynamodb")
    await dynamodb.put_item(TableName="orders", Item={"id": {"S": "1"}})
    await dynamodb.put_item(TableName="orders", Item={"id": {"S": "1"}, "v": {"N": "2"}})
    await clock.settle()
    result = await eng.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    (message,) = result["Messages"]
    record = json.loads(message["Body"])
    assert (record["eventSource"], record["eventName"]) == ("aws:dynamodb", "INSERT")
    assert record["dynamodb"]["NewImage"] == {"id": {"S": "1"}}
