"""RabbitMQ on the flow map: exchanges, queues, binding keys on edges; the journey names the binding."""

from __future__ import annotations

import pytest
from rich.console import Console

from engine import Engine
from tui.app import PipeworkApp
from tui.app.flow_model import build_flow
from tui.app.widgets.command_bar import CommandBar
from tui.app.widgets.flow_map import FlowMap
from tui.app.widgets.journey_view import render_journey
from tui.app.widgets.resource_panel import ResourcePanel

pytestmark = pytest.mark.timeout(60)

SETUP = [
    "mq create-broker --broker-name shop --engine-type RABBITMQ --host-instance-type "
    "mq.m5.large --deployment-mode SINGLE_INSTANCE --no-publicly-accessible "
    "--users Username=admin,Password=lab-password-1",
    "clock advance 5s",
    "mq declare shop exchange orders --type topic",
    "mq declare shop queue eu",
    'mq bind shop orders eu --routing-key "order.eu.*"',
    "mq publish shop --exchange orders --routing-key order.eu.created hello",
]


async def _run(pilot, app: PipeworkApp, command: str) -> None:
    bar = app.screen.query_one(CommandBar)
    bar.focus()
    bar.value = command
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_flow_map_draws_exchange_binding_key_and_queue_counts(
    app: PipeworkApp, eng: Engine
) -> None:
    async with app.run_test(size=(160, 44)) as pilot:
        for line in SETUP:
            await _run(pilot, app, line)
        app.refresh_views()
        await pilot.pause()
        flow = app.screen.query_one(FlowMap)
        kinds = {node.name: node.kind for node in flow.nodes.values()}
        assert kinds["orders"] == "exchange" and kinds["eu"] == "amqp-queue"
        queue = next(node for node in flow.nodes.values() if node.name == "eu")
        assert queue.summary == "ready 1 · unack 0 · cons 0"
        drawn = "\n".join(
            "".join(segment.text for segment in flow._canvas.segments(y))
            for y in range(flow._canvas.height)
        )
        assert "─order.…▶" in drawn or "order.eu.*" in drawn  # the key, cut to the room
        assert "(default)" not in drawn  # the default exchange only once used
        flow.select(queue.id)
        await pilot.pause()
        await app.refresh_panel()
        panel = app.screen.query_one(ResourcePanel)
        assert panel.view is not None and panel.view.name == "eu"
        assert {"ready", "unacked", "consumers", "prefetch"} <= set(panel.view.counters)
        assert any(edge.kind == "binding" for edge in panel.view.incoming)


async def test_journey_shows_the_binding_that_matched(eng: Engine, clock) -> None:
    from tui.console import Console as LabConsole

    console = LabConsole(eng)
    for line in SETUP:
        result = await clock.run(console.execute(line))
        assert result.ok, result.error
    message_id = console.last_value["MessageId"]
    events = console.recorder.journey(message_id)
    printer = Console(width=160, record=True)
    printer.print(render_journey(message_id, events))
    text = printer.export_text()
    assert "routed" in text and "orders → eu [order.eu.*]" in text
    nodes, edges = build_flow(eng.topology(), None, clock.now())
    assert any(e.kind == "binding" and e.label == "order.eu.*" for e in edges)
    console.close()
