"""The resource panel shows the selected resource's CloudWatch metrics: CloudWatch's own numbers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from rich.console import Console
from textual.widgets import Static

from engine import Engine
from tui.app import PipeworkApp
from tui.app.widgets.resource_panel import ResourcePanel

pytestmark = pytest.mark.timeout(60)


def _stamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


async def _cloudwatch(eng: Engine, namespace: str, name: str, dimension: dict, **stats) -> dict:
    """GetMetricStatistics for the last 15 minutes in 1-minute periods, newest datapoint."""
    now = eng.clock.now()
    answer = await eng.client("cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[dimension],
        StartTime=_stamp(now - now % 60 - 900),
        EndTime=_stamp(now),
        Period=60,
        **stats,
    )
    return max(answer["Datapoints"], key=lambda d: d["Timestamp"])


async def test_queue_panel_shows_cloudwatch_figures(app: PipeworkApp, eng: Engine) -> None:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="orders"))["QueueUrl"]
    arn = f"arn:aws:sqs:us-east-1:{eng.account_id}:orders"
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        for _ in range(3):
            await sqs.send_message(QueueUrl=url, MessageBody="hi")
            await eng.clock.advance(60)
        app.selected = arn
        await app.refresh_panel()
        await pilot.pause()
        panel = app.screen.query_one(ResourcePanel)
        figures = {(f.name, f.statistic): f for f in panel.view.metrics}
        visible = figures[("ApproximateNumberOfMessagesVisible", "Maximum")]
        expected = await _cloudwatch(
            eng,
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"Name": "QueueName", "Value": "orders"},
            Statistics=["Maximum"],
        )
        assert visible.value == expected["Maximum"] == 3
        assert [p for p in visible.points if p] == [1, 2, 3]
        sent = figures[("NumberOfMessagesSent", "Sum")]
        assert sum(sent.points) == 3
        console = Console(width=120, record=True)
        console.print(panel.query_one("#resource-metrics", Static).content)
        text = console.export_text()
        assert "CloudWatch" in text and "ApproximateNumberOfMessagesVisible" in text


async def test_function_panel_shows_invocations_errors_and_duration_percentiles(
    app: PipeworkApp, eng: Engine
) -> None:
    calls = iter(range(100))

    async def handler(event, context):
        n = next(calls)
        await eng.clock.sleep(0.01 * (n + 1))  # durations 10, 20, … ms
        if n % 4 == 3:
            raise ValueError("every fourth call fails")
        return n

    arn = eng.register_function("work", handler, Timeout=10)
    lam = eng.client("lambda")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        runs = [asyncio.ensure_future(lam.invoke(FunctionName="work")) for _ in range(8)]
        await eng.clock.advance(60)  # the handlers sleep on the lab clock
        await asyncio.gather(*runs)
        app.selected = arn
        await app.refresh_panel()
        await pilot.pause()
        figures = {
            (f.name, f.statistic): f.value for f in app.screen.query_one(ResourcePanel).view.metrics
        }
        dims = {"Name": "FunctionName", "Value": "work"}
        invocations = await _cloudwatch(eng, "AWS/Lambda", "Invocations", dims, Statistics=["Sum"])
        errors = await _cloudwatch(eng, "AWS/Lambda", "Errors", dims, Statistics=["Sum"])
        duration = await _cloudwatch(
            eng, "AWS/Lambda", "Duration", dims, ExtendedStatistics=["p50", "p90", "p99"]
        )
        assert figures[("Invocations", "Sum")] == invocations["Sum"] == 8
        assert figures[("Errors", "Sum")] == errors["Sum"] == 2
        for p in ("p50", "p90", "p99"):
            assert figures[("Duration", p)] == duration["ExtendedStatistics"][p]
        assert figures[("Duration", "p99")] > figures[("Duration", "p50")]
