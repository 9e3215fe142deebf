"""Lambda's checks of function names and qualifiers, and the error shapes AWS answers with."""

from __future__ import annotations

import io
import zipfile

import pytest

from engine import ServiceError
from engine.model import operation_model

pytestmark = pytest.mark.timeout(60)

ROLE = "arn:aws:iam::123456789012:role/lab"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
# The pattern AWS quotes is the model's (botocore's copy of it changes with its version).
NAMESPACED = (
    operation_model("lambda", "GetFunction").input_shape.members["FunctionName"].metadata["pattern"]
)


def package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


async def create(client, name: str) -> dict:
    return await client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": package()},
    )


async def failure(call, **params) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        await call(**params)
    return raised.value


@pytest.mark.parametrize(
    "reference",
    [
        "my-function!",
        "arn:aws:lambda:invalid-region:123456789012:function:f",
        "arn:aws:ec2:us-east-1:123456789012:instance:i-1",
        "arn:aws:lambda:us-east-1:123456789012:function:f:1:2",
        "arn:aws:lambda::123456789012:function:f",
    ],
)
async def test_a_malformed_function_name_quotes_the_models_pattern(eng, reference):
    error = await failure(eng.client("lambda").get_function, FunctionName=reference)
    assert error.code == "ValidationException"
    assert error.message == (
        f"1 validation error detected: Value '{reference}' at 'functionName' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {NAMESPACED}"
    )


async def test_a_malformed_qualifier_is_named(eng):
    error = await failure(eng.client("lambda").get_function, FunctionName="f", Qualifier="bad!")
    assert error.code == "ValidationException"
    assert "Value 'bad!' at 'qualifier' failed to satisfy constraint" in error.message


async def test_a_name_too_long_and_malformed_gets_both_errors(eng):
    name = "arn:aws:lambda:invalid-region:123456789012:function:" + "a" * 100
    error = await failure(create, client=eng.client("lambda"), name=name)
    assert error.message.startswith("2 validation errors detected: ")
    assert "Member must have length less than or equal to 140" in error.message
    assert "Member must satisfy regular expression pattern" in error.message


async def test_a_dotted_name_is_valid_to_look_up(eng):
    error = await failure(eng.client("lambda").get_function, FunctionName="a.b")
    assert error.code == "ResourceNotFoundException"
    assert error.message == f"Function not found: {ARN}a.b"


async def test_create_limits_the_name_to_64_characters(eng):
    error = await failure(create, client=eng.client("lambda"), name="a" * 65)
    assert error.code == "InvalidParameterValueException"
    assert "Member must have length less than or equal to 64" in error.message


async def test_errors_the_caller_caused_are_typed_user(eng):
    error = await failure(eng.client("lambda").get_function, FunctionName="missing")
    assert error.response["Type"] == "User"
    assert error.response["Error"]["Code"] == "ResourceNotFoundException"


async def test_delete_judges_the_qualifier_before_the_function(eng):
    client = eng.client("lambda")
    latest = await failure(client.delete_function, FunctionName="missing", Qualifier="$LATEST")
    assert latest.message == "$LATEST version cannot be deleted without deleting the function."
    alias = await failure(client.delete_function, FunctionName="missing", Qualifier="live")
    assert alias.message == "Deletion of aliases is not currently supported."
    version = await failure(client.delete_function, FunctionName="missing", Qualifier="3")
    assert version.code == "ResourceNotFoundException"
    assert version.message == f"Function not found: {ARN}missing"


async def test_invoking_a_missing_function_names_latest(eng):
    error = await failure(eng.client("lambda").invoke, FunctionName="missing")
    assert error.message == f"Function not found: {ARN}missing:$LATEST"


async def test_create_answers_pending_and_later_reads_are_active(eng):
    client = eng.client("lambda")
    created = await create(client, "f")
    assert created["State"] == "Pending"
    assert created["StateReasonCode"] == "Creating"
    assert "LastUpdateStatus" not in created
    read = await client.get_function_configuration(FunctionName="f")
    assert read["State"] == "Active" and read["LastUpdateStatus"] == "Successful"
    assert read["RevisionId"] != created["RevisionId"]


async def test_update_answers_in_progress_with_the_environment_it_was_given(eng):
    client = eng.client("lambda")
    await create(client, "f")
    updated = await client.update_function_configuration(
        FunctionName="f",
        Environment={"Variables": {}},
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"},
    )
    assert updated["State"] == "Active"
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["LastUpdateStatusReasonCode"] == "Creating"
    assert updated["Environment"] == {"Variables": {}}
    assert updated["LoggingConfig"]["ApplicationLogLevel"] == "DEBUG"
    assert updated["LoggingConfig"]["SystemLogLevel"] == "INFO"
    read = await client.get_function_configuration(FunctionName="f")
    assert read["LastUpdateStatus"] == "Successful"


async def test_stream_mappings_are_described_as_aws_words_them(eng):
    client = eng.client("lambda")
    await create(client, "f")
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="s", ShardCount=1)
    summary = await kinesis.describe_stream_summary(StreamName="s")
    created = await client.create_event_source_mapping(
        FunctionName="f",
        EventSourceArn=summary["StreamDescriptionSummary"]["StreamARN"],
        StartingPosition="LATEST",
        Enabled=False,
    )
    assert created["StateTransitionReason"] == "User action"
    assert created["LastProcessingResult"] == "No records processed"
    await client.delete_event_source_mapping(UUID=created["UUID"])


async def test_delete_answers_204(eng):
    client = eng.client("lambda")
    await create(client, "f")
    assert (await client.delete_function(FunctionName="f"))["StatusCode"] == 204


async def test_code_from_a_missing_bucket_names_s3s_error(eng):
    error = await failure(
        eng.client("lambda").create_function,
        FunctionName="f",
        Runtime="python3.12",
        Role=ROLE,
        Handler="index.handler",
        Code={"S3Bucket": "no-such-bucket", "S3Key": "k.zip"},
    )
    assert error.message == (
        "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: "
        "The specified bucket does not exist"
    )


async def test_a_missing_function_has_no_event_invoke_config(eng):
    error = await failure(
        eng.client("lambda").get_function_event_invoke_config, FunctionName="missing"
    )
    assert error.code == "ResourceNotFoundException"
    assert error.message == (f"The function {ARN}missing:$LATEST doesn't have an EventInvokeConfig")


async def test_reads_through_a_qualifier_report_the_qualified_arn(eng):
    client = eng.client("lambda")
    await create(client, "f")
    latest = await client.get_function(FunctionName="f", Qualifier="$LATEST")
    assert latest["Configuration"]["FunctionArn"] == f"{ARN}f:$LATEST"
    await client.publish_version(FunctionName="f")
    await client.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    alias = await client.get_function_configuration(FunctionName="f", Qualifier="live")
    assert alias["FunctionArn"] == f"{ARN}f:live" and alias["Version"] == "1"
    plain = await client.get_function_configuration(FunctionName="f")
    assert plain["FunctionArn"] == f"{ARN}f"


async def test_list_functions_leaves_out_state(eng):
    client = eng.client("lambda")
    await create(client, "f")
    [item] = (await client.list_functions())["Functions"]
    assert "State" not in item and "LastUpdateStatus" not in item
    assert "RuntimeVersionConfig" not in item
    every = (await client.list_functions(FunctionVersion="ALL"))["Functions"]
    assert every[0]["FunctionArn"] == f"{ARN}f:$LATEST"


async def test_tagging_is_a_change_and_only_for_the_function(eng):
    client = eng.client("lambda")
    await create(client, "f")
    before = (await client.get_function(FunctionName="f"))["Configuration"]["RevisionId"]
    await client.tag_resource(Resource=f"{ARN}f", Tags={"a": "1"})
    after = (await client.get_function(FunctionName="f"))["Configuration"]["RevisionId"]
    assert before != after
    error = await failure(client.tag_resource, Resource=f"{ARN}f:1", Tags={"a": "1"})
    assert error.message == (
        "Tags on function aliases and versions are not supported. Please specify a function ARN."
    )


async def test_a_numeric_alias_name_fails_the_models_pattern(eng):
    client = eng.client("lambda")
    await create(client, "f")
    error = await failure(
        client.create_alias, FunctionName="f", Name="2024", FunctionVersion="$LATEST"
    )
    assert error.code == "ValidationException"
    assert "Value '2024' at 'name' failed to satisfy constraint" in error.message


async def test_create_with_publish_answers_the_pending_function_as_version_1(eng):
    client = eng.client("lambda")
    created = await create_published(client)
    assert created["FunctionArn"] == f"{ARN}f" and created["Version"] == "1"
    assert created["State"] == "Pending"
    latest = (await client.get_function(FunctionName="f"))["Configuration"]
    version = (await client.get_function(FunctionName="f", Qualifier="1"))["Configuration"]
    assert len({created["RevisionId"], latest["RevisionId"], version["RevisionId"]}) == 3
    again = await client.publish_version(FunctionName="f")
    assert again["Version"] == "1" and again["RevisionId"] == version["RevisionId"]


async def test_list_versions_shows_latest_qualified_without_state(eng):
    client = eng.client("lambda")
    await create_published(client)
    latest, first = (await client.list_versions_by_function(FunctionName="f"))["Versions"]
    assert latest["FunctionArn"] == f"{ARN}f:$LATEST"
    assert first["FunctionArn"] == f"{ARN}f:1"
    assert "State" not in latest and "LastUpdateStatus" not in first


async def create_published(client) -> dict:
    return await client.create_function(
        FunctionName="f",
        Runtime="python3.12",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": package()},
        Publish=True,
    )


async def test_versions_keep_their_revisions_through_save_and_open(eng):
    client = eng.client("lambda")
    await create_published(client)
    service = eng.service("lambda")
    saved = service.dump()
    version = (await client.get_function(FunctionName="f", Qualifier="1"))["Configuration"]
    service.functions.clear()
    service.load(saved)
    again = await client.publish_version(FunctionName="f")
    assert again["Version"] == "1" and again["RevisionId"] == version["RevisionId"]


async def test_publishing_gives_latest_a_new_revision(eng):
    client = eng.client("lambda")
    await create(client, "f")
    before = (await client.get_function(FunctionName="f"))["Configuration"]["RevisionId"]
    published = await client.publish_version(FunctionName="f", RevisionId=before)
    after = (await client.get_function(FunctionName="f"))["Configuration"]["RevisionId"]
    assert len({before, published["RevisionId"], after}) == 3
    again = await client.publish_version(FunctionName="f")
    assert again["Version"] == "1"
