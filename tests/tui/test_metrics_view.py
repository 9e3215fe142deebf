"""The metrics view: `m` charts the selected resource's CloudWatch metrics over lab time."""

from __future__ import annotations

import pytest

from engine import Engine
from tui.app import PipeworkApp
from tui.app.screens.metrics import MetricsScreen
from tui.app.widgets.flow_map import FlowMap
from tui.app.widgets.metric_chart import MetricChart

pytestmark = pytest.mark.timeout(60)


async def test_m_opens_a_chart_of_the_selected_queue(app: PipeworkApp, eng: Engine) -> None:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="orders"))["QueueUrl"]
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        for _ in range(3):
            await sqs.send_message(QueueUrl=url, MessageBody="hi")
            await eng.clock.advance(60)
        app.selected = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
            "Attributes"
        ]["QueueArn"]
        app.screen.query_one(FlowMap).focus()
        await pilot.press("m")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MetricsScreen)
        labels = [row["label"] for row in screen.rows]
        assert "AWS/SQS ApproximateNumberOfMessagesVisible (QueueName=orders)" in labels
        visible = next(
            r
            for r in screen.rows
            if r["label"].startswith("AWS/SQS ApproximateNumberOfMessagesVisible")
        )
        assert [v for v in visible["values"] if v is not None] == [1, 2, 3]
        screen.chosen = visible["key"]
        screen._draw()
        chart = screen.query_one(MetricChart).render_chart().plain
        assert "ApproximateNumberOfMessagesVisible" in chart and "█" in chart
        await pilot.press("w")
        await pilot.pause()
        assert screen.window == 1
        await pilot.press("escape")
        assert not isinstance(app.screen, MetricsScreen)
