"""Shared fixtures: an engine on a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engine import Engine, VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    """A virtual clock at the default epoch."""
    return VirtualClock()


@pytest.fixture
async def eng(clock: VirtualClock) -> AsyncIterator[Engine]:
    """An engine on the virtual clock, closed after the test."""
    async with Engine(clock=clock) as engine:
        yield engine
