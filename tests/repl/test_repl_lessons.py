"""Lessons in the REPL: the `lesson` command is there, and steps tick after ordinary commands."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console as RichConsole

from engine import Engine, VirtualClock
from tui.repl.session import Repl
from tui.repl.settings import Settings


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPEWORK_DATA_DIR", str(tmp_path))


async def test_steps_tick_as_the_learner_works(tmp_path: Path) -> None:
    async with Engine(clock=VirtualClock()) as engine:
        repl = Repl(engine, Settings(), tmp_path)
        buffer = io.StringIO()
        repl.out = RichConsole(file=buffer, width=100)
        started = await repl._execute("lesson start 1")
        assert started.ok
        result = await repl._execute("sqs create-queue --queue-name tour")
        assert result.ok
        await repl._tick_lesson("sqs create-queue --queue-name tour")
        printed = buffer.getvalue()
        assert "✔ Create a standard queue named tour." in printed
        assert "`" not in printed  # lesson text renders as Markdown, not raw
        assert "Next: Be the producer" in printed
        repl.console.close()
