"""The topic panel: partitions (leader, ISR, offsets, size) and each group's lag per partition."""

from __future__ import annotations

import asyncio

import pytest
from rich.console import Console

from engine import Engine
from tests.engine.kafka_lab import active_cluster, topic
from tui.app import PipeworkApp
from tui.app.inspectors import inspect
from tui.app.widgets.flow_map import FlowMap
from tui.app.widgets.inspection_view import render_inspection
from tui.app.widgets.resource_panel import ResourcePanel

pytestmark = pytest.mark.timeout(60)


def _text(renderable) -> str:
    console = Console(width=100, record=True)
    console.print(renderable)
    return console.export_text()


async def _lagging_topic(eng: Engine) -> str:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "orders", 3)
    kafka = eng.service("kafka")
    cluster = kafka.resolve(arn)
    kafka.produce(cluster, "orders", [(b"k%d" % i, b"v", []) for i in range(30)])
    cluster.groups.commit("billing", -1, "", [("orders", p, 2, None, -1) for p in range(3)])
    kafka.set_broker_down(cluster, 3, True)
    return cluster.topic_arn("orders")


async def test_the_inspector_reports_partitions_and_group_lag(eng: Engine) -> None:
    topic_arn = await _lagging_topic(eng)
    node = next(n for n in eng.topology().nodes if n.id == topic_arn)
    details = inspect(eng, node)
    assert [p["partition"] for p in details["partitions"]] == [0, 1, 2]
    assert sum(p["end"] for p in details["partitions"]) == 30
    assert all(3 not in p["isr"] for p in details["partitions"])
    assert sum(row["behind"] for row in details["lag"]) == 30 - 6
    text = _text(render_inspection(details))
    assert "lag per consumer group and partition" in text and "billing" in text


async def test_selecting_a_topic_shows_its_panel(app: PipeworkApp, eng: Engine) -> None:
    topic_arn = await _lagging_topic(eng)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        app.refresh_views()
        await pilot.pause()
        flow = app.screen.query_one(FlowMap)
        flow.select(topic_arn)
        for _ in range(20):
            await pilot.pause(0.05)
            panel = app.screen.query_one(ResourcePanel)
            if panel.view is not None and panel.view.details:
                break
        panel = app.screen.query_one(ResourcePanel)
        assert panel.view is not None and panel.view.kind == "kafka-topic"
        assert panel.view.details["kind"] == "kafka-topic"
        assert panel.view.details["lag"][0]["group"] == "billing"


async def test_a_rebalance_flags_the_group_and_produced_records_give_the_topic_a_rate(
    eng: Engine,
) -> None:
    from tui.app.trace_stats import TraceStats

    stats = TraceStats(eng.trace, window=5)
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "orders", 1)
    kafka = eng.service("kafka")
    cluster = kafka.resolve(arn)
    stats.set_nodes(frozenset(n.id for n in eng.topology().nodes))
    for _ in range(5):
        kafka.produce(cluster, "orders", [(None, b"x", [])])
    join = asyncio.ensure_future(
        cluster.groups.join(
            "g", "", "consumer", [("range", b"")], 6000, 6000, "c", "/h", None, False
        )
    )
    await eng.clock.advance(0)
    await join
    stats.drain()
    now = eng.clock.now()
    assert stats.node_flag(cluster.group_arn("g"), now) == "retry"
    assert stats.node_rate(cluster.topic_arn("orders"), now) > 0
