"""The app shows a banner while a lab opened from elsewhere is paused; `resume` clears it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import Engine
from tui.app import PipeworkApp
from tui.app.widgets.command_bar import CommandBar
from tui.app.widgets.held_banner import HeldBanner

pytestmark = pytest.mark.timeout(60)


async def _command(pilot, app: PipeworkApp, command: str) -> None:  # type: ignore[no-untyped-def]
    bar = app.screen.query_one(CommandBar)
    bar.focus()
    bar.value = command
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.refresh_views(force_panel=True)
    await pilot.pause()


async def test_a_foreign_lab_shows_the_banner_until_resume(eng: Engine, tmp_path: Path) -> None:
    path = tmp_path / "theirs.json"
    path.write_text(
        json.dumps(
            {
                "format": "pipework-lab",
                "version": 2,
                "origin": {"machine": "m", "user": "mallory", "host": "elsewhere"},
                "services": {"sqs": {"queues": [{"name": "q", "messages": []}]}},
            }
        )
    )
    app = PipeworkApp(engine=eng)
    async with app.run_test(size=(120, 36)) as pilot:
        banner = app.screen.query_one(HeldBanner)
        assert not banner.display or not banner.has_class("-held")
        await _command(pilot, app, f"open {path}")
        assert banner.has_class("-held") and banner.display
        assert "mallory on elsewhere" in banner.reason
        await pilot.click("#held")  # a click asks for `resume`
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.refresh_views(force_panel=True)
        await pilot.pause()
        assert not eng.hold.held
        assert not banner.has_class("-held") and banner.reason == ""


async def test_the_app_keeps_a_lab_with_lab_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine import VirtualClock

    monkeypatch.setenv("PIPEWORK_DATA_DIR", str(tmp_path))
    async with Engine(clock=VirtualClock()) as first:
        app = PipeworkApp(engine=first, lab="pilot")
        async with app.run_test(size=(120, 36)) as pilot:
            await app.workers.wait_for_complete()
            await _command(pilot, app, "sqs create-queue --queue-name kept")
    async with Engine(clock=VirtualClock()) as second:
        app = PipeworkApp(engine=second, lab="pilot")
        async with app.run_test(size=(120, 36)) as pilot:
            await app.workers.wait_for_complete()
            listed = await second.client("sqs").list_queues()
            assert [u.rsplit("/", 1)[1] for u in listed["QueueUrls"]] == ["kept"]
            assert not second.hold.held  # made here, by this user
    assert (tmp_path / "labs" / "pilot.sqlite").exists()
