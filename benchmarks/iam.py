"""The cost of IAM enforcement: SQS batched send/receive/delete by an IAM user, enforcement on vs off.

With enforcement on, every call is evaluated against the user's policies and the queue policy
(decisions cached per principal, action, resource and context). The floor is the same loop with
enforcement off, measured in the same run; rounds alternate so machine noise hits both alike.
Also measures one uncached evaluation (a policy change clears the cache), SNS → SQS fan-out
deliveries checked against the queue policy, and an SQS → Lambda event source mapping whose
poller reads the queue as the function's execution role.

Run: `python benchmarks/iam.py [--quick]`. Prints one JSON object.
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
from engine.iam_policy.evaluator import Principal  # noqa: E402
from engine.identity import acting_as  # noqa: E402

ROUNDS = 6
TARGETS = {"enforced_vs_off_ratio_min": 0.8}
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:bench"


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


async def _setup(eng: Engine) -> tuple[str, str]:
    iam, sqs = eng.client("iam"), eng.client("sqs")
    url = (await sqs.create_queue(QueueName="bench"))["QueueUrl"]
    await iam.create_user(UserName="worker")
    allow = {
        "Effect": "Allow",
        "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
        "Resource": QUEUE_ARN,
    }
    deny = {"Effect": "Deny", "Action": "sqs:DeleteQueue", "Resource": "*"}
    await iam.put_user_policy(
        UserName="worker", PolicyName="p", PolicyDocument=_policy(allow, deny)
    )
    key = (await iam.create_access_key(UserName="worker"))["AccessKey"]["AccessKeyId"]
    return url, key


async def _batched_round(eng: Engine, url: str, key: str, batches: int) -> float:
    sqs = eng.client("sqs")
    entries = [{"Id": str(i), "MessageBody": "x" * 100} for i in range(10)]
    with acting_as(key):
        started = time.perf_counter()
        for _ in range(batches):
            await sqs.send_message_batch(QueueUrl=url, Entries=entries)
            received = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            await sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(received["Messages"])
                ],
            )
        return batches * 10 / (time.perf_counter() - started)


async def _on_vs_off(messages: int) -> tuple[float, float]:
    async with Engine(clock=VirtualClock()) as eng:
        url, key = await _setup(eng)
        batches = messages // 10 // ROUNDS
        await _batched_round(eng, url, key, 10)  # warm caches and code paths
        best = {False: 0.0, True: 0.0}
        for round_ in range(ROUNDS * 2):
            enforce = round_ % 2 == 1
            eng.settings["iam.enforce"] = enforce
            best[enforce] = max(best[enforce], await _batched_round(eng, url, key, batches))
        return best[False], best[True]


async def _uncached_decisions(count: int) -> float:
    async with Engine(clock=VirtualClock()) as eng:
        await _setup(eng)
        authorizer = eng.service("iam").authorizer
        user = Principal("arn:aws:iam::123456789012:user/worker", "123456789012", "user")
        started = time.perf_counter()
        for _ in range(count):
            authorizer._cache.clear()  # noqa: SLF001 - what a policy change does
            authorizer.decide(user, "sqs:SendMessage", QUEUE_ARN)
        return count / (time.perf_counter() - started)


async def _fanout(messages: int, enforce: bool) -> float:
    async with Engine(clock=VirtualClock()) as eng:
        eng.settings["iam.enforce"] = enforce
        sns, sqs = eng.client("sns"), eng.client("sqs")
        topic = (await sns.create_topic(Name="t"))["TopicArn"]
        url = (await sqs.create_queue(QueueName="bench"))["QueueUrl"]
        grant = {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": QUEUE_ARN,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
        }
        await sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _policy(grant)})
        await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE_ARN)
        started = time.perf_counter()
        for _ in range(messages):
            await sns.publish(TopicArn=topic, Message="x")
        await eng.clock.settle()
        rate = messages / (time.perf_counter() - started)
        attributes = await sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        assert int(attributes["Attributes"]["ApproximateNumberOfMessages"]) == messages
        return rate


async def _esm(messages: int, enforce: bool) -> float:
    """Messages an SQS → Lambda mapping hands its function per second (the role is checked per poll)."""
    async with Engine(clock=VirtualClock()) as eng:
        iam, sqs = eng.client("iam"), eng.client("sqs")
        url = (await sqs.create_queue(QueueName="bench"))["QueueUrl"]
        trust = {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
        role = await iam.create_role(RoleName="fn", AssumeRolePolicyDocument=_policy(trust))
        read = {
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": QUEUE_ARN,
        }
        await iam.put_role_policy(RoleName="fn", PolicyName="read", PolicyDocument=_policy(read))
        seen = [0]

        def handler(event: dict, context: object) -> None:
            seen[0] += len(event["Records"])

        eng.register_function("sink", handler, Role=role["Role"]["Arn"])
        eng.settings["iam.enforce"] = enforce
        entries = [{"Id": str(i), "MessageBody": "x" * 100} for i in range(10)]
        for _ in range(messages // 10):
            await sqs.send_message_batch(QueueUrl=url, Entries=entries)
        started = time.perf_counter()
        await eng.client("lambda").create_event_source_mapping(
            EventSourceArn=QUEUE_ARN, FunctionName="sink", BatchSize=10
        )
        while seen[0] < messages:
            await eng.clock.advance(1)
        return messages / (time.perf_counter() - started)


async def main(quick: bool) -> dict:
    scale = 10 if quick else 1
    off, on = await _on_vs_off(120_000 // scale)
    fan_off = await _fanout(20_000 // scale, False)
    fan_on = await _fanout(20_000 // scale, True)
    esm = {False: 0.0, True: 0.0}
    for round_ in range(4):  # alternating, best of two each: warm-up and noise hit both alike
        enforce = round_ % 2 == 1
        esm[enforce] = max(esm[enforce], await _esm(10_000 // scale, enforce))
    esm_off, esm_on = esm[False], esm[True]
    return {
        "benchmark": "iam",
        "note": "machine shared with other work: compare ratios, not absolute rates",
        "sqs_batched_messages_per_s_enforcement_off": round(off),
        "sqs_batched_messages_per_s_enforcement_on": round(on),
        "enforced_vs_off_ratio": round(on / off, 3),
        "uncached_decisions_per_s": round(await _uncached_decisions(20_000 // scale)),
        "sns_to_sqs_deliveries_per_s_enforcement_off": round(fan_off),
        "sns_to_sqs_deliveries_per_s_enforcement_on": round(fan_on),
        "sqs_to_lambda_esm_messages_per_s_enforcement_off": round(esm_off),
        "sqs_to_lambda_esm_messages_per_s_enforcement_on": round(esm_on),
        "esm_enforced_vs_off_ratio": round(esm_on / esm_off, 3),
        "targets": TARGETS,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the work")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.quick)), indent=2))
