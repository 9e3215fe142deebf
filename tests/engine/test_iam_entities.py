"""IAM's entities, validation, quotas and errors; STS sessions and who a key belongs to."""

from __future__ import annotations

import json

import pytest

from engine import ServiceError
from engine.identity import acting_as

pytestmark = pytest.mark.timeout(60)

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
            {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"},
        ],
    }
)


def doc(action: str = "sqs:SendMessage", resource: str = "*", effect: str = "Allow") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Action": action, "Resource": resource}],
        }
    )


async def _code(awaitable) -> str:
    with pytest.raises(ServiceError) as error:
        await awaitable
    return error.value.code


async def test_users_groups_and_membership(eng) -> None:
    iam = eng.client("iam")
    user = (await iam.create_user(UserName="alice", Path="/team/"))["User"]
    assert user["Arn"] == "arn:aws:iam::123456789012:user/team/alice"
    assert user["UserId"].startswith("AIDA")
    assert await _code(iam.create_user(UserName="ALICE")) == "EntityAlreadyExists"
    assert await _code(iam.get_user(UserName="nobody")) == "NoSuchEntity"
    await iam.create_group(GroupName="devs")
    await iam.add_user_to_group(GroupName="devs", UserName="alice")
    group = await iam.get_group(GroupName="devs")
    assert [u["UserName"] for u in group["Users"]] == ["alice"]
    assert await _code(iam.delete_group(GroupName="devs")) == "DeleteConflict"
    assert await _code(iam.delete_user(UserName="alice")) == "DeleteConflict"
    await iam.remove_user_from_group(GroupName="devs", UserName="alice")
    await iam.delete_user(UserName="alice")
    assert (await iam.list_users())["Users"] == []


async def test_names_follow_the_models_patterns(eng) -> None:
    iam = eng.client("iam")
    with pytest.raises(ServiceError) as error:
        await iam.create_role(RoleName="has space", AssumeRolePolicyDocument=TRUST)
    assert error.value.code == "ValidationError"
    assert "regular expression pattern" in error.value.message


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "This policy contains invalid Json"),
        ('{"Version": "2012-10-17"}', "Syntax errors in policy."),
        (
            '{"Version": "2011-01-01", "Statement": []}',
            "The policy must contain a valid version string",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}',
            "Policy statement must contain actions.",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*"}]}',
            "Policy statement must contain resources.",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s:a", "Resource": "*"}]}',
            "Syntax errors in policy.",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "send", "Resource": "*"}]}',
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s:a", "Resource": "*"}]}',
            "Policy document should not specify a principal.",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s:a", "Resource": "bucket"}]}',
            'Resource bucket must be in ARN format or "*".',
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Sid": "a", "Effect": "Allow", "Action": "s:a", "Resource": "*"},'
            ' {"Sid": "a", "Effect": "Allow", "Action": "s:b", "Resource": "*"}]}',
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s:a", "Resource": "*",'
            ' "Condition": {"StringEqualz": {"aws:username": "a"}}}]}',
            "Syntax errors in policy.",
        ),
    ],
)
async def test_policy_grammar(eng, document: str, message: str) -> None:
    iam = eng.client("iam")
    with pytest.raises(ServiceError) as error:
        await iam.create_policy(PolicyName="p", PolicyDocument=document)
    assert (error.value.code, error.value.message) == ("MalformedPolicyDocument", message)
    assert (await iam.list_policies(Scope="Local"))["Policies"] == []


async def test_trust_policies_need_a_principal_and_no_resource(eng) -> None:
    iam = eng.client("iam")
    no_principal = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}'
    )
    assert await _code(iam.create_role(RoleName="r", AssumeRolePolicyDocument=no_principal)) == (
        "MalformedPolicyDocument"
    )
    role = (await iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST))["Role"]
    assert role["Arn"] == "arn:aws:iam::123456789012:role/r"
    got = (await iam.get_role(RoleName="r"))["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(TRUST)


async def test_policy_versions_default_and_limit_of_five(eng) -> None:
    iam = eng.client("iam")
    arn = (await iam.create_policy(PolicyName="p", PolicyDocument=doc()))["Policy"]["Arn"]
    for n in range(2, 6):
        version = await iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(f"sqs:A{n}"))
        assert version["PolicyVersion"]["VersionId"] == f"v{n}"
    assert await _code(iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc())) == (
        "LimitExceeded"
    )
    await iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    assert (await iam.get_policy(PolicyArn=arn))["Policy"]["DefaultVersionId"] == "v3"
    assert await _code(iam.delete_policy_version(PolicyArn=arn, VersionId="v3")) == "DeleteConflict"
    await iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    versions = (await iam.list_policy_versions(PolicyArn=arn))["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2"]
    got = await iam.get_policy_version(PolicyArn=arn, VersionId="v3")
    assert got["PolicyVersion"]["Document"]["Statement"][0]["Action"] == "sqs:A3"


async def test_attach_detach_and_delete_conflicts(eng) -> None:
    iam = eng.client("iam")
    await iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    arns = []
    for n in range(11):
        arn = (await iam.create_policy(PolicyName=f"p{n}", PolicyDocument=doc()))["Policy"]["Arn"]
        arns.append(arn)
    for arn in arns[:10]:
        await iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    assert await _code(iam.attach_role_policy(RoleName="r", PolicyArn=arns[10])) == "LimitExceeded"
    assert await _code(iam.delete_policy(PolicyArn=arns[0])) == "DeleteConflict"
    assert await _code(iam.delete_role(RoleName="r")) == "DeleteConflict"
    attached = (await iam.list_attached_role_policies(RoleName="r"))["AttachedPolicies"]
    assert len(attached) == 10
    policy = (await iam.get_policy(PolicyArn=arns[0]))["Policy"]
    assert policy["AttachmentCount"] == 1
    for arn in arns[:10]:
        await iam.detach_role_policy(RoleName="r", PolicyArn=arn)
    assert await _code(iam.detach_role_policy(RoleName="r", PolicyArn=arns[0])) == "NoSuchEntity"
    await iam.put_role_policy(RoleName="r", PolicyName="inline", PolicyDocument=doc())
    assert await _code(iam.delete_role(RoleName="r")) == "DeleteConflict"
    await iam.delete_role_policy(RoleName="r", PolicyName="inline")
    await iam.delete_role(RoleName="r")


async def test_instance_profiles_hold_one_role(eng) -> None:
    iam = eng.client("iam")
    await iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    await iam.create_instance_profile(InstanceProfileName="ip", Tags=[{"Key": "k", "Value": "v"}])
    await iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="r")
    profile = (await iam.get_instance_profile(InstanceProfileName="ip"))["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["r"]
    assert await _code(iam.delete_role(RoleName="r")) == "DeleteConflict"
    assert await _code(iam.delete_instance_profile(InstanceProfileName="ip")) == "DeleteConflict"
    await iam.remove_role_from_instance_profile(InstanceProfileName="ip", RoleName="r")
    await iam.delete_instance_profile(InstanceProfileName="ip")


async def test_access_keys_map_to_their_user_and_expire_with_sessions(eng, clock) -> None:
    iam, sts = eng.client("iam"), eng.client("sts")
    service = eng.service("iam")
    await iam.create_user(UserName="alice")
    key = (await iam.create_access_key(UserName="alice"))["AccessKey"]
    await iam.create_access_key(UserName="alice")
    assert await _code(iam.create_access_key(UserName="alice")) == "LimitExceeded"
    assert service.identity_for_access_key(key["AccessKeyId"]) == (
        "arn:aws:iam::123456789012:user/alice",
        key["SecretAccessKey"],
    )
    await iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert service.identity_for_access_key(key["AccessKeyId"]) is None
    assert service.identity_for_access_key("AKIAUNKNOWN") is None
    role = (await iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST))["Role"]
    assumed = await sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=900)
    temporary = assumed["Credentials"]
    assert service.identity_for_access_key(temporary["AccessKeyId"]) == (
        "arn:aws:sts::123456789012:assumed-role/app/s1",
        temporary["SecretAccessKey"],
    )
    assert service.session_token_for(temporary["AccessKeyId"]) == temporary["SessionToken"]
    with acting_as(temporary["AccessKeyId"]):
        assert (await sts.get_caller_identity())["Arn"].endswith("assumed-role/app/s1")
    await clock.advance(901)
    assert service.identity_for_access_key(temporary["AccessKeyId"]) is None
    with acting_as(temporary["AccessKeyId"]):
        assert (await sts.get_caller_identity())["Arn"] == "arn:aws:iam::123456789012:root"


async def test_assume_role_checks_the_arn_and_duration(eng) -> None:
    iam, sts = eng.client("iam"), eng.client("sts")
    role = (await iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST))["Role"]
    with pytest.raises(ServiceError) as error:
        await sts.assume_role(RoleArn="nothing-valid-in-here", RoleSessionName="s1")
    assert (error.value.code, error.value.message) == (
        "ValidationError",
        "nothing-valid-in-here is invalid",
    )
    assert await _code(sts.assume_role(RoleArn=role["Arn"] + "x", RoleSessionName="s1")) == (
        "AccessDenied"
    )
    assert (
        await _code(
            sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=7200)
        )
        == "ValidationError"
    )
    with pytest.raises(ServiceError) as error:
        await sts.assume_role(
            RoleArn=role["Arn"],
            RoleSessionName="s1",
            Tags=[{"Key": "a", "Value": "1"}],
            TransitiveTagKeys=["b"],
        )
    assert error.value.code == "InvalidParameterValue"


async def test_get_session_token_keeps_the_users_identity(eng) -> None:
    iam, sts = eng.client("iam"), eng.client("sts")
    await iam.create_user(UserName="alice")
    key = (await iam.create_access_key(UserName="alice"))["AccessKey"]
    with acting_as(key["AccessKeyId"]):
        token = (await sts.get_session_token())["Credentials"]
    with acting_as(token["AccessKeyId"]):
        assert (await sts.get_caller_identity())["Arn"] == "arn:aws:iam::123456789012:user/alice"


async def test_account_authorization_details_and_simulator(eng) -> None:
    iam = eng.client("iam")
    await iam.create_user(UserName="alice")
    await iam.create_group(GroupName="devs")
    await iam.add_user_to_group(GroupName="devs", UserName="alice")
    await iam.put_group_policy(GroupName="devs", PolicyName="send", PolicyDocument=doc())
    details = await iam.get_account_authorization_details()
    assert details["UserDetailList"][0]["GroupList"] == ["devs"]
    assert details["GroupDetailList"][0]["GroupPolicyList"][0]["PolicyName"] == "send"
    results = (
        await iam.simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::123456789012:user/alice",
            ActionNames=["sqs:SendMessage", "sqs:DeleteQueue"],
        )
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "implicitDeny"]
    custom = await iam.simulate_custom_policy(
        PolicyInputList=[doc("s3:*"), doc("s3:DeleteObject", effect="Deny")],
        ActionNames=["s3:GetObject", "s3:DeleteObject"],
        ResourceArns=["arn:aws:s3:::b/k"],
    )
    assert [r["EvalDecision"] for r in custom["EvaluationResults"]] == ["allowed", "explicitDeny"]


async def test_service_linked_roles_follow_aws_naming(eng) -> None:
    iam = eng.client("iam")
    role = (await iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com"))["Role"]
    assert role["RoleName"] == "AWSServiceRoleForBatch"
    assert role["Path"] == "/aws-service-role/batch.amazonaws.com/"
    attached = await iam.list_attached_role_policies(RoleName="AWSServiceRoleForBatch")
    assert [p["PolicyName"] for p in attached["AttachedPolicies"]] == ["BatchServiceRolePolicy"]
    with pytest.raises(ServiceError) as error:
        await iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    assert error.value.code == "InvalidInput"
    with pytest.raises(ServiceError) as error:
        await iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com", CustomSuffix="x")
    assert error.value.message == "Custom suffix is not allowed for ecs.amazonaws.com"
    assert await _code(iam.delete_role(RoleName="AWSServiceRoleForBatch")) == "UnmodifiableEntity"
    task = (await iam.delete_service_linked_role(RoleName="AWSServiceRoleForBatch"))[
        "DeletionTaskId"
    ]
    status = await iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "SUCCEEDED"


async def test_common_aws_managed_policies_can_be_attached(eng) -> None:
    iam = eng.client("iam")
    await iam.create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST)
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    await iam.attach_role_policy(RoleName="fn", PolicyArn=arn)
    policy = (await iam.get_policy(PolicyArn=arn))["Policy"]
    assert (policy["PolicyName"], policy["AttachmentCount"]) == ("AWSLambdaBasicExecutionRole", 1)
    version = await iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    actions = version["PolicyVersion"]["Document"]["Statement"][0]["Action"]
    assert "logs:PutLogEvents" in actions
    assert (await iam.list_policies(Scope="Local"))["Policies"] == []
    with pytest.raises(ServiceError) as error:
        await iam.attach_role_policy(RoleName="fn", PolicyArn="longpolicynamebutnoarn")
    assert error.value.message == "Invalid ARN:  Could not be parsed!"


async def test_dump_and_load_keep_entities_keys_and_attachments(eng) -> None:
    from engine import Engine, VirtualClock

    iam = eng.client("iam")
    await iam.create_user(UserName="alice")
    key = (await iam.create_access_key(UserName="alice"))["AccessKey"]
    await iam.create_group(GroupName="devs")
    await iam.add_user_to_group(GroupName="devs", UserName="alice")
    arn = (await iam.create_policy(PolicyName="p", PolicyDocument=doc()))["Policy"]["Arn"]
    await iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    await iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    saved = json.loads(json.dumps(eng.service("iam").dump()))
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.service("iam").load(saved)
        again = fresh.client("iam")
        assert (await again.get_group(GroupName="devs"))["Users"][0]["UserName"] == "alice"
        assert (await again.get_policy(PolicyArn=arn))["Policy"]["AttachmentCount"] == 1
        assert fresh.service("iam").identity_for_access_key(key["AccessKeyId"]) == (
            "arn:aws:iam::123456789012:user/alice",
            key["SecretAccessKey"],
        )
