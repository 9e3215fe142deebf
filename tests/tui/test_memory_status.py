"""The header shows the lab's resident memory, read once a lab second."""

from __future__ import annotations

import pytest

from engine import Engine, VirtualClock
from tui.app import PipeworkApp
from tui.app.widgets.clock_bar import ClockBar
from tui.app.widgets.flow_map import FlowMap

pytestmark = pytest.mark.timeout(60)


async def test_the_header_shows_resident_memory(eng: Engine) -> None:
    app = PipeworkApp(engine=eng, memory_probe=lambda: 64 * 1_048_576)
    async with app.run_test(size=(120, 36)) as pilot:
        app.screen.query_one(FlowMap).focus()
        for _ in range(3):
            await pilot.press("full_stop")  # a lab second passes: the header samples again
            await pilot.pause(0.3)
        bar = app.screen.query_one(ClockBar)
        assert bar.resident_bytes == 64 * 1_048_576
        assert "64 MiB" in bar.render().plain


async def test_only_the_apps_own_real_time_lab_shows_memory_by_default(eng: Engine) -> None:
    assert PipeworkApp(engine=eng).memory_probe is None
    assert PipeworkApp(clock=VirtualClock()).memory_probe is None
    assert PipeworkApp().memory_probe is not None
