"""SVG snapshots of the app at fixed sizes on a virtual clock (pytest-textual-snapshot)."""

from __future__ import annotations

from pathlib import Path

from engine import VirtualClock
from tui.app import PipeworkApp
from tui.app.widgets.command_bar import CommandBar
from tui.app.widgets.flow_map import FlowMap


def _app(tmp_path: Path) -> PipeworkApp:
    return PipeworkApp(clock=VirtualClock(), history_file=tmp_path / "history")


async def _steady(pilot) -> None:
    """No blinking cursor: the picture must not depend on when it is taken."""
    await pilot.pause()
    pilot.app.screen.query_one(CommandBar).cursor_blink = False
    pilot.app.tick_timer.pause()


def test_empty_lab_at_80_by_24(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), run_before=_steady)


def test_orders_demo_with_a_selected_queue_at_140_by_40(snap_compare, tmp_path: Path) -> None:
    async def drive(pilot) -> None:
        app: PipeworkApp = pilot.app
        await _steady(pilot)  # and sample once per simulated second, exactly
        app.action_run_demo("orders")
        await app.workers.wait_for_complete()
        for _ in range(12):
            await app.engine.clock.advance(1)
            app.refresh_views()
        app.screen.query_one(FlowMap).select(app.topology.node("orders").id)
        await pilot.pause()
        await app.refresh_panel()
        await pilot.pause()

    assert snap_compare(_app(tmp_path), terminal_size=(140, 40), run_before=drive)


def test_help_screen_at_100_by_30(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(_app(tmp_path), terminal_size=(100, 30), press=["f1"], run_before=_steady)
