"""Policy evaluation, rule by rule, on examples from AWS's IAM documentation."""

from __future__ import annotations

import json

import pytest

from engine.iam_policy.conditions import condition_holds
from engine.iam_policy.evaluator import Principal, Request, Source, evaluate, service_principal

pytestmark = pytest.mark.timeout(30)

ACCOUNT = "123456789012"
OTHER = "111122223333"
ALICE = Principal(f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT, "user")
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = Principal(
    f"arn:aws:sts::{ACCOUNT}:assumed-role/app/worker", ACCOUNT, "assumed-role", ROLE_ARN
)
STRANGER = Principal(f"arn:aws:iam::{OTHER}:user/eve", OTHER, "user")
ROOT = Principal(f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, "root")
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:events"


def policy(*statements: dict, version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": list(statements)})


def identity(*statements: dict, **kw: str) -> list[Source]:
    return [Source("identity policy", policy(*statements, **kw))]


def resource(*statements: dict) -> Source:
    return Source("queue policy", policy(*statements), "resource")


def decide(principal: Principal, action: str, target: str, context=None, **policies):
    request = Request(principal, action, target, {k.lower(): v for k, v in (context or {}).items()})
    return evaluate(request, **policies)


ALLOW_SEND = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE}


# -- the decision flow -----------------------------------------------------------------------------
def test_default_is_implicit_deny() -> None:
    decision = decide(ALICE, "sqs:SendMessage", QUEUE)
    assert decision.verdict == "implicitDeny"
    assert decision.explain() == "no statement allowed it"


def test_identity_allow_allows() -> None:
    decision = decide(ALICE, "sqs:SendMessage", QUEUE, identity=identity(ALLOW_SEND))
    assert decision.allowed
    assert decision.explain() == "statement #0 of identity policy"


def test_explicit_deny_wins_over_any_allow() -> None:
    deny = {"Sid": "NoSend", "Effect": "Deny", "Action": "sqs:*", "Resource": "*"}
    decision = decide(
        ALICE,
        "sqs:SendMessage",
        QUEUE,
        identity=identity(ALLOW_SEND, deny),
        resource=resource({**ALLOW_SEND, "Principal": {"AWS": ALICE.arn}}),
    )
    assert decision.verdict == "explicitDeny"
    assert decision.explain() == 'statement "NoSend" of identity policy'


def test_deny_in_resource_policy_wins_over_identity_allow() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": QUEUE}
    decision = decide(
        ALICE, "sqs:SendMessage", QUEUE, identity=identity(ALLOW_SEND), resource=resource(deny)
    )
    assert decision.verdict == "explicitDeny"


def test_resource_policy_alone_allows_a_principal_it_names_in_the_same_account() -> None:
    grant = {**ALLOW_SEND, "Principal": {"AWS": ALICE.arn}}
    assert decide(ALICE, "sqs:SendMessage", QUEUE, resource=resource(grant)).allowed


def test_resource_policy_naming_the_account_needs_an_identity_allow() -> None:
    grant = {**ALLOW_SEND, "Principal": {"AWS": ACCOUNT}}
    assert not decide(ALICE, "sqs:SendMessage", QUEUE, resource=resource(grant)).allowed
    assert decide(
        ALICE, "sqs:SendMessage", QUEUE, resource=resource(grant), identity=identity(ALLOW_SEND)
    ).allowed


def test_cross_account_needs_both_sides() -> None:
    grant = {**ALLOW_SEND, "Principal": {"AWS": OTHER}}
    only_resource = decide(STRANGER, "sqs:SendMessage", QUEUE, resource=resource(grant))
    assert not only_resource.allowed
    assert "both" in only_resource.explain()
    only_identity = decide(STRANGER, "sqs:SendMessage", QUEUE, identity=identity(ALLOW_SEND))
    assert not only_identity.allowed
    assert decide(
        STRANGER,
        "sqs:SendMessage",
        QUEUE,
        identity=identity(ALLOW_SEND),
        resource=resource(grant),
    ).allowed


def test_service_principal_is_judged_by_the_resource_policy_only() -> None:
    sns = service_principal("sns.amazonaws.com")
    grant = {
        **ALLOW_SEND,
        "Principal": {"Service": "sns.amazonaws.com"},
        "Condition": {"ArnEquals": {"aws:SourceArn": TOPIC}},
    }
    ok = decide(sns, "sqs:SendMessage", QUEUE, {"aws:SourceArn": [TOPIC]}, resource=resource(grant))
    assert ok.allowed
    other_topic = decide(
        sns, "sqs:SendMessage", QUEUE, {"aws:SourceArn": [TOPIC + "-2"]}, resource=resource(grant)
    )
    assert other_topic.verdict == "implicitDeny"
    assert not decide(sns, "sqs:SendMessage", QUEUE).allowed


def test_role_session_matches_a_policy_naming_the_role() -> None:
    grant = {**ALLOW_SEND, "Principal": {"AWS": ROLE_ARN}}
    assert decide(SESSION, "sqs:SendMessage", QUEUE, resource=resource(grant)).allowed


def test_root_is_the_labs_admin_unless_a_resource_policy_denies() -> None:
    assert decide(ROOT, "sqs:DeleteQueue", QUEUE).allowed
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sqs:DeleteQueue", "Resource": QUEUE}
    assert not decide(ROOT, "sqs:DeleteQueue", QUEUE, resource=resource(deny)).allowed


def test_permissions_boundary_limits_identity_allows() -> None:
    everything = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    boundary = Source("boundary", policy({**ALLOW_SEND}), "boundary")
    inside = decide(
        ALICE, "sqs:SendMessage", QUEUE, identity=identity(everything), boundary=boundary
    )
    assert inside.allowed
    outside = decide(
        ALICE, "sqs:DeleteQueue", QUEUE, identity=identity(everything), boundary=boundary
    )
    assert outside.verdict == "implicitDeny"
    assert "boundary" in outside.explain()


def test_session_policy_limits_a_role_session() -> None:
    everything = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    session = [Source("session", policy(ALLOW_SEND), "session")]
    assert decide(
        SESSION, "sqs:SendMessage", QUEUE, identity=identity(everything), session=session
    ).allowed
    assert not decide(
        SESSION, "sqs:PurgeQueue", QUEUE, identity=identity(everything), session=session
    ).allowed


# -- elements ----------------------------------------------------------------------------------------
def test_action_wildcards_are_case_insensitive() -> None:
    stmt = {"Effect": "Allow", "Action": "SQS:Send*", "Resource": "*"}
    assert decide(ALICE, "sqs:SendMessageBatch", QUEUE, identity=identity(stmt)).allowed
    assert not decide(ALICE, "sqs:ReceiveMessage", QUEUE, identity=identity(stmt)).allowed
    single = {"Effect": "Allow", "Action": "s3:Get?bject", "Resource": "*"}
    assert decide(ALICE, "s3:GetObject", "arn:aws:s3:::b/k", identity=identity(single)).allowed


def test_not_action_allows_everything_else() -> None:
    # AWS's example: allow everything except IAM.
    stmt = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert decide(ALICE, "sqs:SendMessage", QUEUE, identity=identity(stmt)).allowed
    assert not decide(ALICE, "iam:CreateUser", "*", identity=identity(stmt)).allowed


def test_resource_wildcards_and_not_resource() -> None:
    bucket = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}
    assert decide(
        ALICE, "s3:GetObject", "arn:aws:s3:::photos/a/b.jpg", identity=identity(bucket)
    ).allowed
    assert not decide(
        ALICE, "s3:GetObject", "arn:aws:s3:::docs/a", identity=identity(bucket)
    ).allowed
    stmt = {"Effect": "Allow", "Action": "sqs:*", "NotResource": QUEUE}
    assert not decide(ALICE, "sqs:SendMessage", QUEUE, identity=identity(stmt)).allowed
    assert decide(ALICE, "sqs:SendMessage", QUEUE + "-2", identity=identity(stmt)).allowed


def test_not_principal_applies_to_everyone_else() -> None:
    deny = {
        "Effect": "Deny",
        "NotPrincipal": {"AWS": ALICE.arn},
        "Action": "sqs:SendMessage",
        "Resource": QUEUE,
    }
    allow_all = {**ALLOW_SEND, "Principal": "*"}
    assert decide(ALICE, "sqs:SendMessage", QUEUE, resource=resource(allow_all, deny)).allowed
    bob = Principal(f"arn:aws:iam::{ACCOUNT}:user/bob", ACCOUNT, "user")
    assert not decide(bob, "sqs:SendMessage", QUEUE, resource=resource(allow_all, deny)).allowed


def test_policy_variables_in_resources() -> None:
    # AWS's example: each user may use their own home folder.
    stmt = {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::home/${aws:username}/*",
    }
    context = {"aws:username": ["alice"]}
    assert decide(
        ALICE, "s3:PutObject", "arn:aws:s3:::home/alice/x", context, identity=identity(stmt)
    ).allowed
    assert not decide(
        ALICE, "s3:PutObject", "arn:aws:s3:::home/bob/x", context, identity=identity(stmt)
    ).allowed


def test_policy_variables_are_literal_in_version_2008() -> None:
    stmt = {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}
    decision = decide(
        ALICE,
        "s3:PutObject",
        "arn:aws:s3:::home/alice/x",
        {"aws:username": ["alice"]},
        identity=identity(stmt, version="2008-10-17"),
    )
    assert not decision.allowed


def test_missing_variable_matches_nothing_and_default_fills_in() -> None:
    stmt = {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::t/${aws:PrincipalTag/team}/*",
    }
    assert not decide(ALICE, "s3:PutObject", "arn:aws:s3:::t/a/x", identity=identity(stmt)).allowed
    with_default = {**stmt, "Resource": "arn:aws:s3:::t/${aws:PrincipalTag/team, 'none'}/*"}
    assert decide(
        ALICE, "s3:PutObject", "arn:aws:s3:::t/none/x", identity=identity(with_default)
    ).allowed


def test_statement_positions_for_the_simulator() -> None:
    # The document and positions AWS's SimulatePrincipalPolicy reported for it.
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {"Sid": "", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
        }
    )
    statement = Source("p", text).policy.statements[0]
    assert (statement.start, statement.end) == ((1, 41), (1, 113))


# -- conditions -------------------------------------------------------------------------------------
CASES = [
    # (operator, key, policy value, context values, expected)
    ("StringEquals", "aws:username", "alice", ["alice"], True),
    ("StringEquals", "aws:username", "alice", ["Alice"], False),
    ("StringEqualsIgnoreCase", "aws:username", "alice", ["ALICE"], True),
    ("StringNotEquals", "aws:username", ["bob", "carol"], ["alice"], True),
    ("StringNotEquals", "aws:username", ["alice"], ["alice"], False),
    ("StringNotEquals", "aws:username", ["alice"], None, True),  # negated: absent key holds
    ("StringLike", "s3:prefix", "home/*", ["home/alice/"], True),
    ("StringLike", "s3:prefix", "home/?", ["home/ab"], False),
    ("StringNotLike", "s3:prefix", "home/*", ["tmp/x"], True),
    ("StringEquals", "aws:username", "alice", None, False),  # absent key fails
    ("StringEqualsIfExists", "aws:username", "alice", None, True),
    ("StringEqualsIfExists", "aws:username", "alice", ["bob"], False),
    ("NumericLessThan", "s3:max-keys", "10", ["9"], True),
    ("NumericLessThanEquals", "s3:max-keys", "10", ["10"], True),
    ("NumericGreaterThan", "s3:max-keys", "10", ["10"], False),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", ["11"], True),
    ("NumericEquals", "s3:max-keys", "10", ["ten"], False),
    ("NumericNotEquals", "s3:max-keys", "10", ["11"], True),
    ("DateLessThan", "aws:CurrentTime", "2026-06-30T00:00:00Z", ["2026-01-01T00:00:00Z"], True),
    ("DateGreaterThan", "aws:CurrentTime", "2026-06-30T00:00:00Z", ["2026-01-01T00:00:00Z"], False),
    ("DateEquals", "aws:EpochTime", "1767225600", ["2026-01-01T00:00:00Z"], True),
    ("DateNotEquals", "aws:EpochTime", "1767225600", ["1767225601"], True),
    ("DateLessThanEquals", "aws:CurrentTime", "2026-01-01", ["2026-01-01T00:00:00Z"], True),
    ("DateGreaterThanEquals", "aws:CurrentTime", "2026-01-01", ["2025-12-31T23:59:59Z"], False),
    ("Bool", "aws:SecureTransport", "false", ["false"], True),
    ("Bool", "aws:MultiFactorAuthPresent", True, ["true"], True),
    ("Bool", "aws:SecureTransport", "true", ["false"], False),
    ("BinaryEquals", "key", "QmluYXJ5VmFsdWU=", ["QmluYXJ5VmFsdWU="], True),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", ["203.0.113.7"], True),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", ["198.51.100.7"], False),
    ("IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64", ["2001:db8:1234:5678::1"], True),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", ["198.51.100.7"], True),
    ("ArnEquals", "aws:SourceArn", TOPIC, [TOPIC], True),
    ("ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:*", [TOPIC], True),
    ("ArnLike", "aws:SourceArn", "arn:aws:sns:*:111122223333:*", [TOPIC], False),
    ("ArnNotEquals", "aws:SourceArn", TOPIC, [TOPIC], False),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:sqs:*", [TOPIC], True),
    ("Null", "aws:TokenIssueTime", "true", None, True),
    ("Null", "aws:TokenIssueTime", "false", None, False),
    ("Null", "aws:TokenIssueTime", "false", ["2026-01-01T00:00:00Z"], True),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["a", "b"], ["b", "z"], True),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["a", "b"], ["z"], False),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["a"], None, False),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], ["a", "b"], True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], ["a", "z"], False),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a"], None, True),  # empty set: true
    ("ForAllValues:StringLike", "aws:TagKeys", ["env*"], ["env", "environment"], True),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["a"], ["a", "b"], True),
]


@pytest.mark.parametrize(("operator", "key", "wanted", "actual", "expected"), CASES)
def test_condition_operators(operator, key, wanted, actual, expected) -> None:
    context = {key.lower(): actual} if actual is not None else {}
    assert condition_holds(operator, key, wanted, context) is expected


def test_condition_keys_are_case_insensitive_and_blocks_are_anded() -> None:
    stmt = {
        **ALLOW_SEND,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:sourcearn": "arn:aws:sns:*:*:events"},
        },
        "Principal": {"Service": "sns.amazonaws.com"},
    }
    sns = service_principal("sns.amazonaws.com")
    both = {"aws:SourceAccount": [ACCOUNT], "aws:SourceArn": [TOPIC]}
    assert decide(sns, "sqs:SendMessage", QUEUE, both, resource=resource(stmt)).allowed
    one = {"aws:SourceAccount": [ACCOUNT], "aws:SourceArn": [TOPIC + "x"]}
    assert not decide(sns, "sqs:SendMessage", QUEUE, one, resource=resource(stmt)).allowed


def test_multiple_values_for_one_key_are_ored() -> None:
    stmt = {
        **ALLOW_SEND,
        "Condition": {"StringEquals": {"aws:username": ["bob", "alice"]}},
    }
    assert decide(
        ALICE, "sqs:SendMessage", QUEUE, {"aws:username": ["alice"]}, identity=identity(stmt)
    ).allowed


def test_condition_values_take_policy_variables() -> None:
    stmt = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::home",
        "Condition": {"StringLike": {"s3:prefix": "${aws:username}/*"}},
    }
    ctx = {"aws:username": ["alice"], "s3:prefix": ["alice/docs"]}
    assert decide(ALICE, "s3:ListBucket", "arn:aws:s3:::home", ctx, identity=identity(stmt)).allowed
    ctx["s3:prefix"] = ["bob/docs"]
    assert not decide(
        ALICE, "s3:ListBucket", "arn:aws:s3:::home", ctx, identity=identity(stmt)
    ).allowed


def test_odd_documents_never_raise() -> None:
    odd = [
        "not json",
        "[]",
        '{"Statement": "x"}',
        '{"Statement": [{"Effect": "Allow"}]}',
        '{"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}',
        '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Nope": {}}}]}',
        '{"Statement": [{"Effect": "Allow", "Action": 3, "Resource": "*"}]}',
    ]
    for text in odd:
        decision = decide(ALICE, "sqs:SendMessage", QUEUE, resource=Source("odd", text, "resource"))
        assert decision.verdict == "implicitDeny"
