"""The app's cheap paths under load: partial flow-map repaints, cached layouts, GC settings."""

from __future__ import annotations

import gc
import sys

from textual.app import App, ComposeResult
from textual.widgets import Static

from engine import Engine, RealClock
from tui.app.engine_host import GC_YOUNG_THRESHOLD, SWITCH_INTERVAL, EngineHost
from tui.app.flow_canvas import EdgeView, NodeView
from tui.app.widgets.flow_map import FlowMap
from tui.app.widgets.resource_panel import ResourcePanel, ResourceView


class _MapApp(App[None]):
    def compose(self) -> ComposeResult:
        yield FlowMap(id="flow")


def _picture(summary: str) -> tuple[list[NodeView], list[EdgeView]]:
    nodes = [
        NodeView("a", "queue", "queue-a", "vis 1", "1"),
        NodeView("b", "queue", "queue-b", summary, "2"),
    ]
    return nodes, [EdgeView("a", "b", "subscription")]


def _count_repaints(flow: FlowMap) -> list[tuple[int, int] | str]:
    seen: list[tuple[int, int] | str] = []
    full, lines = flow.refresh, flow.refresh_lines

    def refresh(*regions, **options):
        if not regions:
            seen.append("all")
        return full(*regions, **options)

    def refresh_lines(start: int, count: int = 1) -> None:
        seen.append((start, count))
        lines(start, count)

    flow.refresh = refresh  # type: ignore[method-assign]
    flow.refresh_lines = refresh_lines  # type: ignore[method-assign]
    return seen


async def test_an_unchanged_picture_repaints_nothing_and_a_new_count_only_its_rows() -> None:
    app = _MapApp()
    async with app.run_test(size=(80, 20)) as pilot:
        flow = app.query_one(FlowMap)
        flow.update_flow(*_picture("vis 2"), 0.0)
        await pilot.pause()
        seen = _count_repaints(flow)
        flow.update_flow(*_picture("vis 2"), 0.0)
        assert seen == []
        flow.update_flow(*_picture("vis 3"), 0.0)
        assert seen and "all" not in seen
        changed = sum(count for _, count in seen)  # type: ignore[misc]
        assert 0 < changed < len(flow._rows)


async def test_a_new_shape_repaints_everything_and_zooming_back_reuses_its_layout() -> None:
    app = _MapApp()
    async with app.run_test(size=(80, 20)) as pilot:
        flow = app.query_one(FlowMap)
        flow.update_flow(*_picture("vis 2"), 0.0)
        full_layout = flow._layout
        seen = _count_repaints(flow)
        flow.compact = True
        await pilot.pause()
        assert "all" in seen
        flow.compact = False
        await pilot.pause()
        assert flow._layout is full_layout


async def test_a_threaded_host_tunes_the_gc_and_gil_and_restores_them_on_stop() -> None:
    before = (sys.getswitchinterval(), gc.get_threshold())
    host = EngineHost(Engine(clock=RealClock()), threaded=True)
    host.start()
    try:
        assert sys.getswitchinterval() == SWITCH_INTERVAL
        assert gc.get_threshold()[0] >= GC_YOUNG_THRESHOLD
    finally:
        await host.stop(close_engine=True)
    assert (sys.getswitchinterval(), gc.get_threshold()) == before


class _PanelApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ResourcePanel(id="resource")


async def test_the_panel_skips_updates_that_would_show_the_same_thing() -> None:
    app = _PanelApp()
    async with app.run_test(size=(60, 30)) as pilot:
        panel = app.query_one(ResourcePanel)
        links = panel.query_one("#resource-links", Static)
        updates: list[object] = []
        original = links.update

        def update(content: object = "", **options: object) -> None:
            updates.append(content)
            original(content, **options)

        links.update = update  # type: ignore[method-assign]
        view = ResourceView("arn:q", "queue", "q", "sqs", counters={"visible": 1.0})
        await panel.show(view)
        await panel.show(view)
        await pilot.pause()
        assert len(updates) == 1
        view.outgoing = [EdgeView("arn:q", "arn:f", "event-source-mapping", 3.0)]
        await panel.show(view)
        assert len(updates) == 2


def _count_layouts(widget: FlowMap | Static) -> list[bool]:
    seen: list[bool] = []
    original = widget.refresh

    def refresh(*regions, **options):
        if options.get("layout"):
            seen.append(True)
        return original(*regions, **options)

    widget.refresh = refresh  # type: ignore[method-assign]
    return seen


async def test_zooming_the_map_relays_out_the_screen_only_when_a_scrollbar_comes_or_goes() -> None:
    app = _MapApp()
    async with app.run_test(size=(120, 30)) as pilot:
        flow = app.query_one(FlowMap)
        flow.update_flow(*_picture("vis 2"), 0.0)
        await pilot.pause()
        full = flow.virtual_size
        layouts = _count_layouts(flow)
        flow.compact = True
        await pilot.pause()
        assert flow.virtual_size != full
        assert (flow.show_horizontal_scrollbar, flow.show_vertical_scrollbar) == (False, False)
        assert layouts == []
    narrow = _MapApp()
    async with narrow.run_test(size=(30, 8)) as pilot:
        flow = narrow.query_one(FlowMap)
        flow.update_flow(*_picture("vis 2"), 0.0)
        await pilot.pause()
        assert flow.show_horizontal_scrollbar


async def test_new_panel_text_of_the_same_height_relays_out_nothing() -> None:
    app = _PanelApp()
    async with app.run_test(size=(60, 30)) as pilot:
        panel = app.query_one(ResourcePanel)
        view = ResourceView("arn:q", "queue", "q", "sqs", counters={"visible": 1.0})
        view.outgoing = [EdgeView("arn:q", "arn:f", "event-source-mapping", 3.0)]
        await panel.show(view)
        await pilot.pause()
        links = panel.query_one("#resource-links", Static)
        layouts = _count_layouts(links)
        view.outgoing = [EdgeView("arn:q", "arn:f", "event-source-mapping", 7.0)]
        await panel.show(view)
        assert layouts == []
        view.outgoing.append(EdgeView("arn:q", "arn:g", "subscription", 1.0))
        await panel.show(view)
        assert layouts == [True]
