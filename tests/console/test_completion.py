"""Completion of half-typed lines and the docs under the cursor."""

from __future__ import annotations

from tui.console import Console
from tui.console.completion import fuzzy_score


def texts(console: Console, line: str, cursor: int | None = None) -> list[str]:
    return [c.text for c in console.complete(line, cursor)]


async def test_first_word_offers_services_and_lab_commands(console: Console) -> None:
    found = texts(console, "")
    assert "sqs" in found and "clock" in found and "help" in found


async def test_operations_match_by_prefix_first(console: Console) -> None:
    assert texts(console, "sqs rec")[0] == "receive-message"


async def test_fuzzy_subsequence_matches(console: Console) -> None:
    assert "receive-message" in texts(console, "sqs rcvmsg")


async def test_completion_replaces_the_word_being_typed(console: Console) -> None:
    completion = console.complete("sqs rec")[0]
    assert completion.start == 4 and completion.meta.startswith("Retrieves")


async def test_options_put_required_first_and_skip_used(console: Console) -> None:
    found = texts(console, "sqs send-message --queue-url q --")
    assert found[0] == "--message-body"
    assert "--queue-url" not in found


async def test_enum_values_are_offered(console: Console) -> None:
    found = texts(console, "sqs receive-message --queue-url q --message-system-attribute-names ")
    assert "ApproximateReceiveCount" in found


async def test_live_queue_names_are_offered_for_queue_url(console: Console, run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name orders")
    await run("sqs create-queue --queue-name payments")
    assert texts(console, "sqs send-message --queue-url ord") == ["orders"]


async def test_list_option_offers_values_then_options(console: Console) -> None:
    found = texts(console, "sqs receive-message --queue-url q --attribute-names All ")
    assert "Policy" in found


async def test_output_formats_are_offered(console: Console) -> None:
    assert texts(console, "sqs list-queues --output ") == ["json", "table", "text", "yaml"]


async def test_lab_command_words(console: Console) -> None:
    assert "advance" in texts(console, "clock ")
    assert texts(console, "help sq")[0] == "sqs"  # best first (later: fuzzy `analytics query`)


async def test_cursor_in_the_middle_completes_that_word(console: Console) -> None:
    line = "sqs rec --queue-url q"
    assert texts(console, line, 7)[0] == "receive-message"


async def test_unterminated_quote_still_completes(console: Console) -> None:
    assert console.complete("sqs send-message --message-body 'hel") == []


async def test_describe_at_an_option(console: Console) -> None:
    doc = console.describe_at("sqs send-message --delay-seconds 5", 20)
    assert doc.startswith("--delay-seconds (integer, optional):")


async def test_describe_at_an_operation_names_required_options(console: Console) -> None:
    doc = console.describe_at("sqs send-message ", 17)
    assert doc.startswith("sqs send-message: Delivers a message") and "--queue-url" in doc


async def test_describe_at_nothing_known(console: Console) -> None:
    assert console.describe_at("nonsense here", 3) is None


def test_fuzzy_score_orders_prefix_substring_subsequence() -> None:
    assert (
        fuzzy_score("rec", "receive")
        < fuzzy_score("eiv", "receive")
        < fuzzy_score("rcv", "receive")
    )
    assert fuzzy_score("xyz", "receive") is None
