"""The header reads as words: `paused · virtual clock`, `1 resource`."""

from __future__ import annotations

import pytest

from engine import Engine
from tui.app import PipeworkApp
from tui.app.widgets.clock_bar import ClockBar

pytestmark = pytest.mark.timeout(60)


async def test_header_words_are_separated_and_counted(app: PipeworkApp, eng: Engine) -> None:
    await eng.client("sqs").create_queue(QueueName="orders")
    async with app.run_test(size=(120, 30)) as pilot:
        app.refresh_views()
        await pilot.pause()
        text = app.screen.query_one(ClockBar).render().plain
        assert "paused · virtual clock" in text
        assert "1 resource" in text and "1 resources" not in text
