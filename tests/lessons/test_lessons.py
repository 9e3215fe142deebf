"""Every lesson loads, starts unsolved, and its reference solution solves it; the lesson command works."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Engine, VirtualClock
from lessons import LessonSession, install, load_catalogue, load_lesson
from lessons.model import LessonError
from lessons.progress import Progress
from tui.console import Console
from tui.console.script import iter_commands

pytestmark = pytest.mark.timeout(60)

CATALOGUE = load_catalogue()


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lesson progress goes to a temporary folder, never the user's."""
    monkeypatch.setenv("PIPEWORK_DATA_DIR", str(tmp_path))


def test_every_lesson_loads() -> None:
    assert CATALOGUE.problems == []
    numbers = [lesson.number for lesson in CATALOGUE.lessons]
    assert numbers == sorted(set(numbers))
    assert numbers[:5] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("lesson", CATALOGUE.lessons, ids=lambda lesson: lesson.slug)
async def test_solution_solves_the_lesson(lesson, tmp_path: Path) -> None:
    clock = VirtualClock()
    async with Engine(clock=clock) as engine:
        console = Console(engine)
        session = install(
            console, LessonSession(console, CATALOGUE, Progress(path=tmp_path / "p.json"))
        )
        await session.start(lesson.number)
        assert await session.check() == [], "a step passed before the learner did anything"
        for number, command in iter_commands(lesson.solution):
            result = await clock.run(console.execute(command))
            assert result.ok, f"{lesson.slug} solution line {number}: {result.error}"
            await session.check()
        missing = [state.step.id for state in session.states() if not state.done]
        assert missing == [], f"{lesson.slug}: steps not solved: {missing}"
        assert session.completed
        console.close()


async def test_lesson_command_flow(tmp_path: Path) -> None:
    async with Engine(clock=VirtualClock()) as engine:
        console = Console(engine)
        session = install(
            console, LessonSession(console, CATALOGUE, Progress(path=tmp_path / "p.json"))
        )
        listed = await console.execute("lesson list")
        assert listed.ok and listed.value[0]["number"] == 1
        assert not (await console.execute("lesson check")).ok  # nothing started
        started = await console.execute("lesson start 1")
        assert started.ok and started.value["completed"] is False
        hint = await console.execute("lesson hint")
        assert hint.value["hint"].startswith("Queues are made")
        await console.execute("sqs create-queue --queue-name tour")
        checked = await console.execute("lesson check")
        assert checked.value["steps"][0] == {"id": "queue", "done": True}
        assert session.progress.of(1).hints_used == {"queue": 1}
        # Progress survives a new session.
        again = LessonSession(console, CATALOGUE, Progress.load(tmp_path / "p.json"))
        assert again.progress.current == 1
        assert again.progress.of(1).done_steps == ["queue"]
        assert not (await console.execute("lesson start 99")).ok
        assert not (await console.execute("lesson fly")).ok
        console.close()


def test_a_malformed_lesson_is_reported_with_its_path(tmp_path: Path) -> None:
    broken = tmp_path / "content" / "01-broken"
    broken.mkdir(parents=True)
    (broken / "lesson.toml").write_text(
        "number = 1\ntitle = 'x'\n[[steps]]\nid = 'a'\ntext = 't'\nchecks = [{command = 'sqs delete-queue --queue-url q', expect = '@'}]\n"
    )
    with pytest.raises(LessonError) as error:
        load_lesson(broken)
    assert "lesson.toml" in str(error.value) and "only read the lab" in str(error.value)
    good = tmp_path / "content" / "02-good"
    good.mkdir()
    (good / "lesson.toml").write_text(
        "number = 2\ntitle = 'ok'\n[[steps]]\nid = 'a'\ntext = 't'\nchecks = [{trace = 'sent'}]\n"
    )
    catalogue = load_catalogue(tmp_path / "content")
    assert [lesson.number for lesson in catalogue.lessons] == [2]
    assert len(catalogue.problems) == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("title = 'x'", "needs 'number'"),
        ("number = 1\ntitle = 'x'\nsteps = []", "at least one step"),
        (
            "number = 1\ntitle = 'x'\n[[steps]]\nid='a'\ntext='t'\nchecks=[{trace='sent', command='sqs list-queues', expect='@'}]",
            "exactly one",
        ),
        (
            "number = 1\ntitle = 'x'\n[[steps]]\nid='a'\ntext='t'\nchecks=[{trace='sent', where='[['}]",
            "bad JMESPath",
        ),
        ("number = = 1", "not valid TOML"),
    ],
)
def test_lesson_validation_messages(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "lesson.toml").write_text(text)
    with pytest.raises(LessonError) as error:
        load_lesson(tmp_path)
    assert problem in str(error.value)


async def test_hint_after_the_last_step_says_the_lesson_is_complete(tmp_path: Path) -> None:
    async with Engine(clock=VirtualClock()) as engine:
        console = Console(engine)
        install(console, LessonSession(console, CATALOGUE, Progress(path=tmp_path / "p.json")))
        await console.execute("lesson start 1")
        lesson = CATALOGUE.get(1)
        for _, command in iter_commands(lesson.solution):
            await engine.clock.run(console.execute(command))
        await console.execute("lesson check")
        shown = await console.execute("lesson hint")
        assert "complete" in str(shown.output.markup).lower()
        assert "No more hints for this step" not in str(shown.output.markup)
        console.close()
