"""Lambda function management: create/get/update/delete/list, versions, aliases, settings."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from engine import ServiceError

ROLE = "arn:aws:iam::123456789012:role/lab"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def zipped(source: str) -> bytes:
    """A package with index.py."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


def returning(value: str) -> bytes:
    return zipped(f"def handler(event, context):\n    return {value!r}\n")


async def create(client, name: str = "f", **extra) -> dict:
    params = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "index.handler",
        "Code": {"ZipFile": returning("v1")},
        **extra,
    }
    return await client.create_function(**params)


async def result_of(client, name: str, **extra) -> object:
    response = await client.invoke(FunctionName=name, **extra)
    return json.loads(response["Payload"].read())


async def test_create_returns_configuration(eng):
    config = await create(eng.client("lambda"), Description="demo", Timeout=10)
    assert config["FunctionArn"] == ARN + "f"
    assert config["State"] == "Pending"  # creation has begun; reads show Active
    assert config["Version"] == "$LATEST"
    assert config["Timeout"] == 10 and config["MemorySize"] == 128
    assert config["LastModified"] == "2026-01-01T00:00:00.000+0000"
    assert config["PackageType"] == "Zip"
    assert config["CodeSize"] > 0 and len(config["CodeSha256"]) == 44


async def test_create_twice_conflicts(eng):
    client = eng.client("lambda")
    await create(client)
    with pytest.raises(ServiceError) as raised:
        await create(client)
    assert raised.value.code == "ResourceConflictException"
    assert raised.value.message == "Function already exist: f"


async def test_bad_role_rejected(eng):
    with pytest.raises(ServiceError) as raised:
        await create(eng.client("lambda"), Role="not-a-role")
    assert raised.value.code == "ValidationException"


async def test_bad_zip_rejected_and_nothing_created(eng):
    client = eng.client("lambda")
    with pytest.raises(ServiceError) as raised:
        await create(client, Code={"ZipFile": b"not a zip"})
    assert raised.value.code == "InvalidParameterValueException"
    assert (await client.list_functions())["Functions"] == []


async def test_reserved_environment_variable_rejected(eng):
    with pytest.raises(ServiceError) as raised:
        await create(eng.client("lambda"), Environment={"Variables": {"AWS_REGION": "x"}})
    assert raised.value.code == "InvalidParameterValueException"
    assert "AWS_REGION" in raised.value.message


async def test_non_python_runtime_rejected(eng):
    with pytest.raises(ServiceError) as raised:
        await create(eng.client("lambda"), Runtime="nodejs20.x")
    assert raised.value.code == "InvalidParameterValueException"


async def test_code_from_s3(eng):
    s3 = eng.client("s3")
    await s3.create_bucket(Bucket="code-bucket")
    await s3.put_object(Bucket="code-bucket", Key="f.zip", Body=returning("from s3"))
    client = eng.client("lambda")
    await create(client, Code={"S3Bucket": "code-bucket", "S3Key": "f.zip"})
    assert await result_of(client, "f") == "from s3"


async def test_get_function_and_configuration(eng):
    client = eng.client("lambda")
    await create(client, Tags={"team": "a"})
    got = await client.get_function(FunctionName=ARN + "f")
    assert got["Configuration"]["FunctionName"] == "f"
    assert got["Tags"] == {"team": "a"}
    config = await client.get_function_configuration(FunctionName="f")
    assert config["Handler"] == "index.handler"


async def test_update_code_changes_behaviour(eng):
    client = eng.client("lambda")
    await create(client)
    await result_of(client, "f")
    await client.update_function_code(FunctionName="f", ZipFile=returning("v2"))
    assert await result_of(client, "f") == "v2"


async def test_update_configuration(eng):
    client = eng.client("lambda")
    await create(client)
    config = await client.update_function_configuration(
        FunctionName="f", Timeout=30, Environment={"Variables": {"MODE": "x"}}
    )
    assert config["Timeout"] == 30
    assert config["Environment"] == {"Variables": {"MODE": "x"}}


async def test_stale_revision_id_rejected(eng):
    client = eng.client("lambda")
    await create(client)
    with pytest.raises(ServiceError) as raised:
        await client.update_function_configuration(FunctionName="f", Timeout=5, RevisionId="old")
    assert raised.value.code == "PreconditionFailedException"


async def test_delete_function(eng):
    client = eng.client("lambda")
    await create(client)
    await client.delete_function(FunctionName="f")
    with pytest.raises(ServiceError) as raised:
        await client.get_function(FunctionName="f")
    assert raised.value.code == "ResourceNotFoundException"


async def test_list_functions_paginates(eng):
    client = eng.client("lambda")
    for name in ("a", "b", "c"):
        await create(client, name)
    first = await client.list_functions(MaxItems=2)
    assert [f["FunctionName"] for f in first["Functions"]] == ["a", "b"]
    second = await client.list_functions(MaxItems=2, Marker=first["NextMarker"])
    assert [f["FunctionName"] for f in second["Functions"]] == ["c"]
    assert "NextMarker" not in second


async def test_publish_version_freezes_code(eng):
    client = eng.client("lambda")
    await create(client)
    version = await client.publish_version(FunctionName="f")
    assert version["Version"] == "1"
    assert version["FunctionArn"] == ARN + "f:1"
    await client.update_function_code(FunctionName="f", ZipFile=returning("v2"))
    assert await result_of(client, "f", Qualifier="1") == "v1"
    assert await result_of(client, "f") == "v2"


async def test_publish_unchanged_returns_same_version(eng):
    client = eng.client("lambda")
    await create(client)
    first = await client.publish_version(FunctionName="f")
    again = await client.publish_version(FunctionName="f")
    assert first["Version"] == again["Version"] == "1"


async def test_list_versions(eng):
    client = eng.client("lambda")
    await create(client, Publish=True)
    versions = await client.list_versions_by_function(FunctionName="f")
    assert [v["Version"] for v in versions["Versions"]] == ["$LATEST", "1"]


async def test_alias_routes_to_version(eng):
    client = eng.client("lambda")
    await create(client, Publish=True)
    await client.update_function_code(FunctionName="f", ZipFile=returning("v2"))
    alias = await client.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    assert alias["AliasArn"] == ARN + "f:live"
    response = await client.invoke(FunctionName="f:live")
    assert response["ExecutedVersion"] == "1"
    assert json.loads(response["Payload"].read()) == "v1"


async def test_alias_weights_split_traffic(eng):
    client = eng.client("lambda")
    await create(client, Publish=True)
    await client.update_function_code(FunctionName="f", ZipFile=returning("v2"))
    await client.publish_version(FunctionName="f")
    await client.create_alias(
        FunctionName="f",
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}},
    )
    executed = []
    for _ in range(200):
        response = await client.invoke(FunctionName="f", Qualifier="canary")
        executed.append(response["ExecutedVersion"])
    share = executed.count("2") / len(executed)
    assert 0.15 < share < 0.35


async def test_alias_to_missing_version(eng):
    client = eng.client("lambda")
    await create(client)
    with pytest.raises(ServiceError) as raised:
        await client.create_alias(FunctionName="f", Name="live", FunctionVersion="9")
    assert raised.value.code == "ResourceNotFoundException"


async def test_update_and_list_aliases(eng):
    client = eng.client("lambda")
    await create(client, Publish=True)
    await client.create_alias(FunctionName="f", Name="live", FunctionVersion="$LATEST")
    await client.update_alias(FunctionName="f", Name="live", FunctionVersion="1")
    aliases = (await client.list_aliases(FunctionName="f"))["Aliases"]
    assert [(a["Name"], a["FunctionVersion"]) for a in aliases] == [("live", "1")]
    await client.delete_alias(FunctionName="f", Name="live")
    with pytest.raises(ServiceError):
        await client.get_alias(FunctionName="f", Name="live")


async def test_tags(eng):
    client = eng.client("lambda")
    await create(client)
    await client.tag_resource(Resource=ARN + "f", Tags={"a": "1", "b": "2"})
    await client.untag_resource(Resource=ARN + "f", TagKeys=["a"])
    assert (await client.list_tags(Resource=ARN + "f"))["Tags"] == {"b": "2"}


async def test_concurrency_settings(eng):
    client = eng.client("lambda")
    await create(client)
    await client.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=50)
    assert (await client.get_function_concurrency(FunctionName="f"))[
        "ReservedConcurrentExecutions"
    ] == 50
    settings = await client.get_account_settings()
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 950
    await client.delete_function_concurrency(FunctionName="f")
    assert "ReservedConcurrentExecutions" not in await client.get_function_concurrency(
        FunctionName="f"
    )


async def test_reservation_must_leave_100_unreserved(eng):
    client = eng.client("lambda")
    await create(client)
    with pytest.raises(ServiceError) as raised:
        await client.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=901)
    assert raised.value.code == "InvalidParameterValueException"
    assert "[100]" in raised.value.message


async def test_event_invoke_config_round_trip(eng):
    client = eng.client("lambda")
    await create(client)
    queue = "arn:aws:sqs:us-east-1:123456789012:done"
    await client.put_function_event_invoke_config(
        FunctionName="f",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnSuccess": {"Destination": queue}},
    )
    got = await client.get_function_event_invoke_config(FunctionName="f")
    assert got["MaximumRetryAttempts"] == 0
    assert got["DestinationConfig"]["OnSuccess"] == {"Destination": queue}
    await client.update_function_event_invoke_config(FunctionName="f", MaximumEventAgeInSeconds=60)
    got = await client.get_function_event_invoke_config(FunctionName="f")
    assert (got["MaximumRetryAttempts"], got["MaximumEventAgeInSeconds"]) == (0, 60)


async def test_bad_destination_rejected(eng):
    client = eng.client("lambda")
    await create(client)
    with pytest.raises(ServiceError) as raised:
        await client.put_function_event_invoke_config(
            FunctionName="f",
            DestinationConfig={"OnFailure": {"Destination": "arn:aws:iam::1:role/x"}},
        )
    assert raised.value.code == "InvalidParameterValueException"


async def test_permissions_policy(eng):
    client = eng.client("lambda")
    await create(client)
    await client.add_permission(
        FunctionName="f",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::bucket",
    )
    policy = json.loads((await client.get_policy(FunctionName="f"))["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    with pytest.raises(ServiceError) as raised:
        await client.add_permission(
            FunctionName="f",
            StatementId="s3",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
        )
    assert raised.value.code == "ResourceConflictException"


async def test_topology_has_function_node(eng):
    await create(eng.client("lambda"))
    node = eng.topology().node("f")
    assert node is not None and node.kind == "function"
    assert node.counters["invocations"] == 0


async def test_dump_and_load_restores_zip_and_demo_functions(eng):
    from engine import Engine, VirtualClock

    client = eng.client("lambda")
    await create(client, "zipped", Publish=True)
    await client.create_alias(FunctionName="zipped", Name="live", FunctionVersion="1")
    eng.service("lambda").create_demo("echoer", "echo")
    eng.register_function("callable", lambda e, c: 1)
    data = eng.service("lambda").dump()
    assert data["skipped_callables"] == ["callable"]
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.service("lambda").load(data)
        restored = fresh.client("lambda")
        assert await result_of(restored, "zipped", Qualifier="live") == "v1"
        assert await result_of(restored, "echoer", Payload=b'"hi"') == "hi"
