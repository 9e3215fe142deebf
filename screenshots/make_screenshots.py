"""Regenerate screenshots/*.svg from the real app driving real scenarios on a virtual clock.

Usage: `python screenshots/make_screenshots.py [--png DIR]` (PNG copies via cairosvg, for
looking at them). Every scenario is a demo from `tui.app.demos`, run for a fixed stretch of
simulated time (or, for the lesson, commands typed as a learner would), so the pictures are the
same on every run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from engine import VirtualClock  # noqa: E402
from tui.app import PipeworkApp  # noqa: E402
from tui.app.demos import available_demos  # noqa: E402
from tui.app.screens.lab import LabScreen  # noqa: E402
from tui.app.widgets.flow_map import FlowMap  # noqa: E402

Drive = Callable[[PipeworkApp, object], Awaitable[None]]


@dataclass(frozen=True)
class Shot:
    """One screenshot: file name, terminal size, the demo it needs and what to do after."""

    name: str
    size: tuple[int, int]
    demo: str  # a demo from tui.app.demos, or "" for none
    seconds: int
    select: str | None = None
    then: Drive | None = None
    theme: str = "textual-dark"
    rate: float | None = None


async def _journey(app: PipeworkApp, pilot: object) -> None:
    """Open the journey of the message with the most hops among the recent ones."""
    best, best_hops = None, 0
    for event in list(app.recorder.events)[-400:]:
        if event.message_id:
            hops = len(app.recorder.journey(event.message_id))
            if hops > best_hops:
                best, best_hops = event.message_id, hops
    if best is not None:
        # Real elapsed time differs run to run: the picture shows a fixed 10 µs per event.
        app.wall_stamps.of = lambda events: {e.seq: e.seq * 1e-5 for e in events}
        await app.open_journey(best)


async def _workflow(app: PipeworkApp, pilot: object) -> None:
    """Open the workflow graph of the demo's state machine."""
    node = app.topology.node("checkout")
    if node is not None:
        flow = app.screen.query_one(FlowMap)
        flow.select(node.id)
        flow.action_open()


async def _whole_map(app: PipeworkApp, pilot: object) -> None:
    """The map alone at 120 columns: the side panel hidden (ctrl+b), nothing selected."""
    app.screen.query_one(FlowMap).select(None)
    app.action_toggle_panel()


async def _compact(app: PipeworkApp, pilot: object) -> None:
    app.screen.query_one(FlowMap).compact = True


async def _events(app: PipeworkApp, pilot: object) -> None:
    app.action_focus_events()


async def _multi_line_events(app: PipeworkApp, pilot: object) -> None:
    """SNS fans multi-line bodies out to two queues; the event log shows one line per event."""
    sns, sqs = app.engine.client("sns"), app.engine.client("sqs")
    topic = (await sns.create_topic(Name="orders"))["TopicArn"]
    for name in ("billing", "shipping"):
        url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
        attributes = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        await sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=attributes["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
    for order in range(1, 4):
        await sns.publish(TopicArn=topic, Message=f'{{\n  "order": {order},\n  "lines": 2\n}}')
    await app.engine.clock.advance(1)
    app.refresh_views()
    app.action_focus_events()


#: Lesson 6 (SNS fan-out) half done: the topic fans out to two queues and a function.
LESSON_COMMANDS = [
    "lesson start 6",
    "sns create-topic --name order-placed",
    "sqs create-queue --queue-name billing",
    "sqs create-queue --queue-name shipping",
    "sns subscribe --topic-arn order-placed --protocol sqs"
    " --notification-endpoint arn:aws:sqs:us-east-1:123456789012:billing",
    "sns subscribe --topic-arn order-placed --protocol sqs"
    " --notification-endpoint arn:aws:sqs:us-east-1:123456789012:shipping",
    "lambda create-function --function-name notify --runtime python3.12"
    " --role arn:aws:iam::123456789012:role/lab --handler pipework.demos.log-event --code '{}'",
    "sns subscribe --topic-arn order-placed --protocol lambda"
    " --notification-endpoint arn:aws:lambda:us-east-1:123456789012:function:notify",
    "lesson predict 3",
    'sns publish --topic-arn order-placed --message \'{"orderId": "o-1"}\'',
    "lesson hint",
]


async def _lesson(app: PipeworkApp, pilot: object) -> None:
    """Do the first steps of lesson 6 in the command bar, as a learner would."""
    for command in LESSON_COMMANDS:
        app.run_command(command)
        await app.workers.wait_for_complete()
        await app.engine.clock.advance(1)
        app.refresh_views()


SHOTS = [
    Shot("flow-map-under-load", (200, 60), "pipeline", 10, select="order-events", rate=1000),
    Shot("flow-map-120x40", (120, 40), "pipeline", 10, then=_whole_map, rate=200),
    Shot("event-log-multi-line", (120, 40), "", 0, then=_multi_line_events),
    Shot("dead-letter-queue", (160, 48), "orders", 30, select="orders", then=_events),
    Shot("lagging-stream", (160, 48), "stream-lag", 30, select="clicks"),
    Shot("message-journey", (160, 48), "pipeline", 10, then=_journey),
    Shot("workflow-mid-retry", (160, 44), "workflow-retry", 18, then=_workflow),
    Shot("compact-80x24", (80, 24), "pipeline", 10, then=_compact),
    Shot("light-theme", (140, 40), "orders", 20, select="orders", theme="textual-light"),
    Shot("lesson-in-progress", (160, 48), "", 0, then=_lesson),
]


async def take(shot: Shot, out: Path) -> Path | None:
    """Run one scenario and save its SVG; None when its services are not in this build."""
    app = PipeworkApp(clock=VirtualClock(), history_file=Path(tempfile.mkdtemp()) / "history")
    if shot.demo and shot.demo not in {demo.name for demo in available_demos()}:
        return None
    app.theme = shot.theme
    async with app.run_test(size=shot.size) as pilot:
        await pilot.pause()
        app.tick_timer.pause()  # sample once per simulated second: the same picture every run
        if shot.demo:
            app.action_run_demo(shot.demo, shot.rate)
            await app.workers.wait_for_complete()
        for _ in range(shot.seconds):
            await app.engine.clock.advance(1)
            app.refresh_views()
            await pilot.pause(0.01)
        if shot.select:
            node = app.topology.node(shot.select)
            if node is not None:
                app.screen.query_one(FlowMap).select(node.id)
        if shot.then is not None:
            await shot.then(app, pilot)
        await pilot.pause(0.3)
        if isinstance(app.screen, LabScreen):
            await app.refresh_panel()
        await pilot.pause(0.3)
        path = Path(app.save_screenshot(filename=f"{shot.name}.svg", path=str(out)))
    return path


async def main(png_dir: Path | None) -> None:
    # Lesson progress of the screenshot runs goes to a scratch folder, not the learner's.
    os.environ["PIPEWORK_DATA_DIR"] = tempfile.mkdtemp()
    for shot in SHOTS:
        path = await take(shot, HERE)
        if path is None:
            print(f"skipped {shot.name}: its services are not in this build")
            continue
        print(f"wrote {path.relative_to(HERE.parent)}")
        if png_dir is not None:
            import cairosvg

            png_dir.mkdir(parents=True, exist_ok=True)
            target = png_dir / f"{shot.name}.png"
            cairosvg.svg2png(url=str(path), write_to=str(target), output_width=shot.size[0] * 9)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", type=Path, help="also write PNG copies into this folder")
    asyncio.run(main(parser.parse_args().png))
