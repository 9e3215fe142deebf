"""The flow map uses its space: sized boxes, named edges, alarms, stack groups, a stable layout."""

from __future__ import annotations

import pytest

from engine import Engine
from engine.topology import Node, Topology
from tui.app import PipeworkApp
from tui.app.flow_alarms import AlarmWatch
from tui.app.flow_canvas import NodeView
from tui.app.flow_model import build_flow
from tui.app.graph_layout import layout_graph
from tui.app.widgets.flow_map import MIN_BOX_WIDTH, FlowMap

pytestmark = pytest.mark.timeout(60)


def _canvas_text(flow: FlowMap) -> str:
    canvas = flow._canvas
    assert canvas is not None
    return "\n".join("".join(row) for row in canvas.chars)


async def _demo(app: PipeworkApp, name: str, seconds: int) -> FlowMap:
    app.tick_timer.pause()
    app.action_run_demo(name)
    await app.workers.wait_for_complete()
    for _ in range(seconds):
        await app.engine.clock.advance(1)
        app.refresh_views()
    flow = app.screen.query_one(FlowMap)
    flow.select(None)
    app.screen.add_class("hide-panel")
    return flow


@pytest.mark.parametrize("size", [(120, 40), (200, 60)])
async def test_full_names_and_key_figures_fit(app: PipeworkApp, size: tuple[int, int]) -> None:
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        flow = await _demo(app, "pipeline", 5)
        await pilot.pause()
        app.refresh_views()
        await pilot.pause()
        text = _canvas_text(flow)
        assert flow._canvas.width <= flow.size.width  # nothing cut off to the right
        for node in flow.nodes.values():
            assert node.name in text
            for figure in node.figures[:3]:
                assert figure in text, (figure, size)
        boxes = flow._layout.boxes.values()
        if size[0] == 200:
            assert all(box.width > MIN_BOX_WIDTH for box in boxes)  # sized from content
            assert "batch 10" in text and "sqs" in text  # the names the user gave
        for node in flow.nodes.values():  # no subscription or mapping UUIDs on the map
            assert "-4" not in node.name


async def test_a_lagging_stream_glows_on_its_node_and_edge(app: PipeworkApp) -> None:
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        flow = await _demo(app, "stream-lag", 20)
        await pilot.pause()
        stream = next(n for n in flow.nodes.values() if n.kind == "stream")
        assert stream.alarm.startswith("lag ") and stream.flag == "lag"
        mapping = next(e for e in flow.edges if e.kind == "event-source-mapping")
        assert mapping.flag == "lag" and "lag " in mapping.label and "batch" in mapping.label
        assert f"⚠ {stream.alarm}" in _canvas_text(flow)
        from tui.app.inspectors import inspect

        node = app.topology.node("clicks")
        details = await app.host.call(inspect, app.engine, node, app.recorder)
        assert {row["consumer_name"] for row in details["lag"]} == {"λ analyse-clicks"}


async def test_a_filling_dead_letter_queue_glows(app: PipeworkApp) -> None:
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        flow = await _demo(app, "orders", 30)
        await pilot.pause()
        dlq = next(n for n in flow.nodes.values() if n.name == "orders-dlq")
        assert dlq.alarm.startswith("DLQ +") and dlq.flag == "dead-letter"


def test_throttles_and_denied_deliveries_are_alarms() -> None:
    function = Node("arn:f", "function", "resize", "lambda", {"invocations": 1, "throttles": 0})
    watch = AlarmWatch()
    topology = Topology([function], [])
    assert build_flow(topology, None, 0.0, alarms=watch)[0][0].alarm == ""
    function.counters["throttles"] = 3
    (view,), _ = build_flow(topology, None, 1.0, alarms=watch)
    assert view.alarm == "throttled +3" and view.flag == "throttle"


def test_nodes_group_by_stack_in_titled_bands() -> None:
    ids = ["a", "b", "c", "d"]
    groups = {"a": "web", "b": "web", "c": "jobs"}
    layout = layout_graph(ids, [("a", "b")], box_width=20, box_height=4, groups=groups)
    titles = [band.title for band in layout.groups]
    assert titles == ["web", "jobs", "not in a stack"]
    web, jobs, loose = layout.groups
    assert web.y < layout.boxes["a"].y and layout.boxes["b"].y < jobs.y < layout.boxes["c"].y
    assert layout.boxes["c"].y < loose.y < layout.boxes["d"].y


async def test_the_map_draws_stack_titles(app: PipeworkApp) -> None:
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        app.tick_timer.pause()  # the lab's own (empty) topology must not replace these nodes
        flow = app.screen.query_one(FlowMap)
        nodes = [
            NodeView("q1", "queue", "orders", figures=("vis 1",), stack="shop"),
            NodeView("q2", "queue", "audit", figures=("vis 2",)),
        ]
        flow.update_flow(nodes, [], 0.0)
        await pilot.pause()
        text = _canvas_text(flow)
        assert "─ stack shop " in text and "─ stack not in a stack " in text


def test_adding_resources_does_not_move_the_ones_drawn() -> None:
    before = layout_graph(
        ["a", "b", "c", "d", "lone"], [("a", "b"), ("c", "d")], box_width=20, box_height=4
    )
    after = layout_graph(
        ["a", "b", "c", "d", "lone", "new", "x", "y"],
        [("a", "b"), ("c", "d"), ("x", "y")],
        box_width=20,
        box_height=4,
    )
    for ident in "abcd":
        assert (before.boxes[ident].x, before.boxes[ident].y) == (
            after.boxes[ident].x,
            after.boxes[ident].y,
        )


async def test_edges_carry_user_names_not_ids(eng: Engine) -> None:
    sns, sqs = eng.client("sns"), eng.client("sqs")
    topic = (await sns.create_topic(Name="t"))["TopicArn"]
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": '{"kind": ["big"]}'},
    )
    _, edges = build_flow(eng.topology(), None, eng.clock.now())
    (edge,) = [e for e in edges if e.kind == "subscription"]
    assert edge.label.startswith("sqs") and "filter" in edge.label
