"""SVG snapshots of the app in use at 80×24, 120×40 and 200×60 (pytest-textual-snapshot).

The scenarios of issue 18: the map under load, a lagging stream, the journey of a fan-out,
the event log with multi-line bodies and a lesson in progress, each on a virtual clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from engine import VirtualClock
from tui.app import PipeworkApp
from tui.app.widgets.command_bar import CommandBar
from tui.app.widgets.flow_map import FlowMap

pytestmark = pytest.mark.timeout(60)

SIZES = [(80, 24), (120, 40), (200, 60)]

Drive = Callable[[PipeworkApp], Awaitable[None]]


async def _demo(app: PipeworkApp, name: str, seconds: int, rate: float | None = None) -> None:
    app.action_run_demo(name, rate)
    await app.workers.wait_for_complete()
    for _ in range(seconds):
        await app.engine.clock.advance(1)
        app.refresh_views()


async def _map_under_load(app: PipeworkApp) -> None:
    await _demo(app, "pipeline", 5, rate=200)
    app.action_focus_flow()


async def _lagging_stream(app: PipeworkApp) -> None:
    await _demo(app, "stream-lag", 20)
    app.screen.query_one(FlowMap).select(app.topology.node("clicks").id)


async def _fan_out_journey(app: PipeworkApp) -> None:
    await _demo(app, "pipeline", 2, rate=5)
    # Real elapsed time differs run to run: the picture shows a fixed 10 µs per event.
    app.wall_stamps.of = lambda events: {e.seq: e.seq * 1e-5 for e in events}
    published = next(e for e in reversed(app.recorder.events) if e.kind == "published")
    await app.open_journey(published.trace_id or published.message_id or "")


BODIES = ['{\n  "order": 7,\n  "note": "two\\nlines"\n}', "hello\nworld\ttabbed"]


async def _event_log(app: PipeworkApp) -> None:
    sns, sqs = app.engine.client("sns"), app.engine.client("sqs")
    topic = (await sns.create_topic(Name="orders"))["TopicArn"]
    for name in ("billing", "shipping"):
        url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
        attributes = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        await sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=attributes["Attributes"]["QueueArn"]
        )
    for body in BODIES:
        await sns.publish(TopicArn=topic, Message=body)
    await app.engine.clock.advance(1)
    app.refresh_views()
    app.action_focus_events()


LESSON = [
    "lesson start 6",
    "sns create-topic --name order-placed",
    "sqs create-queue --queue-name billing",
    "sns subscribe --topic-arn order-placed --protocol sqs"
    " --notification-endpoint arn:aws:sqs:us-east-1:123456789012:billing",
    "lesson hint",
]


async def _lesson(app: PipeworkApp) -> None:
    for command in LESSON:
        app.run_command(command)
        await app.workers.wait_for_complete()
        await app.engine.clock.advance(1)
        app.refresh_views()


SCENARIOS: dict[str, Drive] = {
    "map_under_load": _map_under_load,
    "lagging_stream": _lagging_stream,
    "fan_out_journey": _fan_out_journey,
    "event_log_multiline": _event_log,
    "lesson_in_progress": _lesson,
}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Lesson progress in a scratch folder, not the person's."""
    monkeypatch.setenv("PIPEWORK_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_in_use(snap_compare, data_dir: Path, scenario: str, size: tuple[int, int]) -> None:
    async def drive(pilot) -> None:
        app: PipeworkApp = pilot.app
        await pilot.pause()
        app.screen.query_one(CommandBar).cursor_blink = False
        app.tick_timer.pause()  # sampled once per simulated second: the same picture each run
        await SCENARIOS[scenario](app)
        await pilot.pause()
        if app.selected is not None:
            await app.refresh_panel()
        await pilot.pause()

    app = PipeworkApp(clock=VirtualClock(), history_file=data_dir / "history")
    assert snap_compare(app, terminal_size=size, run_before=drive)
