"""Parse pattern JSON text, reporting syntax errors in the words AWS's Java parser (Jackson) uses."""

from __future__ import annotations

import json
import re
from typing import Any

_TOKEN = re.compile(r"[A-Za-z0-9_$]+")
_EXPECTING_VALUE = (
    "was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
)


class JsonTextError(ValueError):
    """The text is not JSON; `str(error)` is Jackson's first line for the same failure."""


def _reject_constant(name: str) -> Any:
    # Jackson does not accept NaN/Infinity without a feature flag; AWS rejects them.
    raise JsonTextError(
        f"Non-standard token '{name}': enable JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS to allow"
    )


def _character(text: str, pos: int) -> str:
    char = text[pos]
    return f"Unexpected character ('{char}' (code {ord(char)}))"


def _innermost_container(text: str, pos: int) -> str:
    """'Object' or 'Array': the container open at `pos` (strings skipped)."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return "Array" if stack and stack[-1] == "[" else "Object"


def _describe(error: json.JSONDecodeError) -> str:
    text, pos, msg = error.doc, error.pos, error.msg
    at_end = pos >= len(text)
    if msg == "Expecting value":
        if at_end:
            return "No content to map due to end-of-input"
        token = _TOKEN.match(text, pos)
        if token:
            return f"Unrecognized token '{token.group()}': {_EXPECTING_VALUE}"
        return f"{_character(text, pos)}: expected a value"
    if msg.startswith("Expecting property name"):
        if at_end:
            return "Unexpected end-of-input: expected close marker for OBJECT"
        return f"{_character(text, pos)}: was expecting double-quote to start field name"
    if msg == "Expecting ':' delimiter":
        if at_end:
            return "Unexpected end-of-input: was expecting a colon to separate field name and value"
        return f"{_character(text, pos)}: was expecting a colon to separate field name and value"
    if msg == "Expecting ',' delimiter":
        container = _innermost_container(text, pos)
        if at_end:
            return f"Unexpected end-of-input: expected close marker for {container.upper()}"
        return f"{_character(text, pos)}: was expecting comma to separate {container} entries"
    if msg.startswith("Unterminated string"):
        return "Unexpected end-of-input: was expecting closing quote for a string value"
    if msg.startswith("Invalid control character"):
        return (
            f"Illegal unquoted character ((CTRL-CHAR, code {ord(text[pos])})): has to be escaped "
            "using backslash to be included in string value"
        )
    if msg == "Extra data":
        token = _TOKEN.match(text, pos)
        if token:
            return f"Unrecognized token '{token.group()}': {_EXPECTING_VALUE}"
        return f"{_character(text, pos)}: expected end-of-input"
    return msg


def parse_json(text: str) -> Any:
    """Parse `text`; raise JsonTextError with Jackson's wording when it is not JSON."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise JsonTextError(_describe(error)) from None
