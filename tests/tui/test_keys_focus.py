"""Keys work where the footer says they do; focus is visible and moves one consistent way."""

from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from engine import Engine
from tui.app import PipeworkApp
from tui.app.widgets.command_bar import CommandBar
from tui.app.widgets.event_log import EventLog
from tui.app.widgets.flow_map import FlowMap
from tui.app.widgets.result_pane import ResultPane
from tui.app.widgets.trace_table import TraceTable

pytestmark = pytest.mark.timeout(60)


def _footer_keys(app: PipeworkApp) -> set[str]:
    return {key.key for key in app.screen.query(FooterKey)}


async def test_the_footer_offers_no_typed_keys_in_the_command_bar(app: PipeworkApp) -> None:
    async with app.run_test(size=(160, 30)) as pilot:
        app.screen.query_one(CommandBar).focus()
        await pilot.pause()
        keys = _footer_keys(app)
        assert not keys & {"space", "plus", "minus", "j", "m"}
        assert {"escape", "ctrl+e"} <= keys
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one(FlowMap).has_focus
        assert {"space", "plus", "minus", "j"} <= _footer_keys(app)
        await pilot.press("space")
        assert not app.clock_control.paused  # the key the footer shows does what it says


async def test_ctrl_e_works_from_the_command_bar_then_slash_and_p(app: PipeworkApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        bar = app.screen.query_one(CommandBar)
        bar.focus()
        bar.value = "sqs"
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen.query_one(TraceTable).has_focus
        log = app.screen.query_one(EventLog)
        await pilot.press("p")
        assert log.paused
        await pilot.press("p", "slash", *"no")
        await pilot.pause()
        assert app.screen.query_one("#event-filter").value == "no"
        flow = app.screen.query_one(FlowMap)
        assert not flow.neighbourhood  # typing a filter never fires map keys
        assert bar.value == "sqs"


async def test_ctrl_r_focuses_results_and_tab_walks_the_lab(app: PipeworkApp) -> None:
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.screen.query_one(ResultPane).has_focus
        app.action_focus_flow()
        order = []
        for _ in range(4):
            await pilot.press("tab")
            order.append(app.focused.id if app.focused else None)
        assert order == ["result-pane", "resource", "command", "flow"]


async def test_focus_is_visible_on_each_pane(app: PipeworkApp) -> None:
    async with app.run_test(size=(140, 36)) as pilot:
        pane = app.screen.query_one(ResultPane)
        app.action_focus_flow()
        await pilot.pause()
        before = pane.styles.border_left
        app.action_focus_results()
        await pilot.pause()
        assert pane.styles.border_left != before


async def test_opening_a_demo_selects_where_it_starts(app: PipeworkApp, eng: Engine) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        app.action_run_demo("orders")
        await app.workers.wait_for_complete()
        await pilot.pause()
        flow = app.screen.query_one(FlowMap)
        assert flow.has_focus
        assert flow.selected == app.topology.node("orders").id
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == flow.selected and app.screen.has_class("panel-open")


async def test_lab_keys_are_not_offered_on_other_screens(app: PipeworkApp) -> None:
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert not _footer_keys(app) & {"ctrl+e", "ctrl+r", "ctrl+b"}
        await pilot.press("ctrl+e")  # does nothing under the help screen, and says nothing
        assert app.screen.query_one("#help-box")
