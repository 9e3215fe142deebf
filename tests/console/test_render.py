"""Rendering: AWS CLI text/table/yaml/json formats and the console's summaries."""

from __future__ import annotations

from datetime import UTC, datetime

from tui.console.render import jsonable, render, text_output

from .conftest import plain


def test_text_output_matches_the_aws_cli() -> None:
    value = {"QueueUrls": ["u1", "u2"]}
    assert text_output(value) == "QUEUEURLS\tu1\nQUEUEURLS\tu2\n"


def test_text_output_of_records_uses_sorted_scalar_columns() -> None:
    value = {"Messages": [{"MessageId": "m1", "Body": "b1"}, {"MessageId": "m2", "Body": "b2"}]}
    assert text_output(value) == "MESSAGES\tb1\tm1\nMESSAGES\tb2\tm2\n"


def test_json_output_is_indented_json() -> None:
    assert plain(render({"a": 1}, "json")).strip() == '{\n    "a": 1\n}'


def test_yaml_output() -> None:
    assert plain(render({"a": [1, 2]}, "yaml")).strip() == "a:\n- 1\n- 2"


def test_table_output_has_the_operation_title() -> None:
    shown = plain(render({"QueueUrl": "u"}, "table", operation="CreateQueue"))
    assert "CreateQueue" in shown and "QueueUrl" in shown


def test_received_messages_summary_is_a_table() -> None:
    value = {
        "Messages": [
            {"MessageId": "m1", "Body": "hello", "Attributes": {"ApproximateReceiveCount": "2"}}
        ]
    }
    shown = plain(render(value, None, service="sqs", operation="ReceiveMessage"))
    assert "1 message" in shown and "hello" in shown and " 2 " in shown


def test_received_messages_summary_says_how_to_reach_the_receipt_handle() -> None:
    value = {"Messages": [{"MessageId": "m1", "Body": "hello", "ReceiptHandle": "rh-1"}]}
    shown = plain(render(value, None, service="sqs", operation="ReceiveMessage"))
    assert "${Messages[0].ReceiptHandle}" in shown


def test_empty_receive_says_no_messages() -> None:
    assert (
        plain(render({}, None, service="sqs", operation="ReceiveMessage")).strip() == "No messages."
    )


def test_list_of_records_summary_is_a_table() -> None:
    shown = plain(
        render({"Topics": [{"TopicArn": "arn:t"}]}, None, service="sns", operation="ListTopics")
    )
    assert "Topics" in shown and "arn:t" in shown and "{" not in shown


def test_empty_result_shows_nothing() -> None:
    assert render({}, None, service="sqs", operation="DeleteMessage") is None


def test_jsonable_converts_times_and_bytes() -> None:
    value = jsonable({"t": datetime(2026, 1, 1, tzinfo=UTC), "b": b"hi"})
    assert value == {"t": "2026-01-01T00:00:00+00:00", "b": "aGk="}
