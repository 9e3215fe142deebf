"""Shell-style splitting of one command line into tokens that remember where they came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class Token:
    """One word of a command line: its unquoted value and its span in the line."""

    value: str
    start: int
    end: int
    quoted: bool = False  # any part of it was quoted (so it is never an option name)
    closed: bool = True  # False when the line ended inside a quote


_OPENERS = {"{": "}", "[": "]"}


def tokenize(line: str) -> list[Token]:
    """Split `line` as a POSIX shell would (quotes, backslashes, `#` comments), never failing.

    Half-typed input is fine: an unterminated quote yields a last token with `closed=False`.
    """
    tokens: list[Token] = []
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch == "#":  # a comment runs to the end of the line, as in a shell
            break
        start = i
        parts: list[str] = []
        quoted = False
        closed = True
        while i < n and line[i] not in " \t\r\n":
            ch = line[i]
            if ch == "'":
                quoted = True
                end = line.find("'", i + 1)
                if end < 0:
                    parts.append(line[i + 1 :])
                    i = n
                    closed = False
                    break
                parts.append(line[i + 1 : end])
                i = end + 1
            elif ch == '"':
                quoted = True
                i += 1
                while i < n and line[i] != '"':
                    if line[i] == "\\" and i + 1 < n and line[i + 1] in '"\\$`':
                        parts.append(line[i + 1])
                        i += 2
                    else:
                        parts.append(line[i])
                        i += 1
                if i >= n:
                    closed = False
                    break
                i += 1
            elif ch == "\\" and i + 1 < n:
                parts.append(line[i + 1])
                i += 2
            elif ch == "\\":
                i += 1
            else:
                parts.append(ch)
                i += 1
        tokens.append(Token("".join(parts), start, i, quoted, closed))
    return tokens


def is_complete(text: str) -> bool:
    """Whether `text` is a whole command: quotes closed, JSON brackets balanced, no trailing `\\`.

    Used to decide whether Enter runs the line or continues it (multi-line JSON values).
    """
    if text.rstrip(" \t").endswith("\\"):
        return False
    stack: list[str] = []
    quote: str | None = None
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if quote == "'":
            if ch == "'":
                quote = None
        elif quote == '"':
            if ch == "\\":
                i += 1
            elif ch == '"':
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 1
        elif ch in _OPENERS:
            stack.append(_OPENERS[ch])
        elif ch in "}]":
            if stack and stack[-1] == ch:
                stack.pop()
        elif ch == "#" and (i == 0 or text[i - 1] in " \t\n"):
            newline = text.find("\n", i)
            if newline < 0:
                break
            i = newline
        i += 1
    return quote is None and not stack


def join_continued(text: str) -> str:
    """Drop backslash-newline continuations so a multi-line command becomes one line."""
    return text.replace("\\\r\n", " ").replace("\\\n", " ")


def split_commands(text: str) -> list[str]:
    """Split a `-c` argument on unquoted `;` into separate commands."""
    commands: list[str] = []
    current: list[str] = []
    quote: str | None = None
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
            elif ch == "\\" and quote == '"' and i + 1 < len(text):
                current.append(ch)
                i += 1
                ch = text[i]
        elif ch in "'\"":
            quote = ch
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth = max(0, depth - 1)
        elif ch == ";" and depth == 0:
            commands.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    commands.append("".join(current))
    return [c.strip() for c in commands if c.strip()]
