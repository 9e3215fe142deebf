"""Shell-style variables, as AWS CLI examples use them: `ID=$(aws … --query X --output text)`.

`NAME=$(command)` runs the command and keeps what it printed (its `--query` result: text as is,
numbers as text, lists of scalars tab-joined like `--output text`, anything else as JSON).
`$NAME` and `${NAME}` expand outside single quotes; `${JMESPATH}` is a value of the previous
command's result (`--receipt-handle ${Messages[0].ReceiptHandle}`); `\\$` keeps a literal `$`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .query import QueryError, search

ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=\$\((.*)\)\s*$", re.DOTALL)
ASSIGNMENT_START = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*=\$\(")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class UndefinedVariable(KeyError):
    """A `$NAME` that no assignment has set."""


def as_text(value: Any) -> str:
    """What `--output text` would print for a query result, as one string."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return "\t".join(as_text(v) for v in value)
    return json.dumps(value, separators=(",", ":"))


def expand(line: str, variables: dict[str, str], previous: Any = None) -> str:
    """`line` with `$NAME`, `${NAME}` and `${JMESPATH}` replaced outside single quotes.

    `${JMESPATH}` reads the previous command's result (`${Messages[0].ReceiptHandle}`);
    raises UndefinedVariable for an unset name or an expression that finds nothing.
    """
    if "$" not in line:
        return line
    out: list[str] = []
    quote: str | None = None
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if quote == "'":
            out.append(ch)
            if ch == "'":
                quote = None
            i += 1
            continue
        if ch == "\\" and i + 1 < n and line[i + 1] == "$":
            out.append("\\$")
            i += 2
            continue
        if ch in "'\"" and (quote is None or quote == ch):
            quote = None if quote == ch else ch
        if ch == "$":
            braced = line.startswith("{", i + 1)
            if braced:
                end = _closing_brace(line, i + 2)
                if end is not None:
                    out.append(_lookup(line[i + 2 : end].strip(), variables, previous))
                    i = end + 1
                    continue
            else:
                match = _NAME.match(line, i + 1)
                if match:
                    name = match.group(0)
                    if name not in variables:
                        raise UndefinedVariable(name)
                    out.append(variables[name])
                    i = match.end()
                    continue
        out.append(ch)
        i += 1
    return "".join(out)


def _closing_brace(line: str, start: int) -> int | None:
    """Index of the `}` closing a `${`, allowing nested braces and quoted text inside."""
    depth = 0
    quote: str | None = None
    for index in range(start, len(line)):
        ch = line[index]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'`\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return index
            depth -= 1
    return None


def _lookup(expression: str, variables: dict[str, str], previous: Any) -> str:
    """`${NAME}` is a variable; otherwise `${EXPR}` is JMESPath on the previous result."""
    if expression in variables:
        return variables[expression]
    try:
        found = search(expression, previous)
    except QueryError:
        raise UndefinedVariable(expression) from None
    if found is None:
        raise UndefinedVariable(expression)
    return as_text(found)
