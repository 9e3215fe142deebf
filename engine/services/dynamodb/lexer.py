"""The tokenizer for DynamoDB expressions (condition, key condition, filter, update, projection)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

NAME = "name"  # a bare attribute name or keyword: status, SET, AND, begins_with
NAME_REF = "name-ref"  # #placeholder
VALUE_REF = "value-ref"  # :placeholder
INDEX = "index"  # digits inside [ ]
PUNCT = "punct"  # ( ) [ ] , . = <> < <= > >= + -
BAD = "bad"  # a character no token starts with
EOF = "eof"

_PUNCT_TWO = ("<>", "<=", ">=")
_PUNCT_ONE = "()[],.=<>+-"


@dataclass(slots=True, frozen=True)
class Token:
    """One token: its kind, its text and where it sits in the expression."""

    kind: str
    text: str
    start: int
    end: int


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char == "_"


@lru_cache(maxsize=4096)
def tokenize(text: str) -> tuple[Token, ...]:
    """Split an expression into tokens, ending with one EOF token (cached: tokens are immutable)."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        start = i
        if char in "#:":
            i += 1
            while i < n and _is_name_char(text[i]):
                i += 1
            kind = NAME_REF if char == "#" else VALUE_REF
            tokens.append(Token(kind if i > start + 1 else BAD, text[start:i], start, i))
            continue
        if char.isdigit():
            while i < n and text[i].isdigit():
                i += 1
            tokens.append(Token(INDEX, text[start:i], start, i))
            continue
        if char.isalpha() or char == "_":
            while i < n and _is_name_char(text[i]):
                i += 1
            tokens.append(Token(NAME, text[start:i], start, i))
            continue
        pair = text[i : i + 2]
        if pair in _PUNCT_TWO:
            tokens.append(Token(PUNCT, pair, start, i + 2))
            i += 2
            continue
        if char in _PUNCT_ONE:
            tokens.append(Token(PUNCT, char, start, i + 1))
            i += 1
            continue
        tokens.append(Token(BAD, char, start, i + 1))
        i += 1
    tokens.append(Token(EOF, "<EOF>", n, n))
    return tuple(tokens)
