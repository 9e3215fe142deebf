"""Secrets Manager: secrets, versions and staging labels, deletion windows, rotation, passwords."""

from __future__ import annotations

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

TOKEN_A = "a" * 32
TOKEN_B = "b" * 32


async def test_create_get_and_versions_move_labels(eng):
    sm = eng.client("secretsmanager")
    created = await sm.create_secret(Name="db/pass", SecretString="one", ClientRequestToken=TOKEN_A)
    assert created["ARN"].startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:db/pass-"
    )
    assert created["VersionId"] == TOKEN_A
    put = await sm.put_secret_value(
        SecretId="db/pass", SecretString="two", ClientRequestToken=TOKEN_B
    )
    assert put["VersionStages"] == ["AWSCURRENT"]
    assert (await sm.get_secret_value(SecretId=created["ARN"]))["SecretString"] == "two"
    previous = await sm.get_secret_value(SecretId="db/pass", VersionStage="AWSPREVIOUS")
    assert previous["SecretString"] == "one" and previous["VersionId"] == TOKEN_A
    # A partial ARN (without the random suffix) names the secret too.
    partial = created["ARN"][:-7]
    assert (await sm.describe_secret(SecretId=partial))["VersionIdsToStages"] == {
        TOKEN_A: ["AWSPREVIOUS"],
        TOKEN_B: ["AWSCURRENT"],
    }
    # The same token with the same value is idempotent; with another value it is refused.
    again = await sm.put_secret_value(
        SecretId="db/pass", SecretString="two", ClientRequestToken=TOKEN_B
    )
    assert again["VersionId"] == TOKEN_B
    with pytest.raises(ServiceError) as error:
        await sm.put_secret_value(SecretId="db/pass", SecretString="x", ClientRequestToken=TOKEN_B)
    assert error.value.code == "ResourceExistsException"


async def test_errors_are_aws(eng):
    sm = eng.client("secretsmanager")
    with pytest.raises(ServiceError) as error:
        await sm.get_secret_value(SecretId="missing")
    assert error.value.code == "ResourceNotFoundException"
    await sm.create_secret(Name="s")
    with pytest.raises(ServiceError) as error:
        await sm.get_secret_value(SecretId="s")
    assert "staging label: AWSCURRENT" in error.value.message
    with pytest.raises(ServiceError) as error:
        await sm.create_secret(Name="s", SecretString="x")
    assert error.value.code == "ResourceExistsException"
    with pytest.raises(ServiceError) as error:
        await sm.create_secret(Name="t", SecretString="x", SecretBinary=b"y")
    assert error.value.code == "InvalidParameterException"
    assert "s" not in [s["Name"] for s in (await sm.list_secrets())["SecretList"]] or True
    assert [s["Name"] for s in (await sm.list_secrets())["SecretList"]] == ["s"]


async def test_deletion_window_restore_and_force(eng, clock):
    sm = eng.client("secretsmanager")
    await sm.create_secret(Name="s", SecretString="v")
    with pytest.raises(ServiceError) as error:
        await sm.delete_secret(
            SecretId="s", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True
        )
    assert error.value.code == "InvalidParameterException"
    deleted = await sm.delete_secret(SecretId="s", RecoveryWindowInDays=7)
    assert deleted["DeletionDate"].timestamp() == pytest.approx(clock.now() + 7 * 86400)
    with pytest.raises(ServiceError) as error:
        await sm.get_secret_value(SecretId="s")
    assert error.value.code == "InvalidRequestException"
    assert (await sm.list_secrets())["SecretList"] == []
    assert len((await sm.list_secrets(IncludePlannedDeletion=True))["SecretList"]) == 1
    await sm.restore_secret(SecretId="s")
    assert (await sm.get_secret_value(SecretId="s"))["SecretString"] == "v"
    await sm.delete_secret(SecretId="s", RecoveryWindowInDays=7)
    await clock.advance(7 * 86400 + 1)
    with pytest.raises(ServiceError) as error:
        await sm.describe_secret(SecretId="s")
    assert error.value.code == "ResourceNotFoundException"
    await sm.create_secret(Name="f", SecretString="v")
    await sm.delete_secret(SecretId="f", ForceDeleteWithoutRecovery=True)
    await sm.create_secret(Name="f", SecretString="w")


async def test_update_version_stage_and_list_versions(eng):
    sm = eng.client("secretsmanager")
    await sm.create_secret(Name="s", SecretString="1", ClientRequestToken=TOKEN_A)
    await sm.put_secret_value(
        SecretId="s", SecretString="2", ClientRequestToken=TOKEN_B, VersionStages=["STAGED"]
    )
    assert (await sm.get_secret_value(SecretId="s"))["SecretString"] == "1"
    with pytest.raises(ServiceError):
        await sm.update_secret_version_stage(
            SecretId="s", VersionStage="AWSCURRENT", MoveToVersionId=TOKEN_B
        )
    await sm.update_secret_version_stage(
        SecretId="s",
        VersionStage="AWSCURRENT",
        MoveToVersionId=TOKEN_B,
        RemoveFromVersionId=TOKEN_A,
    )
    versions = {
        v["VersionId"]: v["VersionStages"]
        for v in (await sm.list_secret_version_ids(SecretId="s"))["Versions"]
    }
    assert versions == {TOKEN_A: ["AWSPREVIOUS"], TOKEN_B: ["AWSCURRENT", "STAGED"]}


async def test_rotation_runs_four_steps_and_schedule(eng, clock):
    sm = eng.client("secretsmanager")
    steps: list[str] = []

    async def rotate(event, context):
        steps.append(event["Step"])
        token = event["ClientRequestToken"]
        if event["Step"] == "createSecret":
            described = await sm.describe_secret(SecretId=event["SecretId"])
            assert described["VersionIdsToStages"][token] == ["AWSPENDING"]
            await sm.put_secret_value(
                SecretId=event["SecretId"],
                ClientRequestToken=token,
                SecretString=f"rotated-{len(steps)}",
                VersionStages=["AWSPENDING"],
            )
        elif event["Step"] == "finishSecret":
            current = (await sm.describe_secret(SecretId=event["SecretId"]))["VersionIdsToStages"]
            old = next(v for v, stages in current.items() if "AWSCURRENT" in stages)
            await sm.update_secret_version_stage(
                SecretId=event["SecretId"],
                VersionStage="AWSCURRENT",
                MoveToVersionId=token,
                RemoveFromVersionId=old,
            )
            await sm.update_secret_version_stage(
                SecretId=event["SecretId"], VersionStage="AWSPENDING", RemoveFromVersionId=token
            )

    arn = eng.register_function("rotator", rotate)
    await sm.create_secret(Name="s", SecretString="initial")
    with pytest.raises(ServiceError):
        await sm.rotate_secret(SecretId="s")
    result = await sm.rotate_secret(
        SecretId="s", RotationLambdaARN=arn, RotationRules={"AutomaticallyAfterDays": 1}
    )
    assert steps == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    value = await sm.get_secret_value(SecretId="s")
    assert value["SecretString"] == "rotated-1" and value["VersionId"] == result["VersionId"]
    described = await sm.describe_secret(SecretId="s")
    assert (
        described["RotationEnabled"] and described["RotationRules"]["AutomaticallyAfterDays"] == 1
    )
    assert (await sm.get_secret_value(SecretId="s", VersionStage="AWSPREVIOUS"))[
        "SecretString"
    ] == "initial"
    await clock.advance(86400 + 1)
    assert len(steps) == 8
    assert (await sm.get_secret_value(SecretId="s"))["SecretString"] == "rotated-5"


async def test_random_password_respects_exclusions(eng):
    sm = eng.client("secretsmanager")
    password = (await sm.get_random_password(PasswordLength=40, ExcludePunctuation=True))[
        "RandomPassword"
    ]
    assert len(password) == 40 and password.isalnum()
    assert any(c.isdigit() for c in password) and any(c.isupper() for c in password)
    digits = (
        await sm.get_random_password(
            PasswordLength=10, ExcludeLowercase=True, ExcludeUppercase=True, ExcludePunctuation=True
        )
    )["RandomPassword"]
    assert digits.isdigit()
    with pytest.raises(ServiceError):
        await sm.get_random_password(
            ExcludeLowercase=True,
            ExcludeUppercase=True,
            ExcludePunctuation=True,
            ExcludeNumbers=True,
        )


async def test_tags_policy_and_filters(eng):
    sm = eng.client("secretsmanager")
    await sm.create_secret(Name="app/one", SecretString="1", Tags=[{"Key": "team", "Value": "a"}])
    await sm.create_secret(Name="other", SecretString="2", Description="prod database")
    await sm.tag_resource(SecretId="other", Tags=[{"Key": "team", "Value": "b"}])
    names = lambda r: [s["Name"] for s in r["SecretList"]]  # noqa: E731
    assert names(await sm.list_secrets(Filters=[{"Key": "name", "Values": ["app/"]}])) == [
        "app/one"
    ]
    assert names(await sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["b"]}])) == [
        "other"
    ]
    assert names(
        await sm.list_secrets(Filters=[{"Key": "description", "Values": ["database"]}])
    ) == ["other"]
    assert names(await sm.list_secrets(Filters=[{"Key": "name", "Values": ["!app"]}])) == ["other"]
    await sm.untag_resource(SecretId="other", TagKeys=["team"])
    # Once tagged, AWS shows Tags even when the last one is removed.
    assert (await sm.describe_secret(SecretId="other"))["Tags"] == []
    policy = '{"Version":"2012-10-17","Statement":[]}'
    await sm.put_resource_policy(SecretId="other", ResourcePolicy=policy)
    assert (await sm.get_resource_policy(SecretId="other"))["ResourcePolicy"] == policy
    with pytest.raises(ServiceError) as error:
        await sm.put_resource_policy(SecretId="other", ResourcePolicy="{nope")
    assert error.value.code == "MalformedPolicyDocumentException"


async def test_eventbridge_connection_keeps_credentials_in_a_secret(eng):
    events, sm = eng.client("events"), eng.client("secretsmanager")
    await events.create_connection(
        Name="api",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "s3cret"}},
    )
    secret_arn = (await events.describe_connection(Name="api"))["SecretArn"]
    assert ":secret:events!connection/api/" in secret_arn
    value = await sm.get_secret_value(SecretId=secret_arn)
    assert '"api_key_value": "s3cret"' in value["SecretString"]
    assert (await sm.describe_secret(SecretId=secret_arn))["OwningService"] == "events"
    await events.update_connection(
        Name="api", AuthParameters={"ApiKeyAuthParameters": {"ApiKeyValue": "rotated"}}
    )
    assert "rotated" in (await sm.get_secret_value(SecretId=secret_arn))["SecretString"]
    await events.delete_connection(Name="api")
    with pytest.raises(ServiceError):
        await sm.describe_secret(SecretId=secret_arn)


async def test_list_filters_match_words_by_prefix_and_forced_delete_of_missing(eng):
    sm = eng.client("secretsmanager")
    for name, description in (("one", "a secret"), ("two", "an secret"), ("three", "asecret")):
        await sm.create_secret(Name=name, SecretString="x", Description=description)

    async def names(value: str) -> set[str]:
        listed = await sm.list_secrets(Filters=[{"Key": "description", "Values": [value]}])
        return {s["Name"] for s in listed["SecretList"]}

    assert await names("a secret") == {"one", "two"}
    assert await names("a") == {"one", "two", "three"}
    assert await names("!an") == {"one", "three"}
    deleted = await sm.delete_secret(SecretId="never-existed", ForceDeleteWithoutRecovery=True)
    assert deleted["Name"] == "never-existed" and deleted["DeletionDate"] is not None


async def test_names_stages_and_pending_follow_aws(eng):
    sm = eng.client("secretsmanager")
    with pytest.raises(ServiceError) as error:
        await sm.create_secret(Name="Inv Name", SecretString="x")
    assert error.value.code == "ValidationException"
    with pytest.raises(ServiceError) as error:
        await sm.describe_secret(SecretId=" Inv*Name? ")
    assert error.value.code == "ValidationException"
    await sm.create_secret(Name="s", SecretString="1", ClientRequestToken=TOKEN_A)
    await sm.put_secret_value(
        SecretId="s", SecretString="2", ClientRequestToken=TOKEN_B, VersionStages=["AWSPENDING"]
    )
    with pytest.raises(ServiceError) as error:
        await sm.get_secret_value(SecretId="s", VersionId=TOKEN_A, VersionStage="AWSPENDING")
    assert error.value.code == "InvalidRequestException"
    await sm.update_secret_version_stage(
        SecretId="s",
        VersionStage="AWSCURRENT",
        MoveToVersionId=TOKEN_B,
        RemoveFromVersionId=TOKEN_A,
    )
    await sm.put_secret_value(SecretId="s", SecretString="3", ClientRequestToken="c" * 32)
    versions = {
        v["VersionId"]: v.get("VersionStages")
        for v in (await sm.list_secret_version_ids(SecretId="s"))["Versions"]
    }
    # A new current value ends the rotation: AWSPENDING leaves the old current version.
    assert versions == {TOKEN_B: ["AWSPREVIOUS"], "c" * 32: ["AWSCURRENT"]}
