"""Running commands against the engine: names resolved, AWS errors, --query, lab commands."""

from __future__ import annotations

import json
from pathlib import Path

from tui.console import Console

from .conftest import plain


async def test_queue_name_is_accepted_for_queue_url(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name orders")
    result = await run("sqs send-message --queue-url orders --message-body hi")
    assert result.ok and "MessageId" in result.value


async def test_value_is_the_result_without_response_metadata(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("sqs create-queue --queue-name orders")
    assert result.value == {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/orders"}


async def test_service_error_is_one_aws_cli_line(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("sqs get-queue-url --queue-name missing")
    assert not result.ok and result.value is None
    assert result.error.startswith(
        "An error occurred (AWS.SimpleQueueService.NonExistentQueue) when calling the "
        "GetQueueUrl operation:"
    )
    assert "\n" not in result.error


async def test_query_shapes_output_but_not_value(run, console: Console) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name a")
    result = await run("sqs list-queues --query 'QueueUrls[0]' --output json")
    assert result.value == {"QueueUrls": ["https://sqs.us-east-1.amazonaws.com/123456789012/a"]}
    assert json.loads(plain(result.output)) == "https://sqs.us-east-1.amazonaws.com/123456789012/a"


async def test_expect_checks_the_previous_result(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name a")
    assert (await run("expect QueueUrl")).ok
    failed = await run("expect contains(QueueUrl, 'zzz')")
    assert not failed.ok and failed.error.startswith("expect failed:")


async def test_expect_does_not_replace_the_checked_value(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name a")
    await run("expect QueueUrl")
    assert (await run("expect QueueUrl")).ok


async def test_long_poll_costs_no_real_time(run, clock) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name a")
    start = clock.now()
    result = await run("sqs receive-message --queue-url a --wait-time-seconds 20")
    assert result.ok and clock.now() - start == 20


async def test_clock_advance_moves_virtual_time(run, clock) -> None:  # type: ignore[no-untyped-def]
    start = clock.now()
    result = await run("clock advance 1h30m")
    assert result.ok and clock.now() - start == 5400


async def test_clock_pause_is_refused_on_the_virtual_clock(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("clock pause")
    assert not result.ok and "virtual clock" in result.error


async def test_bad_duration_is_one_line(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("clock advance soon")
    assert not result.ok and "invalid duration" in result.error


async def test_chaos_configures_the_engine_faults(run, eng) -> None:  # type: ignore[no-untyped-def]
    assert (await run("chaos duplicate 0.1 --resource orders")).ok
    assert eng.faults.policies()["orders"].duplicate == 0.1
    assert (await run("chaos off")).ok
    assert not eng.faults.enabled


async def test_chaos_rejects_a_rate_above_one(run, eng) -> None:  # type: ignore[no-untyped-def]
    result = await run("chaos duplicate 3")
    assert not result.ok and not eng.faults.enabled


async def test_describe_shows_counters(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name a")
    await run("sqs send-message --queue-url a --message-body x")
    result = await run("describe a")
    assert (
        result.ok and result.value["kind"] == "queue" and result.value["counters"]["visible"] == 1
    )


async def test_describe_unknown_suggests(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name orders")
    result = await run("describe order")
    assert not result.ok and "did you mean orders?" in result.error


async def test_trace_shows_a_message_journey(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name a")
    sent = await run("sqs send-message --queue-url a --message-body x")
    await run("sqs receive-message --queue-url a")
    journey = await run(f"trace {sent.value['MessageId']}")
    kinds = [event["kind"] for event in journey.value]
    assert journey.ok and kinds[:2] == ["sent", "received"]


async def test_watch_lists_recent_events_of_a_resource(run, console: Console) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name a")
    await run("sqs create-queue --queue-name b")
    await run("sqs send-message --queue-url a --message-body x")
    result = await run("watch a")
    assert result.ok and console.watching is not None
    assert {e["resource"].rsplit(":", 1)[-1] for e in result.value["events"]} == {"a"}
    assert (await run("watch off")).ok and console.watching is None


async def test_load_generates_traffic_on_the_clock(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name a")
    started = await run("load a --rate 10 --duration 3s")
    assert started.ok and started.value["total"] == 30
    await run("clock advance 3s")
    attributes = await run(
        "sqs get-queue-attributes --queue-url a --attribute-names ApproximateNumberOfMessages"
    )
    assert attributes.value["Attributes"]["ApproximateNumberOfMessages"] == "30"


async def test_load_with_wait_uses_the_payload_template(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name a")
    done = await run("load a --count 2 --payload 'order-{n}' --wait")
    assert done.ok and done.value["sent"] == 2
    received = await run("sqs receive-message --queue-url a --max-number-of-messages 10")
    assert sorted(m["Body"] for m in received.value["Messages"]) == ["order-1", "order-2"]


async def test_save_reset_open_round_trip(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name kept")
    path = tmp_path / "lab.json"
    assert (await run(f"save {path}")).ok
    assert (await run("reset")).ok
    assert (await run("sqs list-queues")).value == {}
    assert (await run(f"open {path}")).ok
    listed = await run("sqs list-queues")
    assert listed.value["QueueUrls"][0].endswith("/kept")


async def test_open_rejects_a_foreign_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name kept")
    path = tmp_path / "other.json"
    path.write_text("{}", encoding="utf-8")
    result = await run(f"open {path}")
    assert not result.ok and (await run("sqs list-queues")).value["QueueUrls"]


async def test_help_for_an_operation_lists_required_first(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("help sqs send-message")
    options = [o["option"] for o in result.value["options"]]
    assert options[:2] == ["--queue-url", "--message-body"]
    assert "Delivers a message" in result.value["description"]


async def test_help_lists_services_and_commands(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("help")
    assert "sqs" in result.value["services"] and "clock" in result.value["commands"]


async def test_register_command_adds_a_lab_command(console: Console, run) -> None:  # type: ignore[no-untyped-def]
    from tui.console import CommandResult

    async def hello(console: Console, args: list[str]) -> CommandResult:
        return CommandResult(ok=True, value={"args": args})

    console.register_command("hello", hello, "hello — greets")
    assert (await run("hello a 'b c'")).value == {"args": ["a", "b c"]}
    assert any(c.text == "hello" for c in console.complete("hel"))


async def test_exit_sets_exit(run) -> None:  # type: ignore[no-untyped-def]
    assert (await run("exit")).exit


async def test_handler_crash_is_reported_not_raised(console: Console, run) -> None:  # type: ignore[no-untyped-def]
    async def broken(console: Console, args: list[str]):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    console.register_command("broken", broken, "broken")
    result = await run("broken")
    assert not result.ok and result.error == "Internal error: RuntimeError: boom"


async def test_invoke_writes_the_payload_to_the_outfile(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    await run(
        "lambda create-function --function-name e --runtime python3.12 "
        "--role arn:aws:iam::123456789012:role/r --handler pipework.demos.echo --code '{}'"
    )
    out = tmp_path / "out.json"
    result = await run(
        f"lambda invoke --function-name e --cli-binary-format raw-in-base64-out --payload '{{\"a\": 1}}' {out}"
    )
    assert result.ok and result.value == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    assert json.loads(out.read_text(encoding="utf-8")) == {"a": 1}


async def test_outbox_shows_what_sns_sent_to_people(run) -> None:  # type: ignore[no-untyped-def]
    await run("sns create-topic --name alerts")
    await run(
        "sns subscribe --topic-arn alerts --protocol sms --notification-endpoint +15555550100"
    )
    await run("sns publish --topic-arn alerts --message disk-full")
    result = await run("outbox sms")
    assert result.ok and [e["message"] for e in result.value] == ["disk-full"]


async def test_outbox_full_shows_whole_messages(run) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console as RichConsole

    await run("sns create-topic --name alerts")
    await run(
        "sns subscribe --topic-arn alerts --protocol sms --notification-endpoint +15555550100"
    )
    long_message = "x" * 200 + "-END"
    await run(f"sns publish --topic-arn alerts --message {long_message}")
    for args, visible in (("outbox sms", False), ("outbox sms --full", True)):
        result = await run(args)
        screen = RichConsole(width=400, record=True)
        screen.print(result.output)
        assert ("-END" in screen.export_text()) is visible


async def test_clock_advance_without_a_duration_asks_for_one(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("clock advance")
    assert not result.ok
    assert "did you mean" not in result.error
    assert "clock advance DURATION" in result.error


async def test_help_knows_the_s3api_alias(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("help s3api put-object")
    assert result.ok, result.error
    assert result.value["operation"] == "put-object"


async def test_load_payload_that_is_not_json_names_the_placeholders(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name q")
    result = await run("load q --count 1 --payload '{\"n\": {{seq}}}'")
    assert not result.ok
    assert "not valid JSON" in result.error and "{n}" in result.error


async def test_load_rate_that_is_not_a_number_shows_the_form(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name q")
    result = await run("load q --count 1 --rate fast")
    assert not result.ok
    assert "could not convert" not in result.error and "20/s" in result.error


async def test_chaos_fault_without_a_rate_asks_for_one(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("chaos reorder")
    assert not result.ok
    assert "did you mean" not in result.error and "chaos reorder RATE" in result.error


async def test_chaos_rate_that_is_not_a_number_says_so(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("chaos duplicate often")
    assert not result.ok
    assert "could not convert" not in result.error and "'often'" in result.error


async def test_clock_known_action_with_extra_words_suggests_nothing(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("clock show extra")
    assert not result.ok and "did you mean" not in result.error


async def test_chaos_on_an_unknown_resource_says_so(run) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console as RichConsole

    def shown(result) -> str:  # type: ignore[no-untyped-def]
        screen = RichConsole(width=200, record=True)
        screen.print(result.output)
        return screen.export_text()

    await run("sqs create-queue --queue-name orders")
    assert "no resource named" not in shown(await run("chaos duplicate 0.5 --resource orders"))
    typo = await run("chaos duplicate 0.5 --resource ordres")
    assert typo.ok and "no resource named ordres yet" in shown(typo)
    assert "no resource named" not in shown(await run("chaos duplicate 0.5 --resource 'ord*'"))
