"""`expect` (a script's check on the previous result) and `exit`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..query import QueryError, search
from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console


def truthy(value: Any) -> bool:
    """JMESPath's truth: false, null, and empty strings, lists and objects are false."""
    if value is None or value is False:
        return False
    return not (isinstance(value, (str, list, dict)) and not value)


async def expect(console: Console, args: list[str]) -> CommandResult:
    """Check a JMESPath expression against the previous command's result."""
    expression = " ".join(args).strip()
    if not expression:
        return CommandResult.fail(
            "expect needs a JMESPath expression, e.g. expect length(Messages) == `1`"
        )
    try:
        found = search(expression, console.last_value)
    except QueryError as error:
        return CommandResult.fail(f"expect: bad JMESPath expression {expression!r}: {error}")
    if truthy(found):
        return CommandResult(ok=True, value=found)
    return CommandResult.fail(
        f"expect failed: {expression} was {_shown(found)}{_sides(expression, console.last_value)}"
    )


def _shown(value: Any) -> str:
    """A value as one line of JSON, cut at 200 characters."""
    shown = json.dumps(value, default=str)
    return shown if len(shown) <= 200 else shown[:199] + "…"


def _sides(expression: str, data: Any) -> str:
    """For a comparison, what each side produced (` (left side was 1, right side 2)`)."""
    import jmespath
    from jmespath.exceptions import JMESPathError
    from jmespath.visitor import TreeInterpreter

    try:
        tree = jmespath.compile(expression).parsed
        if tree.get("type") != "comparator":
            return ""
        interpreter = TreeInterpreter()
        left, right = (interpreter.visit(side, data) for side in tree["children"])
    except (JMESPathError, TypeError, ValueError):
        return ""
    return f" (left side was {_shown(left)}, right side {_shown(right)})"


async def expect_error(console: Console, args: list[str]) -> CommandResult:
    """Run a command that must fail with an error code: `expect-error CODE COMMAND …`."""
    import shlex

    if len(args) < 2:
        return CommandResult.fail(
            "usage: expect-error CODE COMMAND — e.g. expect-error ConditionalCheckFailedException"
            " dynamodb put-item …"
        )
    code, line = args[0], shlex.join(args[1:])
    result = await console.execute(line)
    if result.ok:
        return CommandResult.fail(f"expect-error: the command succeeded; expected {code}")
    if f"({code})" not in (result.error or "") and code not in (result.error or ""):
        return CommandResult.fail(f"expect-error: expected {code}, got: {result.error}")
    return CommandResult(ok=True, value={"error": code}, output=None)


async def leave(console: Console, args: list[str]) -> CommandResult:
    """Leave the console."""
    return CommandResult(ok=True, exit=True)


def register(console: Console) -> None:
    """Register `expect`, `exit` and `quit`."""
    console.register_command(
        "expect", expect, "expect JMESPATH — check the previous command's result is truthy"
    )
    console.register_command(
        "expect-error",
        expect_error,
        "expect-error CODE COMMAND — run a command that must fail with that error code",
    )
    console.register_command("exit", leave, "exit — leave the console")
    console.register_command("quit", leave, "quit — leave the console")
