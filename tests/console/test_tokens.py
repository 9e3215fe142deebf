"""Shell-style tokenizing, completeness checks and `;` splitting."""

from __future__ import annotations

from tui.console.tokens import is_complete, split_commands, tokenize


def test_quotes_are_removed_and_spans_kept() -> None:
    tokens = tokenize("sqs send-message --message-body 'hello world'")
    assert [t.value for t in tokens] == ["sqs", "send-message", "--message-body", "hello world"]
    assert tokens[3].quoted and tokens[3].start == 32


def test_double_quotes_honour_backslash_escapes() -> None:
    assert tokenize(r'x "a \"b\" c"')[1].value == 'a "b" c'


def test_unterminated_quote_gives_an_open_last_token() -> None:
    tokens = tokenize("sqs send-message --message-body 'hel")
    assert tokens[-1].value == "hel" and not tokens[-1].closed


def test_hash_starts_a_comment() -> None:
    assert [t.value for t in tokenize("clock show # what time is it")] == ["clock", "show"]


def test_open_json_bracket_is_incomplete() -> None:
    assert not is_complete('sqs x --attributes {"A": "1",')
    assert is_complete('sqs x --attributes {"A": "1"}')


def test_open_quote_and_trailing_backslash_are_incomplete() -> None:
    assert not is_complete("sqs x --message-body 'a")
    assert not is_complete("sqs x \\")


def test_split_commands_ignores_quoted_semicolons() -> None:
    assert split_commands("a 'x;y'; b; ; c") == ["a 'x;y'", "b", "c"]
