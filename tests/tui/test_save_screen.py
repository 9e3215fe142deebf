"""ctrl+s saves the screen into a folder that exists and says where."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.app import PipeworkApp
from tui.app.widgets.result_pane import ResultPane

pytestmark = pytest.mark.timeout(60)


def _has_cairosvg() -> bool:
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


async def test_ctrl_s_saves_svg_and_png_and_says_where(
    app: PipeworkApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "not-yet"  # the folder is created on the way
    monkeypatch.setenv("PIPEWORK_DATA_DIR", str(data))
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_focus_flow()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        saved = sorted((data / "screenshots").iterdir())
        svgs = [p for p in saved if p.suffix == ".svg"]
        assert len(svgs) == 1 and "Pipework" in svgs[0].read_text(encoding="utf-8")
        if _has_cairosvg():
            assert [p.suffix for p in saved] == [".png", ".svg"]
            assert saved[0].read_bytes().startswith(b"\x89PNG")
        pane = app.screen.query_one(ResultPane)
        assert str(svgs[0]) in pane.text.replace("\n", "")
