"""Fixtures for REPL tests: a console over the virtual-clock engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engine import Engine
from tui.console import Console


@pytest.fixture
async def console(eng: Engine) -> AsyncIterator[Console]:
    """A console on the test engine."""
    console = Console(eng)
    yield console
    console.close()
