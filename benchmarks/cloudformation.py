"""CloudFormation benchmark: a 60-resource SAM template deployed into a lab.

The template has 20 queues, 20 tables and 20 functions each reading its queue (SQS event), which
the SAM transform turns into 100 CloudFormation resources (roles and event source mappings
added). Prints one JSON object:
- the time to deploy it (translate, lint, create — warm: cfn-lint's rules already loaded), and
  the same without cfn-lint;
- its floor measured in the same run: the same 100 resources made directly through the lab's
  clients, one after another (what any deploy must at least do);
- moto's CloudFormation deploying the translated template, when moto is installed (the peer);
- the issue's target (≤ 2 s for the whole deploy).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from engine import Engine, VirtualClock  # noqa: E402
from engine.services.cloudformation.sam import translate  # noqa: E402

GROUPS = 20
TARGET_SECONDS = 2.0
ROLE = "arn:aws:iam::123456789012:role/bench"


def sam_template() -> dict[str, Any]:
    """20 × (queue, table, function with an SQS event): 60 SAM resources."""
    resources: dict[str, Any] = {}
    for n in range(GROUPS):
        resources[f"Queue{n}"] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {"VisibilityTimeout": 60},
        }
        resources[f"Table{n}"] = {"Type": "AWS::Serverless::SimpleTable"}
        resources[f"Worker{n}"] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "InlineCode": "def handler(event, context):\n    return len(event['Records'])\n",
                "Environment": {"Variables": {"TABLE": {"Ref": f"Table{n}"}}},
                "Policies": [{"DynamoDBCrudPolicy": {"TableName": {"Ref": f"Table{n}"}}}],
                "Events": {
                    "Queue": {
                        "Type": "SQS",
                        "Properties": {"Queue": {"Fn::GetAtt": [f"Queue{n}", "Arn"]}},
                    }
                },
            },
        }
    return {"Transform": "AWS::Serverless-2016-10-31", "Resources": resources}


async def deploy(body: str, name: str, *, lint: bool) -> tuple[float, int, str]:
    async with Engine(clock=VirtualClock()) as engine:
        engine.settings["cloudformation.lint"] = "on" if lint else "off"
        started = time.perf_counter()
        stack = await engine.service("cloudformation").deploy_template(body, name)
        elapsed = time.perf_counter() - started
        return elapsed, len(stack.resources), stack.status


async def floor() -> float:
    """The same resources made straight through the clients, no CloudFormation."""
    from engine.services.cloudformation.providers.compute import inline_zip

    async with Engine(clock=VirtualClock()) as engine:
        sqs, ddb, lam, iam = (engine.client(n) for n in ("sqs", "dynamodb", "lambda", "iam"))
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        code = inline_zip("def handler(event, context):\n    return 1\n", "python3.12")
        started = time.perf_counter()
        for n in range(GROUPS):
            url = (
                await sqs.create_queue(QueueName=f"q{n}", Attributes={"VisibilityTimeout": "60"})
            )["QueueUrl"]
            arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
                "Attributes"
            ]["QueueArn"]
            await ddb.create_table(
                TableName=f"t{n}",
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
            role = (await iam.create_role(RoleName=f"r{n}", AssumeRolePolicyDocument=trust))[
                "Role"
            ]["Arn"]
            await lam.create_function(
                FunctionName=f"f{n}",
                Runtime="python3.12",
                Handler="index.handler",
                Role=role,
                Code={"ZipFile": code},
            )
            await lam.create_event_source_mapping(FunctionName=f"f{n}", EventSourceArn=arn)
        return time.perf_counter() - started


def moto_deploy(template: dict[str, Any]) -> float | None:
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        return None
    with mock_aws():
        client = boto3.client("cloudformation", region_name="us-east-1")
        started = time.perf_counter()
        try:
            client.create_stack(
                StackName="bench",
                TemplateBody=json.dumps(template),
                Capabilities=["CAPABILITY_IAM"],
            )
        except Exception:  # noqa: BLE001 - a peer that cannot run it is reported as absent
            return None
        return time.perf_counter() - started


async def main() -> None:
    template = sam_template()
    body = json.dumps(template)
    await deploy(body, "warmup", lint=True)  # imports and cfn-lint's rules, once per process
    with_lint = [await deploy(body, f"bench{i}", lint=True) for i in range(3)]
    without_lint = [await deploy(body, f"bare{i}", lint=False) for i in range(3)]
    floor_seconds = min([await floor() for _ in range(3)])
    started = time.perf_counter()
    translated = translate(template, {}, "us-east-1", "123456789012")
    translate_seconds = time.perf_counter() - started
    peer = moto_deploy(translated)
    best = min(t for t, _, _ in with_lint)
    print(
        json.dumps(
            {
                "sam_resources": len(template["Resources"]),
                "cloudformation_resources": with_lint[0][1],
                "status": with_lint[0][2],
                "deploy_seconds": round(best, 3),
                "deploy_seconds_without_lint": round(min(t for t, _, _ in without_lint), 3),
                "sam_translate_seconds": round(translate_seconds, 3),
                "floor_direct_api_calls_seconds": round(floor_seconds, 3),
                "moto_create_stack_seconds": None if peer is None else round(peer, 3),
                "target_seconds": TARGET_SECONDS,
                "meets_target": best <= TARGET_SECONDS,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
