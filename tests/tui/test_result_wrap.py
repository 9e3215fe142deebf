"""The Results pane wraps to the width it shows and rewraps when that width changes."""

from __future__ import annotations

import pytest

from tui.app import PipeworkApp
from tui.app.widgets.result_pane import ResultPane

pytestmark = pytest.mark.timeout(60)

LONG = " ".join(f"word{n}" for n in range(60))


def _fits(pane: ResultPane) -> bool:
    width = pane.scrollable_content_region.width
    return all(line.cell_length <= width or not line.text.strip() for line in pane.lines) and all(
        len(line.text.rstrip()) <= width for line in pane.lines
    )


def _words(pane: ResultPane) -> list[str]:
    return " ".join(line.text for line in pane.lines).split()


async def test_results_wrap_to_the_visible_width_and_rewrap(app: PipeworkApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.screen.query_one(ResultPane)
        for n in range(30):
            pane.show_note(f"{n} {LONG}")
        await pilot.pause()
        assert _fits(pane)
        assert [w for w in _words(pane) if w.startswith("word")][:60] == LONG.split()
        narrow = pane.scrollable_content_region.width
        await pilot.resize_terminal(150, 40)
        await pilot.pause()
        await pilot.pause()
        assert pane.scrollable_content_region.width != narrow
        assert _fits(pane)
        assert max(len(line.text.rstrip()) for line in pane.lines) > narrow  # rewrapped wider
        assert _words(pane)[:1] == ["0"]  # scrollback kept from the first entry
        app.action_toggle_panel()  # the side panel takes room: the text rewraps again
        await pilot.pause()
        await pilot.pause()
        assert _fits(pane)


async def test_json_results_fold_instead_of_being_cut(app: PipeworkApp) -> None:
    from rich.json import JSON

    arn = "arn:aws:sns:us-east-1:123456789012:order-placed:" + "0123456789abcdef" * 4
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.screen.query_one(ResultPane)
        pane.show_result(JSON.from_data({"SubscriptionArn": arn}), None, None)
        await pilot.pause()
        assert _fits(pane)
        assert arn in "".join(line.text.strip() for line in pane.lines)
