"""`chaos kinds` explains each fault; a fault the named resource ignores is refused in one line."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(30)


async def test_chaos_kinds_lists_what_each_fault_does(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("chaos kinds")
    assert result.ok
    pairs = {(row["fault"], row["resource type"]) for row in result.value}
    assert ("duplicate", "sqs standard queue") in pairs
    assert ("failure", "lambda function") in pairs
    assert ("throttle", "dynamodb table") in pairs


async def test_chaos_without_arguments_also_shows_the_kinds(run) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console as RichConsole

    screen = RichConsole(width=200, record=True)
    screen.print((await run("chaos")).output)
    text = screen.export_text()
    assert "No faults injected." in text and "sqs standard queue" in text


async def test_a_fault_the_named_resource_ignores_is_refused(run, eng) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name jobs.fifo --attributes FifoQueue=true")
    result = await run("chaos duplicate 0.5 --resource jobs.fifo")
    assert not result.ok
    assert "duplicate does nothing to a sqs fifo queue" in result.error
    assert "\n" not in result.error
    assert not eng.faults.enabled
    await run("sqs create-queue --queue-name jobs")
    assert (await run("chaos duplicate 0.5 --resource jobs")).ok
