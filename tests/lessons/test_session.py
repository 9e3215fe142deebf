"""Starting lessons in a lab that already holds their resources, and setups that really fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Engine, VirtualClock
from lessons import LessonSession, install, load_catalogue, load_lesson
from lessons.model import Catalogue
from lessons.progress import Progress
from tui.console import Console

pytestmark = pytest.mark.timeout(60)


def _already_there(console: Console) -> list[str]:
    """Setup commands of the last start that found their resource in place (none expected)."""
    return list(getattr(console.lesson_session, "setup_found", []))


async def test_every_lesson_starts_again_in_the_same_lab(tmp_path: Path) -> None:
    catalogue = load_catalogue()
    async with Engine(clock=VirtualClock()) as engine:
        console = Console(engine)
        session = LessonSession(console, catalogue, Progress(path=tmp_path / "p.json"))
        for lesson in catalogue.lessons:
            await session.start(lesson.number)
            await session.start(lesson.number)  # resuming re-runs setup: what exists is kept
        console.close()


async def test_a_setup_command_that_fails_otherwise_stops_the_start(tmp_path: Path) -> None:
    folder = tmp_path / "01-broken-setup"
    folder.mkdir()
    (folder / "lesson.toml").write_text(
        "number = 1\ntitle = 'x'\nsetup = ['sqs create-queue --queue-name bad.name']\n"
        "[[steps]]\nid = 'a'\ntext = 't'\nchecks = [{trace = 'sent'}]\n"
    )
    catalogue = Catalogue([load_lesson(folder)], [])
    async with Engine(clock=VirtualClock()) as engine:
        console = Console(engine)
        session = LessonSession(console, catalogue, Progress(path=tmp_path / "p.json"))
        with pytest.raises(RuntimeError, match="lesson setup failed"):
            await session.start(1)
        console.close()


@pytest.mark.parametrize("order", ["forward", "reverse"])
async def test_the_whole_course_works_in_one_lab(tmp_path: Path, order: str) -> None:
    """A learner doing every lesson (in order, or backwards) in one lab: nothing ticked at start,
    no setup meeting another lesson's resource, every solution solving its lesson."""
    from tui.console.script import iter_commands

    catalogue = load_catalogue()
    lessons = catalogue.lessons if order == "forward" else list(reversed(catalogue.lessons))
    clock = VirtualClock()
    async with Engine(clock=clock) as engine:
        console = Console(engine)
        session = install(
            console, LessonSession(console, catalogue, Progress(path=tmp_path / "p.json"))
        )
        for lesson in lessons:
            await session.start(lesson.number)
            ticked = [s.step.id for s in session.states() if s.done]
            assert ticked == [], f"{lesson.slug}: ticked before the learner began: {ticked}"
            for command in lesson.setup:
                # Each lesson's setup makes resources of its own: nothing was there before.
                assert f"{command}" not in _already_there(console), lesson.slug
            for number, command in iter_commands(lesson.solution):
                result = await clock.run(console.execute(command))
                assert result.ok, f"{lesson.slug} solution line {number}: {result.error}"
                await session.check()
            assert session.completed, f"{lesson.slug}: {[s.step.id for s in session.states()]}"
        console.close()
