"""Parsing service commands: options from the model, value conversion, AWS CLI errors."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui.console.parser import CommandError, LabCall, ServiceCall, parse

SERVICES = ("sqs", "sns", "kinesis", "lambda", "s3")
LAB = ("clock", "help", "expect")


def call(line: str) -> ServiceCall:
    parsed = parse(line, SERVICES, LAB)
    assert isinstance(parsed, ServiceCall)
    return parsed


def error(line: str) -> str:
    with pytest.raises(CommandError) as info:
        parse(line, SERVICES, LAB)
    return str(info.value)


def test_operation_and_options_map_to_model_names() -> None:
    parsed = call("sqs send-message --queue-url q --message-body hi --delay-seconds 5")
    assert parsed.operation == "SendMessage"
    assert parsed.params == {"QueueUrl": "q", "MessageBody": "hi", "DelaySeconds": 5}


def test_boolean_flag_and_negated_flag() -> None:
    base = "lambda update-function-code --function-name f --zip-file fileb:///dev/null"
    assert call(f"{base} --publish").params["Publish"] is True
    assert call(f"{base} --no-publish").params["Publish"] is False


def test_cli_input_json_fills_parameters_and_options_win() -> None:
    parsed = call(
        'sns create-topic --name explicit --cli-input-json \'{"Name": "t", "Attributes": {"A": "1"}}\''
    )
    assert parsed.params == {"Name": "explicit", "Attributes": {"A": "1"}}


def test_list_option_takes_several_words() -> None:
    parsed = call("sqs receive-message --queue-url q --attribute-names All Policy")
    assert parsed.params["AttributeNames"] == ["All", "Policy"]


def test_bracketed_list_of_scalars() -> None:
    assert call("sqs receive-message --queue-url q --attribute-names [All,Policy]").params[
        "AttributeNames"
    ] == ["All", "Policy"]


def test_map_shorthand() -> None:
    assert call("sqs tag-queue --queue-url q --tags a=1,b=2").params["Tags"] == {"a": "1", "b": "2"}


def test_list_of_structures_shorthand() -> None:
    parsed = call(
        "sqs send-message-batch --queue-url q --entries Id=1,MessageBody=a Id=2,MessageBody=b,DelaySeconds=3"
    )
    assert parsed.params["Entries"] == [
        {"Id": "1", "MessageBody": "a"},
        {"Id": "2", "MessageBody": "b", "DelaySeconds": 3},
    ]


def test_nested_shorthand_converts_to_model_types() -> None:
    parsed = call(
        "sqs send-message --queue-url q --message-body b "
        "--message-attributes 'k={DataType=String,StringValue=v}'"
    )
    assert parsed.params["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}


def test_json_value() -> None:
    parsed = call('sqs tag-queue --queue-url q --tags \'{"a": "1"}\'')
    assert parsed.params["Tags"] == {"a": "1"}


def test_file_value(tmp_path: Path) -> None:
    body = tmp_path / "body.txt"
    body.write_text("from a file", encoding="utf-8")
    assert (
        call(f"sqs send-message --queue-url q --message-body file://{body}").params["MessageBody"]
        == "from a file"
    )


def test_blob_is_base64_by_default() -> None:
    data = base64.b64encode(b"raw bytes").decode()
    parsed = call(f"kinesis put-record --stream-name s --partition-key p --data {data}")
    assert parsed.params["Data"] == b"raw bytes"


def test_blob_raw_in_base64_out() -> None:
    parsed = call(
        "kinesis put-record --stream-name s --partition-key p --data hi "
        "--cli-binary-format raw-in-base64-out"
    )
    assert parsed.params["Data"] == b"hi"


def test_fileb_blob_is_raw_bytes(tmp_path: Path) -> None:
    blob = tmp_path / "b.bin"
    blob.write_bytes(b"\x00\x01")
    parsed = call(f"kinesis put-record --stream-name s --partition-key p --data fileb://{blob}")
    assert parsed.params["Data"] == b"\x00\x01"


def test_invalid_base64_names_the_option() -> None:
    assert "Invalid base64" in error(
        "kinesis put-record --stream-name s --partition-key p --data hi!"
    )


def test_timestamp_accepts_iso_and_epoch() -> None:
    iso = call(
        "kinesis get-shard-iterator --stream-name s --shard-id x --shard-iterator-type AT_TIMESTAMP "
        "--timestamp 2026-01-01T00:00:00Z"
    )
    epoch = call(
        "kinesis get-shard-iterator --stream-name s --shard-id x --shard-iterator-type AT_TIMESTAMP "
        "--timestamp 1767225600"
    )
    expected = datetime(2026, 1, 1, tzinfo=UTC)
    assert iso.params["Timestamp"] == expected == epoch.params["Timestamp"]


def test_bad_integer_names_the_option() -> None:
    assert error("sqs send-message --queue-url q --message-body b --delay-seconds soon") == (
        "Error parsing parameter '--delay-seconds': expected an integer, received 'soon'"
    )


def test_missing_required_options_are_listed() -> None:
    assert error("sqs send-message --queue-url q") == (
        "the following arguments are required: --message-body"
    )


def test_unknown_operation_suggests_the_nearest() -> None:
    assert "did you mean receive-message?" in error("sqs recieve-message --queue-url q")


def test_unknown_option_suggests_the_nearest() -> None:
    assert "did you mean --message-body?" in error("sqs send-message --queue-url q --mesage-body x")


def test_unknown_service_suggests_the_nearest() -> None:
    assert "did you mean sqs?" in error("sqss list-queues")


def test_output_and_query_are_checked() -> None:
    assert "valid choices are" in error("sqs list-queues --output xml")
    assert "Bad value for --query" in error("sqs list-queues --query '[['")
    parsed = call("sqs list-queues --output text --query QueueUrls")
    assert (parsed.output, parsed.query) == ("text", "QueueUrls")


def test_extra_words_for_a_single_value_option() -> None:
    assert error("sqs send-message --queue-url q --message-body hello world") == (
        "Unknown options: world"
    )


def test_invalid_json_names_the_option() -> None:
    assert "Invalid JSON" in error("sqs tag-queue --queue-url q --tags '{\"a\": '")


def test_aws_prefix_and_help_suffix() -> None:
    assert call("aws sqs list-queues").operation == "ListQueues"
    assert parse("sqs send-message help", SERVICES, LAB) == LabCall("help", ["sqs", "send-message"])


def test_expect_keeps_the_raw_expression() -> None:
    assert parse("expect Messages[0].Body == 'hi'", SERVICES, LAB) == LabCall(
        "expect", ["Messages[0].Body == 'hi'"]
    )


def test_blank_and_comment_lines_parse_to_nothing() -> None:
    assert parse("   # nothing", SERVICES, LAB) is None


def test_streaming_blob_reads_a_file_path(tmp_path: Path) -> None:
    body = tmp_path / "order.json"
    body.write_bytes(b'{"id": 1}')
    parsed = call(f"s3 put-object --bucket b --key k --body {body}")
    assert parsed.params["Body"] == b'{"id": 1}'
    assert "Blob values must be a path to a file." in error(
        "s3 put-object --bucket b --key k --body nope"
    )


def test_streaming_output_takes_a_positional_outfile() -> None:
    parsed = call("lambda invoke --function-name f out.json --log-type Tail")
    assert parsed.outfile == "out.json" and parsed.params == {
        "FunctionName": "f",
        "LogType": "Tail",
    }


def test_high_level_s3_command_points_to_its_s3api_operation() -> None:
    message = error("s3 mb s3://photos")
    assert "s3 create-bucket" in message and "'mb'" in message


def test_lambda_zip_file_option_fills_code_zip_file(tmp_path: Path) -> None:
    archive = tmp_path / "function.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    parsed = call(
        "lambda create-function --function-name f --runtime python3.12 --handler app.handler "
        f"--role arn:aws:iam::123456789012:role/r --zip-file fileb://{archive}"
    )
    assert parsed.params["Code"] == {"ZipFile": archive.read_bytes()}


def test_lambda_zip_file_merges_with_other_code_fields(tmp_path: Path) -> None:
    archive = tmp_path / "function.zip"
    archive.write_bytes(b"zip")
    parsed = call(
        "lambda publish-layer-version --layer-name l "
        f"--zip-file fileb://{archive} --compatible-runtimes python3.12"
    )
    assert parsed.params["Content"] == {"ZipFile": b"zip"}
