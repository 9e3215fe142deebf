"""Wildcards and policy variables as IAM matches them: `*` and `?`, `${aws:username}`, ARN parts."""

from __future__ import annotations

import re
from functools import lru_cache

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
#: ${*}, ${?} and ${$} stand for the literal characters.
_LITERALS = {"*": "*", "?": "?", "$": "$"}


class MissingVariable(Exception):
    """A policy variable has no value in the request context (the element does not match)."""


@lru_cache(maxsize=4096)
def glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A compiled full-match regex for an IAM wildcard pattern (`*` any run, `?` one character)."""
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Whether `value` matches the wildcard `pattern`."""
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return value.lower() == pattern.lower() if ignore_case else value == pattern
    return glob(pattern, ignore_case).fullmatch(value) is not None


def arn_like(pattern: str, value: str) -> bool:
    """ArnLike: each of the six colon-separated parts matched on its own (the last keeps colons)."""
    if pattern == "*":
        return True
    wanted = pattern.split(":", 5)
    actual = value.split(":", 5)
    if len(wanted) != 6 or len(actual) != 6:
        return like(pattern, value)
    return all(like(w, a) for w, a in zip(wanted, actual, strict=True))


def has_variables(text: str) -> bool:
    """Whether `text` holds a `${…}` policy variable."""
    return "${" in text


def substitute(text: str, context: dict[str, list[str]]) -> str:
    """Replace policy variables from the request context (keys case-insensitive).

    `${key, 'default'}` falls back to the default; a variable with neither raises MissingVariable.
    """

    def value_of(match: re.Match[str]) -> str:
        body = match.group(1).strip()
        if body in _LITERALS:
            return _LITERALS[body]
        default = None
        if "," in body:
            body, _, rest = body.partition(",")
            body = body.strip()
            default = rest.strip().strip("'")
        values = context.get(body.lower())
        if values:
            return values[0]
        if default is not None:
            return default
        raise MissingVariable(body)

    return _VARIABLE.sub(value_of, text)
