"""IAM enforcement end to end: each enforced hop refused without the policy AWS needs, allowed with it."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError, VirtualClock
from engine.identity import acting_as

pytestmark = pytest.mark.timeout(60)

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/worker"


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


async def _queue(eng: Engine, name: str) -> tuple[str, str]:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    return url, f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


async def _count(eng: Engine, url: str) -> int:
    got = await eng.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return len(got.get("Messages", []))


def _denied(recorder) -> list:
    return [e for e in recorder.events if e.kind == "denied"]


def _enforce(eng: Engine) -> None:
    eng.settings["iam.enforce"] = True


async def _role(eng: Engine, *statements: dict) -> None:
    iam = eng.client("iam")
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": ["states.amazonaws.com", "pipes.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    )
    await iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust)
    if statements:
        await iam.put_role_policy(
            RoleName="worker", PolicyName="p", PolicyDocument=policy(*statements)
        )


async def test_enforcement_is_off_by_default(eng: Engine, clock: VirtualClock) -> None:
    sns = eng.client("sns")
    url, arn = await _queue(eng, "orders")
    topic = (await sns.create_topic(Name="events"))["TopicArn"]
    await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    await sns.publish(TopicArn=topic, Message="hi")
    await clock.settle()
    assert await _count(eng, url) == 1


async def test_sns_to_sqs_needs_the_queue_policy(eng: Engine, clock: VirtualClock) -> None:
    _enforce(eng)
    recorder = eng.trace.record()
    sns, sqs = eng.client("sns"), eng.client("sqs")
    url, arn = await _queue(eng, "orders")
    topic = (await sns.create_topic(Name="events"))["TopicArn"]
    await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sent = await sns.publish(TopicArn=topic, Message="refused")
    await clock.settle()
    assert await _count(eng, url) == 0
    [denied] = _denied(recorder)
    assert denied.resource == arn
    assert denied.detail["principal"] == "sns.amazonaws.com"
    assert denied.detail["action"] == "sqs:SendMessage"
    assert denied.detail["source"] == topic
    assert denied.detail["statement"] == "no statement allowed it"
    assert denied.message_id is None or denied.message_id == sent["MessageId"]

    queue_policy = policy(
        {
            "Sid": "topic-to-queue",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
        }
    )
    await sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": queue_policy})
    await sns.publish(TopicArn=topic, Message="allowed")
    await clock.settle()
    assert await _count(eng, url) == 1
    assert len(_denied(recorder)) == 1


async def test_sns_to_sqs_from_another_topic_is_refused(eng: Engine, clock: VirtualClock) -> None:
    _enforce(eng)
    sns, sqs = eng.client("sns"), eng.client("sqs")
    url, arn = await _queue(eng, "orders")
    allowed = (await sns.create_topic(Name="allowed"))["TopicArn"]
    other = (await sns.create_topic(Name="other"))["TopicArn"]
    grant = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": allowed}},
        }
    )
    await sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": grant})
    await sns.subscribe(TopicArn=other, Protocol="sqs", Endpoint=arn)
    await sns.publish(TopicArn=other, Message="x")
    await clock.settle()
    assert await _count(eng, url) == 0


async def test_eventbridge_to_lambda_needs_the_function_policy(
    eng: Engine, clock: VirtualClock
) -> None:
    _enforce(eng)
    recorder = eng.trace.record()
    received: list = []
    function = eng.register_function("fn", lambda event, context: received.append(event))
    events, lam = eng.client("events"), eng.client("lambda")
    rule = (await events.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]})))[
        "RuleArn"
    ]
    await events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": function}])
    entry = {"Source": "shop", "DetailType": "order", "Detail": "{}"}
    await events.put_events(Entries=[entry])
    await clock.advance(5)
    assert received == []
    [denied] = _denied(recorder)
    assert (denied.resource, denied.detail["source"]) == (function, rule)
    assert denied.detail["principal"] == "events.amazonaws.com"

    await lam.add_permission(
        FunctionName="fn",
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    await events.put_events(Entries=[entry])
    await clock.advance(5)
    assert len(received) == 1


async def test_s3_notification_configuration_is_refused_without_permission(eng: Engine) -> None:
    _enforce(eng)
    s3, sqs, lam = eng.client("s3"), eng.client("sqs"), eng.client("lambda")
    await s3.create_bucket(Bucket="uploads")
    url, arn = await _queue(eng, "uploads")
    config = {"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(ServiceError) as error:
        await s3.put_bucket_notification_configuration(
            Bucket="uploads", NotificationConfiguration=config
        )
    assert error.value.code == "InvalidArgument"
    assert error.value.message == "Unable to validate the following destination configurations"
    assert error.value.extra["ArgumentName"] == arn
    grant = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::uploads"}},
        }
    )
    await sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": grant})
    await s3.put_bucket_notification_configuration(
        Bucket="uploads", NotificationConfiguration=config
    )

    function = eng.register_function("on-upload", lambda event, context: None)
    lambda_config = {
        "LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": function, "Events": ["s3:ObjectRemoved:*"]}
        ]
    }
    with pytest.raises(ServiceError):
        await s3.put_bucket_notification_configuration(
            Bucket="uploads", NotificationConfiguration=lambda_config
        )
    await lam.add_permission(
        FunctionName="on-upload",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
        SourceAccount=ACCOUNT,
    )
    await s3.put_bucket_notification_configuration(
        Bucket="uploads", NotificationConfiguration=lambda_config
    )


async def test_s3_to_sns_notification_needs_the_topic_policy(eng: Engine) -> None:
    _enforce(eng)
    s3, sns = eng.client("s3"), eng.client("sns")
    await s3.create_bucket(Bucket="uploads")
    topic = (await sns.create_topic(Name="uploaded"))["TopicArn"]
    config = {"TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(ServiceError):
        await s3.put_bucket_notification_configuration(
            Bucket="uploads", NotificationConfiguration=config
        )
    grant = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "SNS:Publish",
            "Resource": topic,
        }
    )
    await sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=grant)
    await s3.put_bucket_notification_configuration(
        Bucket="uploads", NotificationConfiguration=config
    )


async def _machine(eng: Engine, url: str) -> str:
    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": url, "MessageBody": "from the workflow"},
                "End": True,
            }
        },
    }
    sfn = eng.client("stepfunctions")
    created = await sfn.create_state_machine(
        name="m", definition=json.dumps(definition), roleArn=ROLE
    )
    return created["stateMachineArn"]


async def test_step_functions_task_acts_with_its_execution_role(
    eng: Engine, clock: VirtualClock
) -> None:
    _enforce(eng)
    sfn = eng.client("stepfunctions")
    url, arn = await _queue(eng, "work")
    await _role(eng)
    machine = await _machine(eng, url)
    run = await sfn.start_execution(stateMachineArn=machine)
    await clock.advance(5)
    described = await sfn.describe_execution(executionArn=run["executionArn"])
    assert described["status"] == "FAILED"
    assert await _count(eng, url) == 0
    allow = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn}
    await eng.client("iam").put_role_policy(
        RoleName="worker", PolicyName="send", PolicyDocument=policy(allow)
    )
    run = await sfn.start_execution(stateMachineArn=machine)
    await clock.advance(5)
    described = await sfn.describe_execution(executionArn=run["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert await _count(eng, url) == 1


async def test_pipe_reaches_its_target_with_its_role(eng: Engine, clock: VirtualClock) -> None:
    _enforce(eng)
    recorder = eng.trace.record()
    source_url, source = await _queue(eng, "in")
    target_url, target = await _queue(eng, "out")
    await _role(eng)
    await eng.client("pipes").create_pipe(Name="p", Source=source, Target=target, RoleArn=ROLE)
    await eng.client("sqs").send_message(QueueUrl=source_url, MessageBody="one")
    await clock.advance(5)
    assert await _count(eng, target_url) == 0
    assert any(
        e.detail.get("principal", "").endswith("assumed-role/worker/p") for e in _denied(recorder)
    )
    allow = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": target}
    read = {"Effect": "Allow", "Action": "sqs:*Message*", "Resource": source}
    attributes = {"Effect": "Allow", "Action": "sqs:GetQueueAttributes", "Resource": source}
    await eng.client("iam").put_role_policy(
        RoleName="worker", PolicyName="send", PolicyDocument=policy(allow, read, attributes)
    )
    await eng.client("sqs").send_message(QueueUrl=source_url, MessageBody="two")
    await clock.advance(60)
    assert await _count(eng, target_url) >= 1


async def test_pipe_reads_its_source_with_its_role(eng: Engine, clock: VirtualClock) -> None:
    _enforce(eng)
    recorder = eng.trace.record()
    source_url, source = await _queue(eng, "in")
    target_url, target = await _queue(eng, "out")
    await _role(eng, {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": target})
    await eng.client("pipes").create_pipe(Name="p", Source=source, Target=target, RoleArn=ROLE)
    await eng.client("sqs").send_message(QueueUrl=source_url, MessageBody="one")
    await clock.advance(5)
    refused = [e for e in _denied(recorder) if e.resource == source]
    assert refused and refused[0].detail["action"] == "sqs:ReceiveMessage"
    assert refused[0].detail["principal"].endswith("assumed-role/worker/p")
    described = await eng.client("pipes").describe_pipe(Name="p")
    assert "AccessDenied" in described["StateReason"]
    visible = await eng.client("sqs").get_queue_attributes(
        QueueUrl=source_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert visible["Attributes"]["ApproximateNumberOfMessages"] == "1"  # never taken
    read = {
        "Effect": "Allow",
        "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        "Resource": source,
    }
    await eng.client("iam").put_role_policy(
        RoleName="worker", PolicyName="read", PolicyDocument=policy(read)
    )
    await clock.advance(30)
    assert await _count(eng, target_url) == 1


async def test_keyed_callers_act_as_their_user(eng: Engine) -> None:
    _enforce(eng)
    iam, sqs = eng.client("iam"), eng.client("sqs")
    url, arn = await _queue(eng, "orders")
    await iam.create_user(UserName="alice")
    key = (await iam.create_access_key(UserName="alice"))["AccessKey"]["AccessKeyId"]
    with acting_as(key), pytest.raises(ServiceError) as error:
        await sqs.send_message(QueueUrl=url, MessageBody="x")
    assert error.value.code == "AccessDenied"
    assert "arn:aws:iam::123456789012:user/alice is not authorized to perform: sqs:SendMessage" in (
        error.value.message
    )
    await iam.put_user_policy(
        UserName="alice",
        PolicyName="send",
        PolicyDocument=policy({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn}),
    )
    with acting_as(key):
        await sqs.send_message(QueueUrl=url, MessageBody="x")
        batch = [{"Id": "1", "MessageBody": "y"}]
        assert (await sqs.send_message_batch(QueueUrl=url, Entries=batch))["Successful"]
        with pytest.raises(ServiceError):
            await sqs.purge_queue(QueueUrl=url)
    with acting_as("AKIAUNKNOWNKEY"):
        await sqs.purge_queue(QueueUrl=url)  # unknown keys act as the lab's admin


async def test_queue_policy_can_grant_a_user_directly(eng: Engine) -> None:
    _enforce(eng)
    iam, sqs = eng.client("iam"), eng.client("sqs")
    url, arn = await _queue(eng, "orders")
    user = (await iam.create_user(UserName="bob"))["User"]["Arn"]
    key = (await iam.create_access_key(UserName="bob"))["AccessKey"]["AccessKeyId"]
    grant = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": user},
            "Action": "sqs:SendMessage",
            "Resource": arn,
        }
    )
    await sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": grant})
    with acting_as(key):
        await sqs.send_message(QueueUrl=url, MessageBody="x")


async def test_assume_role_needs_the_trust_policy_when_enforced(eng: Engine) -> None:
    _enforce(eng)
    iam, sts = eng.client("iam"), eng.client("sts")
    await _role(eng)
    await iam.create_user(UserName="alice")
    key = (await iam.create_access_key(UserName="alice"))["AccessKey"]["AccessKeyId"]
    with acting_as(key), pytest.raises(ServiceError) as error:
        await sts.assume_role(RoleArn=ROLE, RoleSessionName="s1")
    assert error.value.code == "AccessDenied"
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
            "Action": "sts:AssumeRole",
        }
    )
    await iam.update_assume_role_policy(RoleName="worker", PolicyDocument=trust)
    with acting_as(key):
        assumed = await sts.assume_role(RoleArn=ROLE, RoleSessionName="s1")
    assert assumed["AssumedRoleUser"]["Arn"].endswith("assumed-role/worker/s1")


async def test_decisions_are_cached_and_invalidated_by_policy_changes(eng: Engine) -> None:
    _enforce(eng)
    iam, sqs = eng.client("iam"), eng.client("sqs")
    url, arn = await _queue(eng, "orders")
    await iam.create_user(UserName="alice")
    key = (await iam.create_access_key(UserName="alice"))["AccessKey"]["AccessKeyId"]
    send = policy({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn})
    await iam.put_user_policy(UserName="alice", PolicyName="send", PolicyDocument=send)
    with acting_as(key):
        await sqs.send_message(QueueUrl=url, MessageBody="x")
    cache = eng.service("iam").authorizer._cache  # noqa: SLF001 - the cache is what is tested
    assert len(cache) == 1
    with acting_as(key):
        await sqs.send_message(QueueUrl=url, MessageBody="x")
    assert len(cache) == 1
    await iam.delete_user_policy(UserName="alice", PolicyName="send")
    assert not cache
    with acting_as(key), pytest.raises(ServiceError):
        await sqs.send_message(QueueUrl=url, MessageBody="x")


async def test_bucket_policy_grants_a_user_and_explicit_deny_wins(eng: Engine) -> None:
    _enforce(eng)
    iam, s3 = eng.client("iam"), eng.client("s3")
    await s3.create_bucket(Bucket="shared")
    user = (await iam.create_user(UserName="dana"))["User"]["Arn"]
    key = (await iam.create_access_key(UserName="dana"))["AccessKey"]["AccessKeyId"]
    with acting_as(key), pytest.raises(ServiceError):
        await s3.put_object(Bucket="shared", Key="in/a.txt", Body=b"x")
    bucket_policy = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": user},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::shared/in/*",
        },
        {
            "Sid": "NoSecrets",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::shared/secret/*",
        },
    )
    await s3.put_bucket_policy(Bucket="shared", Policy=bucket_policy)
    assert (await s3.get_bucket_policy(Bucket="shared"))["Policy"] == bucket_policy
    with acting_as(key):
        await s3.put_object(Bucket="shared", Key="in/a.txt", Body=b"x")
        with pytest.raises(ServiceError) as error:
            await s3.put_object(Bucket="shared", Key="secret/a.txt", Body=b"x")
    assert "explicit deny" in error.value.message
    await s3.delete_bucket_policy(Bucket="shared")
    with pytest.raises(ServiceError) as error:
        await s3.get_bucket_policy(Bucket="shared")
    assert error.value.code == "NoSuchBucketPolicy"


async def test_time_conditions_are_judged_on_the_engine_clock(eng: Engine, clock) -> None:
    _enforce(eng)
    iam, sqs = eng.client("iam"), eng.client("sqs")
    url, arn = await _queue(eng, "orders")
    await iam.create_user(UserName="temp")
    key = (await iam.create_access_key(UserName="temp"))["AccessKey"]["AccessKeyId"]
    until = "2026-01-01T00:01:00Z"  # the virtual clock starts at 2026-01-01T00:00:00Z
    send = {
        "Effect": "Allow",
        "Action": "sqs:SendMessage",
        "Resource": arn,
        "Condition": {"DateLessThan": {"aws:CurrentTime": until}},
    }
    await iam.put_user_policy(UserName="temp", PolicyName="p", PolicyDocument=policy(send))
    with acting_as(key):
        await sqs.send_message(QueueUrl=url, MessageBody="in time")
    await clock.advance(120)
    with acting_as(key), pytest.raises(ServiceError):
        await sqs.send_message(QueueUrl=url, MessageBody="too late")
