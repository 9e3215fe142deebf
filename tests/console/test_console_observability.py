"""Console: `metrics` sparklines from the metrics store, `tail` / `logs tail`, cloudwatch commands."""

from __future__ import annotations

import pytest

from tui.console import Console

pytestmark = pytest.mark.timeout(60)


async def test_metrics_command_shows_a_queue_over_lab_time(eng, clock):
    console = Console(eng)
    assert not (await console.execute("metrics orders")).ok
    await console.execute("cloudwatch list-metrics")  # CloudWatch starts sampling
    await console.execute("sqs create-queue --queue-name orders")
    for _ in range(3):
        await console.execute("sqs send-message --queue-url orders --message-body hi")
        await clock.advance(60)
    result = await console.execute("metrics orders --minutes 5")
    assert result.ok, result.error
    visible = next(
        v for v in result.value if v["MetricName"] == "ApproximateNumberOfMessagesVisible"
    )
    assert [v for v in visible["Values"] if v is not None] == [1, 2, 3]
    sent = await console.execute("metrics sqs NumberOfMessagesSent")
    assert sent.ok and sent.value[0]["Statistic"] == "Sum"
    bad = await console.execute("metrics orders --minutes nope")
    assert not bad.ok and "positive whole number" in bad.error


async def test_tail_and_logs_tail(eng, clock):
    console = Console(eng)
    await console.execute("logs create-log-group --log-group-name app")
    await console.execute("logs create-log-stream --log-group-name app --log-stream-name s")
    stamp = int(clock.now() * 1000)
    put = await console.execute(
        f"logs put-log-events --log-group-name app --log-stream-name s --log-events timestamp={stamp},message=hello timestamp={stamp},message=ERROR"
    )
    assert put.ok, put.error
    result = await console.execute("logs tail app --filter-pattern ERROR")
    assert result.ok and [e["message"] for e in result.value] == ["ERROR"]
    assert len((await console.execute("tail app")).value) == 2
    missing = await console.execute("tail nope")
    assert not missing.ok and "ResourceNotFoundException" in missing.error
