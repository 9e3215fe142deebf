"""SNS filter policy conformance: every recorded AWS answer in ../shared/conformance/sns/."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine import ServiceError

from .corpus import expected_failures, load_json, report, require_corpus

SUITE = "sns"


async def _queue(eng: Any, name: str) -> tuple[str, str]:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    attributes = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, attributes["Attributes"]["QueueArn"]


def _body_of(case: dict) -> str:
    if "message_body_file" in case:
        return require_corpus("sns", case["message_body_file"]).read_text()
    return case["message_body"]


async def _delivered(eng: Any, number: int, case: dict) -> bool:
    """Publish the case's message through a topic with one filtered SQS subscription."""
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name=f"policy-{number}"))["TopicArn"]
    url, queue_arn = await _queue(eng, f"policy-{number}")
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={
            "FilterPolicy": json.dumps(case["filter_policy"]),
            "FilterPolicyScope": case["scope"],
            "RawMessageDelivery": "true",
        },
    )
    message: dict[str, Any] = {"Message": _body_of(case)}
    if case.get("message_attributes"):
        message["MessageAttributes"] = case["message_attributes"]
    if case["publish_api"] == "PublishBatch":
        await sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "1", **message}])
    else:
        await sns.publish(TopicArn=topic, **message)
    received = await eng.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return bool(received.get("Messages"))


async def _validation(eng: Any, number: int, case: dict) -> tuple[str, str] | None:
    """The error (code, first line of message) a policy gets, or None when AWS-style accepted."""
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name=f"validation-{number}"))["TopicArn"]
    _, queue_arn = await _queue(eng, f"validation-{number}")
    text = case.get("filter_policy_text")
    if text is None and "filter_policy" in case:
        text = json.dumps(case["filter_policy"])
    try:
        if case["api"].startswith("Subscribe"):
            await sns.subscribe(
                TopicArn=topic,
                Protocol="sqs",
                Endpoint=queue_arn,
                Attributes={"FilterPolicy": text, "FilterPolicyScope": case["scope"]},
            )
            return None
        subscription = (await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn))[
            "SubscriptionArn"
        ]
        if "filter_policy_scope_value" in case:
            await sns.set_subscription_attributes(
                SubscriptionArn=subscription,
                AttributeName="FilterPolicyScope",
                AttributeValue=case["filter_policy_scope_value"],
            )
            return None
        if case["scope"] != "MessageAttributes":
            await sns.set_subscription_attributes(
                SubscriptionArn=subscription,
                AttributeName="FilterPolicyScope",
                AttributeValue=case["scope"],
            )
        await sns.set_subscription_attributes(
            SubscriptionArn=subscription, AttributeName="FilterPolicy", AttributeValue=text
        )
    except ServiceError as error:
        return error.code, error.message.split("\n", 1)[0]
    return None


async def test_sns_filter_policy_corpus(eng: Any) -> None:
    """Every delivery and validation case passes unless listed in expected_failures/sns.txt."""
    allowed = expected_failures(SUITE)
    failures: list[str] = []
    by_category: dict[str, tuple[int, int]] = {}
    deliveries = load_json("sns", "filter_policies.json")
    validations = load_json("sns", "filter_policy_validation.json")
    for number, case in enumerate(deliveries):
        got = await _delivered(eng, number, case)
        _record(by_category, "delivery", got == case["match"], case, got, case["match"])
        _check(failures, allowed, case["name"], got == case["match"], got, case["match"])
    for number, case in enumerate(validations):
        got = await _validation(eng, number, case)
        expected = None if case["valid"] else (case["error_code"], case["error_message"])
        _record(by_category, "validation", got == expected, case, got, expected)
        _check(failures, allowed, case["name"], got == expected, got, expected)
    passed = sum(ok for ok, _ in by_category.values())
    total = sum(count for _, count in by_category.values())
    print(report(SUITE, passed, total, by_category))
    if failures:
        pytest.fail("\n".join(failures))


def _record(by_category: dict[str, tuple[int, int]], category: str, ok: bool, *_: Any) -> None:
    done, total = by_category.get(category, (0, 0))
    by_category[category] = (done + ok, total + 1)


def _check(
    failures: list[str], allowed: dict[str, str], name: str, ok: bool, got: Any, expected: Any
) -> None:
    if not ok and name not in allowed:
        failures.append(f"{name}: got {got!r}, AWS {expected!r}")
    if ok and name in allowed:
        failures.append(f"{name} passes but is listed as an expected failure")
