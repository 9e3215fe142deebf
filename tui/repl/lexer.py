"""Syntax highlighting of console lines: service, operation, options, values, JSON, comments."""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style

from tui.console import Console
from tui.console.tokens import tokenize
from tui.console.variables import ASSIGNMENT_START

STYLE = Style.from_dict(
    {
        "service": "#5fafff bold",
        "operation": "#87d7ff",
        "lab": "#87d787 bold",
        "option": "#d7af5f",
        "value": "#d7d7d7",
        "json": "#d787d7",
        "string": "#afd787",
        "comment": "#808080 italic",
        "variable": "#d7875f bold",
        "unknown": "#ff5f5f underline",
        "bottom-toolbar": "#1c1c1c bg:#bcbcbc",
        "bottom-toolbar.doc": "#303030 bg:#d0d0d0",
    }
)


class CommandLexer(Lexer):
    """Colours each word by its role in the command (unknown services and operations in red)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        """Style every line of the buffer; roles come from the whole (possibly multi-line) text."""
        text = document.text
        styles = self._styles(text)
        offsets = []
        pos = 0
        for line in document.lines:
            offsets.append(pos)
            pos += len(line) + 1

        def get_line(number: int) -> StyleAndTextTuples:
            line = document.lines[number]
            start = offsets[number]
            return [
                (styles[start + i] if start + i < len(styles) else "", ch)
                for i, ch in enumerate(line)
            ]

        return get_line

    def _styles(self, text: str) -> list[str]:
        prefix = ASSIGNMENT_START.match(text)
        if prefix is not None:  # NAME=$(command): colour the name, then the command inside
            inner = self._styles(text[prefix.end() :])
            return ["class:variable"] * prefix.end() + inner
        styles = [""] * len(text)
        tokens = tokenize(text)
        comment = _comment_start(text)
        if comment is not None:
            for i in range(comment, len(text)):
                styles[i] = "class:comment"
        if not tokens:
            return styles
        head = tokens[0].value
        service = head in self.console.services
        roles: list[str] = []
        for index, token in enumerate(tokens):
            if index == 0:
                roles.append(
                    "service" if service else "lab" if head in self.console.commands else "unknown"
                )
            elif index == 1 and service:
                from tui.console.commands import operation_table

                roles.append("operation" if token.value in operation_table(head) else "unknown")
            elif token.value.startswith("--") and not token.quoted:
                roles.append("option")
            elif token.value.lstrip().startswith(("{", "[")):
                roles.append("json")
            elif token.quoted:
                roles.append("string")
            else:
                roles.append("value")
        for token, role in zip(tokens, roles, strict=True):
            for i in range(token.start, min(token.end, len(text))):
                styles[i] = f"class:{role}"
        return styles


def _comment_start(text: str) -> int | None:
    """Where an unquoted `#` comment starts, if any."""
    quote: str | None = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t\n"):
            return i
    return None
