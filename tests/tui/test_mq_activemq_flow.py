"""ActiveMQ on the flow map: queues, topics, subscriptions with their selector on the edge."""

from __future__ import annotations

import pytest

from engine import Engine
from tui.app import PipeworkApp
from tui.app.flow_model import build_flow
from tui.app.widgets.command_bar import CommandBar
from tui.app.widgets.flow_map import FlowMap

pytestmark = pytest.mark.timeout(60)

SETUP = [
    "mq create-broker --broker-name legacy --engine-type ACTIVEMQ --host-instance-type "
    "mq.m5.large --deployment-mode SINGLE_INSTANCE --no-publicly-accessible "
    "--users Username=admin,Password=lab-password-1",
    "clock advance 5s",
    "mq subscribe legacy topic://orders --selector \"region = 'eu'\" --durable eu",
    "mq subscribe legacy Consumer.Billing.VirtualTopic.Orders",
    "mq send legacy topic://orders --prop region=eu hello",
    "mq send legacy topic://VirtualTopic.Orders shipped",
    "mq send legacy invoices INV-1",
]


async def _run(pilot, app: PipeworkApp, command: str) -> None:
    bar = app.screen.query_one(CommandBar)
    bar.focus()
    bar.value = command
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_flow_map_draws_topics_subscriptions_and_queues(
    app: PipeworkApp, eng: Engine
) -> None:
    async with app.run_test(size=(160, 44)) as pilot:
        for line in SETUP:
            await _run(pilot, app, line)
        app.refresh_views()
        await pilot.pause()
        flow = app.screen.query_one(FlowMap)
        kinds = {node.name: node.kind for node in flow.nodes.values()}
        assert kinds["orders"] == "jms-topic"
        assert kinds["invoices"] == "jms-queue"
        assert kinds["Consumer.Billing.VirtualTopic.Orders"] == "jms-queue"
        assert kinds["eu"] == "jms-subscription"
        invoices = next(node for node in flow.nodes.values() if node.name == "invoices")
        assert invoices.headline == "1"  # depth


async def test_selector_labels_the_subscription_edge(eng: Engine, clock) -> None:
    from tui.console import Console as LabConsole

    console = LabConsole(eng)
    for line in SETUP:
        result = await clock.run(console.execute(line))
        assert result.ok, result.error
    _, edges = build_flow(eng.topology(), None, clock.now())
    assert any(e.kind == "jms-subscription" and e.label == "region = 'eu'" for e in edges)
    assert any(e.kind == "virtual-topic" for e in edges)
    console.close()
