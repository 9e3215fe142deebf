"""Shell-style variables: `NAME=$(command)` and `$NAME` expansion."""

from __future__ import annotations

import pytest

from tui.console import Console
from tui.console.variables import UndefinedVariable, as_text, expand


def test_expand_outside_single_quotes_only() -> None:
    variables = {"Q": "orders"}
    assert expand("a $Q \"${Q}\" '$Q' \\$Q", variables) == "a orders \"orders\" '$Q' \\$Q"


def test_expand_leaves_lone_dollars() -> None:
    assert expand("price $5 and $", {}) == "price $5 and $"


def test_expand_undefined_raises() -> None:
    with pytest.raises(UndefinedVariable):
        expand("x $MISSING", {})


def test_as_text_matches_text_output() -> None:
    assert as_text(["a", "b"]) == "a\tb" and as_text(5) == "5" and as_text({"a": 1}) == '{"a":1}'


async def test_assignment_keeps_the_query_result(console: Console, run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name orders")
    await run("sqs send-message --queue-url orders --message-body hi")
    assigned = await run(
        "HANDLE=$(sqs receive-message --queue-url orders --query 'Messages[0].ReceiptHandle' --output text)"
    )
    assert assigned.ok and assigned.output is None and console.variables["HANDLE"]
    deleted = await run("sqs delete-message --queue-url orders --receipt-handle $HANDLE")
    assert deleted.ok


async def test_failed_assignment_sets_nothing(console: Console, run) -> None:  # type: ignore[no-untyped-def]
    result = await run("URL=$(sqs get-queue-url --queue-name missing)")
    assert not result.ok and "URL" not in console.variables


async def test_undefined_variable_is_a_one_line_error(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("sqs list-queues --queue-name-prefix $NOPE")
    assert not result.ok and result.error.startswith("Undefined variable ${NOPE}")


async def test_braced_jmespath_reads_the_previous_result(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name orders")
    await run("sqs send-message --queue-url orders --message-body hi")
    await run("sqs receive-message --queue-url orders")
    deleted = await run(
        "sqs delete-message --queue-url orders --receipt-handle ${Messages[0].ReceiptHandle}"
    )
    assert deleted.ok


def test_braced_expression_that_finds_nothing_is_undefined() -> None:
    with pytest.raises(UndefinedVariable):
        expand("x ${Messages[0].Body}", {}, {"Messages": []})
    assert expand("x ${Messages[0].Body}", {}, {"Messages": [{"Body": "b"}]}) == "x b"


async def test_completion_works_inside_an_assignment(console: Console) -> None:
    found = console.complete("URL=$(sqs get-queue-u")
    assert found[0].text == "get-queue-url" and found[0].start == 10
