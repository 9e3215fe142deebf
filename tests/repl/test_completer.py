"""The prompt-toolkit completer and lexer over the console."""

from __future__ import annotations

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from tui.console import Console
from tui.repl.completer import ConsoleCompleter
from tui.repl.lexer import CommandLexer


def completions(console: Console, text: str, cursor: int | None = None) -> list:
    document = Document(text, len(text) if cursor is None else cursor)
    return list(
        ConsoleCompleter(console).get_completions(
            document, CompleteEvent(completion_requested=True)
        )
    )


async def test_operation_completion_replaces_the_partial_word(console: Console) -> None:
    first = completions(console, "sqs send-m")[0]
    assert first.text == "send-message" and first.start_position == -6
    assert first.display_meta_text.startswith("Delivers a message")


async def test_option_completion_offers_required_first(console: Console) -> None:
    found = [c.text for c in completions(console, "sqs send-message ")]
    assert found[:2] == ["--queue-url", "--message-body"]


async def test_live_resource_names(console: Console, clock) -> None:  # type: ignore[no-untyped-def]
    await clock.run(console.execute("sqs create-queue --queue-name orders"))
    found = completions(console, "sqs receive-message --queue-url or")
    assert [c.text for c in found] == ["orders"] and found[0].start_position == -2


async def test_multi_line_buffer_completes_at_the_cursor(console: Console) -> None:
    text = 'sqs tag-queue --queue-url q --tags \'{\n  "a": "1"\n}\' --out'
    assert [c.text for c in completions(console, text)] == ["--output"]


async def test_lexer_marks_roles(console: Console) -> None:
    document = Document("sqs send-message --message-body 'hi' # note")
    line = CommandLexer(console).lex_document(document)(0)
    styles = [style for style, _ in line]
    assert styles[0] == "class:service" and styles[4] == "class:operation"
    assert styles[17] == "class:option" and styles[32] == "class:string"
    assert styles[-1] == "class:comment"


async def test_lexer_flags_unknown_operation(console: Console) -> None:
    line = CommandLexer(console).lex_document(Document("sqs nope"))(0)
    assert line[-1][0] == "class:unknown"


async def test_lexer_colours_an_assignment_and_its_command(console: Console) -> None:
    line = CommandLexer(console).lex_document(Document("Q=$(sqs list-queues)"))(0)
    styles = [style for style, _ in line]
    assert styles[0] == "class:variable" and styles[4] == "class:service"
