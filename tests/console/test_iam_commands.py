"""`iam enforce` and `why`: the lab's permission switch and the explanation of a refusal."""

from __future__ import annotations

import json

import pytest

from .conftest import plain

pytestmark = pytest.mark.timeout(60)


async def test_iam_enforce_shows_and_flips_the_switch(run, console) -> None:
    shown = await run("iam enforce")
    assert shown.ok and shown.value == {"enforce": False}
    assert "IAM enforcement is off" in plain(shown.output)
    turned = await run("iam enforce on")
    assert turned.value == {"enforce": True}
    assert console.engine.settings["iam.enforce"] is True
    assert (await run("iam enforce")).value == {"enforce": True}
    await run("iam enforce off")
    assert console.engine.settings["iam.enforce"] is False


async def test_iam_enforce_refuses_bad_words(run) -> None:
    result = await run("iam enforce maybe")
    assert not result.ok
    assert result.error == "usage: iam enforce on|off (no word: show)"


async def test_iam_operations_still_reach_the_service(run) -> None:
    result = await run("iam create-user --user-name alice")
    assert result.ok
    assert result.value["User"]["Arn"] == "arn:aws:iam::123456789012:user/alice"
    assert (await run("sts get-caller-identity")).value["Arn"].endswith(":root")


async def test_why_explains_a_refused_delivery(run) -> None:
    await run("iam enforce on")
    await run("sqs create-queue --queue-name orders")
    topic = (await run("sns create-topic --name events")).value["TopicArn"]
    queue = "arn:aws:sqs:us-east-1:123456789012:orders"
    await run(f"sns subscribe --topic-arn {topic} --protocol sqs --notification-endpoint {queue}")
    published = await run(f"sns publish --topic-arn {topic} --message hi")
    by_message = await run(f"why {published.value['MessageId']}")
    assert by_message.ok, by_message.error
    assert by_message.value["resource"] == queue
    result = await run("why orders")
    assert result.ok, result.error
    text = plain(result.output)
    assert "sns.amazonaws.com" in text
    assert "was refused sqs:SendMessage" in text
    assert "implicitDeny" in text
    assert f'"aws:SourceArn": "{topic}"' in text
    assert result.value["statement"] == "no statement allowed it"
    assert (await run(f"why {topic}")).value["resource"] == queue
    assert (await run("why")).value["resource"] == queue  # no word: the latest refusal


async def test_why_names_the_denying_statement(run) -> None:
    await run("iam enforce on")
    await run("sqs create-queue --queue-name orders")
    topic = (await run("sns create-topic --name events")).value["TopicArn"]
    queue = "arn:aws:sqs:us-east-1:123456789012:orders"
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoTopics",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:SendMessage",
                "Resource": queue,
            }
        ],
    }
    attributes = json.dumps({"Policy": json.dumps(deny)})
    assert (
        await run(f"sqs set-queue-attributes --queue-url orders --attributes '{attributes}'")
    ).ok
    await run(f"sns subscribe --topic-arn {topic} --protocol sqs --notification-endpoint {queue}")
    await run(f"sns publish --topic-arn {topic} --message hi")
    text = plain((await run(f"why {queue}")).output)
    assert 'statement "NoTopics" of queue policy' in text
    assert "explicit deny always wins" in text


async def test_why_without_a_refusal_says_so(run) -> None:
    result = await run("why orders")
    assert not result.ok
    assert "IAM enforcement is off" in result.error
    await run("iam enforce on")
    await run("iam list-users")
    missing = await run("why nothing-here")
    assert missing.error == "why: no refused request involves nothing-here (IAM enforcement is on)"
    latest = await run("why")
    assert latest.error == "why: no refused request was recorded (IAM enforcement is on)"
