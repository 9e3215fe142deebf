"""Fixtures for console tests: a console over the virtual-clock engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engine import Engine
from tui.console import CommandResult, Console


@pytest.fixture
async def console(eng: Engine) -> AsyncIterator[Console]:
    """A console on the test engine."""
    console = Console(eng)
    yield console
    console.close()


@pytest.fixture
def run(console: Console, clock):  # type: ignore[no-untyped-def]
    """`await run(line)`: execute a line with idle-jump, as scripts do."""

    async def runner(line: str) -> CommandResult:
        return await clock.run(console.execute(line))

    return runner


def plain(renderable: object, width: int = 200) -> str:
    """What a renderable prints, without colour."""
    import io

    from rich.console import Console as RichConsole

    buffer = io.StringIO()
    RichConsole(file=buffer, width=width, color_system=None, highlight=False).print(renderable)
    return buffer.getvalue()
