"""Lab commands lessons and scripts lean on: expect-error, clock now, delivery, --task-output."""

from __future__ import annotations

import pytest

from tui.console import Console

pytestmark = pytest.mark.timeout(60)


async def test_expect_error_passes_only_when_the_command_fails_with_that_code(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name q")
    missing = await run(
        "expect-error AWS.SimpleQueueService.NonExistentQueue sqs get-queue-url --queue-name nope"
    )
    assert missing.ok
    succeeded = await run("expect-error NonExistentQueue sqs get-queue-url --queue-name q")
    assert not succeeded.ok and "succeeded" in succeeded.error
    other = await run("expect-error ThrottlingException sqs get-queue-url --queue-name nope")
    assert not other.ok and "NonExistentQueue" in other.error
    assert not (await run("expect-error")).ok
    quoted = await run(
        "expect-error InvalidAttributeValue sqs create-queue --queue-name r --attributes "
        '\'{"RedrivePolicy": "{\\"maxReceiveCount\\": 0}"}\''
    )
    assert quoted.ok, quoted.error  # JSON with quotes survives the round trip


async def test_clock_now_gives_the_lab_time_for_scripts(run, console: Console) -> None:  # type: ignore[no-untyped-def]
    await run("clock advance 90m")
    assert (await run("clock now")).value == "2026-01-01T01:30:00Z"
    assert (await run("clock now +5m --schedule")).value == "at(2026-01-01T01:35:00)"
    assert (await run("T=$(clock now +1h)")).ok and console.variables["T"] == "2026-01-01T02:30:00Z"
    assert not (await run("clock now 5m")).ok
    assert not (await run("clock now +soon")).ok


async def test_delivery_switches_standard_queues_to_realistic(run, console: Console) -> None:  # type: ignore[no-untyped-def]
    assert (await run("delivery")).value == {"delivery": "ideal"}
    assert (await run("delivery realistic")).value == {"delivery": "realistic"}
    assert console.engine.settings["sqs.realistic-delivery"] is True
    assert (await run("delivery ideal")).value == {"delivery": "ideal"}
    assert not (await run("delivery sometimes")).ok


async def test_send_task_success_takes_its_output_as_task_output(run) -> None:  # type: ignore[no-untyped-def]
    """The AWS CLI renames SendTaskSuccess's `output` to --task-output (it clashes with --output)."""
    answered = await run(
        "stepfunctions send-task-success --task-token nope --task-output '{\"ok\": true}'"
    )
    assert not answered.ok and "TaskDoesNotExist" in answered.error  # parsed, then refused


async def test_expect_comparing_a_number_with_text_is_one_clear_line(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name q")
    await run("sqs list-queues")
    compared = await run('expect length(QueueUrls) > `"a"`')
    assert not compared.ok and "Internal error" not in compared.error
