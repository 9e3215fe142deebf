"""Fixtures for the app tests: a PipeworkApp on the virtual-clock engine, no history file."""

from __future__ import annotations

import pytest

from engine import Engine
from tui.app import PipeworkApp


@pytest.fixture
def app(eng: Engine) -> PipeworkApp:
    """The app on the test engine (its VirtualClock starts paused in the app)."""
    return PipeworkApp(engine=eng)
