"""At 80×24 the side panels take turns instead of squeezing the map and the results."""

from __future__ import annotations

import pytest

from engine import Engine
from tui.app import LessonStep, LessonView, PipeworkApp
from tui.app.widgets.flow_map import FlowMap
from tui.app.widgets.result_pane import ResultPane

pytestmark = pytest.mark.timeout(60)

#: Fewer columns than this and a map box or a result line is no longer readable.
USABLE = 40


async def test_two_panels_at_80_by_24_keep_the_map_usable(app: PipeworkApp, eng: Engine) -> None:
    await eng.client("sqs").create_queue(QueueName="orders")
    async with app.run_test(size=(80, 24)) as pilot:
        app.refresh_views()
        app.show_lesson(LessonView(title="Fan-out", steps=[LessonStep("make a topic")]))
        await pilot.pause()
        lesson = app.screen.query_one("#lesson")
        assert lesson.display and lesson.region.width
        flow = app.screen.query_one(FlowMap)
        flow.focus()
        await pilot.press("right", "enter")  # open the queue's panel too
        await pilot.pause()
        assert app.screen.query_one("#side").region.width > 0
        assert flow.region.width >= USABLE
        assert app.screen.query_one(ResultPane).region.width >= USABLE
        await pilot.press("ctrl+b")  # the panel closes: the lesson is back
        await pilot.pause()
        assert app.screen.query_one("#lesson").region.width > 0
        assert flow.region.width >= USABLE
