"""Every shipped demo script replays cleanly: every command succeeds and every expect holds."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import tui.console
from tui.console.script import run_script

DEMOS = sorted((Path(tui.console.__file__).parent / "demos").glob("*.pw"))


def test_the_gallery_is_not_empty() -> None:
    assert len(DEMOS) >= 3


@pytest.mark.parametrize("demo", DEMOS, ids=[d.stem for d in DEMOS])
async def test_demo_replays(demo: Path) -> None:
    err = io.StringIO()
    status = await run_script(
        demo.read_text(encoding="utf-8"), name=demo.name, stdout=io.StringIO(), stderr=err
    )
    assert status == 0, err.getvalue()


@pytest.mark.parametrize("demo", DEMOS, ids=[d.stem for d in DEMOS])
def test_demo_opens_with_a_title_comment(demo: Path) -> None:
    first = demo.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and len(first) > 4
