"""Each lesson's checks test the outcome: other correct ways solve it, plausible wrong ways do not.

`tests/lessons/solutions/<slug>/` holds, per lesson, `alternative*.pw` scripts (another correct
solution: every step must tick) and `wrong-*.pw` scripts whose `# unticked: a, b` line names the
steps that must stay unticked. Scripts run on a virtual clock through the console, with the
`lesson` command installed (so `lesson answer B` works), after the lesson's setup.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import Engine, VirtualClock
from lessons import LessonSession, install, load_catalogue
from lessons.progress import Progress
from tui.console import Console
from tui.console.script import iter_commands

pytestmark = pytest.mark.timeout(60)

CATALOGUE = load_catalogue()
SOLUTIONS = Path(__file__).parent / "solutions"
UNTICKED = re.compile(r"^#\s*unticked:\s*(.+)$", re.MULTILINE)


def _scripts(prefix: str) -> list[tuple[str, Path]]:
    found = []
    for lesson in CATALOGUE.lessons:
        folder = SOLUTIONS / lesson.slug
        for path in sorted(folder.glob(f"{prefix}*.pw")) if folder.is_dir() else []:
            found.append((lesson.slug, path))
    return found


async def _replay(slug: str, script: str, tmp_path: Path, *, strict: bool) -> dict[str, bool]:
    lesson = next(lesson for lesson in CATALOGUE.lessons if lesson.slug == slug)
    clock = VirtualClock()
    async with Engine(clock=clock) as engine:
        console = Console(engine)
        session = install(
            console, LessonSession(console, CATALOGUE, Progress(path=tmp_path / "p.json"))
        )
        await session.start(lesson.number)
        for number, command in iter_commands(script):
            result = await clock.run(console.execute(command))
            if strict:
                assert result.ok, f"{slug} line {number}: {result.error}"
            await session.check()
        states = {state.step.id: state.done for state in session.states()}
        console.close()
    return states


@pytest.mark.parametrize(
    ("slug", "path"), _scripts("alternative"), ids=lambda v: v if isinstance(v, str) else v.stem
)
async def test_another_correct_solution_solves_the_lesson(
    slug: str, path: Path, tmp_path: Path
) -> None:
    states = await _replay(slug, path.read_text(), tmp_path, strict=True)
    assert [step for step, done in states.items() if not done] == []


@pytest.mark.parametrize(
    ("slug", "path"), _scripts("wrong"), ids=lambda v: v if isinstance(v, str) else v.stem
)
async def test_a_wrong_solution_leaves_its_steps_unticked(
    slug: str, path: Path, tmp_path: Path
) -> None:
    text = path.read_text()
    declared = UNTICKED.search(text)
    assert declared, f"{path.name} must say which steps stay unticked (# unticked: …)"
    expected = [step.strip() for step in declared.group(1).split(",")]
    states = await _replay(slug, text, tmp_path, strict=False)
    assert set(expected) <= set(states), f"{path.name} names unknown steps"
    ticked = [step for step in expected if states[step]]
    assert ticked == [], f"{path.name}: a wrong solution ticked {ticked}"


def test_every_lesson_has_wrong_solutions_and_an_alternative() -> None:
    for lesson in CATALOGUE.lessons:
        if lesson.number > 26:
            continue  # lessons 27+ belong to other services' own suites
        folder = SOLUTIONS / lesson.slug
        assert len(list(folder.glob("wrong-*.pw"))) >= 2, lesson.slug
        assert list(folder.glob("alternative*.pw")), lesson.slug
