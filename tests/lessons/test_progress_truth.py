"""Progress never lies: reopening re-checks, work before the lesson does not count, one lesson at a
time can be restarted or forgotten, and `lesson check` says what each unmet check waits for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import Engine, VirtualClock
from lessons import LessonSession, install, load_catalogue
from lessons.progress import Progress
from tui.console import Console

pytestmark = pytest.mark.timeout(60)

CATALOGUE = load_catalogue()


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPEWORK_DATA_DIR", str(tmp_path))


async def _lab(tmp_path: Path) -> tuple[Engine, Console, LessonSession]:
    engine = Engine(clock=VirtualClock())
    await engine.__aenter__()
    console = Console(engine)
    session = install(
        console, LessonSession(console, CATALOGUE, Progress.load(tmp_path / "p.json"))
    )
    return engine, console, session


async def _close(engine: Engine, console: Console) -> None:
    console.close()
    await engine.__aexit__(None, None, None)


async def test_reopening_in_an_empty_lab_shows_the_truth(tmp_path: Path) -> None:
    engine, console, session = await _lab(tmp_path)
    await console.execute("lesson start 1")
    await console.execute("sqs create-queue --queue-name tour")
    await console.execute("sqs send-message --queue-url tour --message-body hi")
    await session.check()
    assert session.progress.of(1).done_steps == ["queue", "produce"]
    await _close(engine, console)
    # A new lab (a new process): the saved progress claims two steps; the lab holds nothing.
    engine, console, session = await _lab(tmp_path)
    assert session.progress.of(1).done_steps == ["queue", "produce"]
    started = await console.execute("lesson start 1")
    assert started.ok
    assert [s["done"] for s in started.value["steps"]] == [False, False, False, False]
    assert Progress.load(tmp_path / "p.json").of(1).done_steps == []
    await _close(engine, console)


async def test_work_done_before_the_lesson_does_not_count(tmp_path: Path) -> None:
    engine, console, session = await _lab(tmp_path)
    await console.execute("sqs create-queue --queue-name orders --attributes VisibilityTimeout=10")
    for n in range(3):
        await console.execute(f"sqs send-message --queue-url orders --message-body m{n}")
    await console.execute("lesson start 2")
    states = {s.step.id: s.done for s in session.states()}
    assert states == {
        "create": True,
        "send": False,
        "forget": False,
        "again": False,
        "delete": False,
    }
    checked = await console.execute("lesson check")
    assert "0 of 3 since the lesson started" in " ".join(checked.value["waiting"])
    await console.execute("sqs send-message --queue-url orders --message-body late")
    checked = await console.execute("lesson check")
    assert "1 of 3 since the lesson started" in " ".join(checked.value["waiting"])
    await _close(engine, console)


async def test_check_describes_each_unmet_check(tmp_path: Path) -> None:
    engine, console, session = await _lab(tmp_path)
    await console.execute("lesson start 3")
    await console.execute("sqs create-queue --queue-name payments-dlq")
    await console.execute("sqs create-queue --queue-name payments")
    checked = await console.execute("lesson check")
    waiting = checked.value["waiting"]
    assert waiting[0].startswith("payments has a RedrivePolicy")
    assert len(waiting) == 3
    await _close(engine, console)


async def test_restart_resets_one_lesson_and_can_delete_its_resources(tmp_path: Path) -> None:
    engine, console, session = await _lab(tmp_path)
    await console.execute("lesson start 1")
    await console.execute("sqs create-queue --queue-name tour")
    await session.check()
    await console.execute("lesson start 2")
    await console.execute("sqs create-queue --queue-name orders --attributes VisibilityTimeout=10")
    await session.check()
    assert session.progress.of(2).done_steps == ["create"]
    kept = await console.execute("lesson restart 2")
    assert kept.ok and kept.value["left"] == ["arn:aws:sqs:us-east-1:123456789012:orders"]
    assert "--delete" in str(kept.output.renderables[1].markup)
    assert session.progress.of(1).done_steps == ["queue"]  # the other lesson is untouched
    assert session.progress.of(2).done_steps == ["create"]  # the queue is still there
    deleted = await console.execute("lesson restart 2 --delete")
    assert deleted.ok and deleted.value["left"] == []
    assert not (await console.execute("sqs get-queue-url --queue-name orders")).ok
    assert (await console.execute("sqs get-queue-url --queue-name tour")).ok
    assert session.progress.of(2).done_steps == []
    await _close(engine, console)


async def test_reset_forgets_one_lesson_and_fresh_empties_the_lab(tmp_path: Path) -> None:
    engine, console, session = await _lab(tmp_path)
    await console.execute("lesson start 1")
    await console.execute("sqs create-queue --queue-name tour")
    await session.check()
    await console.execute("lesson start 2")
    assert (await console.execute("lesson reset 2")).ok
    assert session.progress.of(1).done_steps == ["queue"]
    assert not (await console.execute("lesson reset")).ok  # which one? (none in hand)
    fresh = await console.execute("lesson start 1 --fresh")
    assert fresh.ok and not any(step["done"] for step in fresh.value["steps"])
    assert not (await console.execute("sqs get-queue-url --queue-name tour")).ok
    assert (await console.execute("lesson reset --all")).ok
    assert session.progress.lessons == {}
    await _close(engine, console)


async def test_solution_is_shown_and_recorded(tmp_path: Path) -> None:
    engine, console, session = await _lab(tmp_path)
    await console.execute("lesson start 3")
    shown = await console.execute("lesson solution 2")
    assert shown.ok and "RedrivePolicy" in shown.value["solution"]
    assert 'payments-dlq\\",\\"maxReceiveCount\\":3' in shown.value["solution"]
    assert "sqs create-queue --queue-name payments-dlq\n" not in shown.value["solution"]
    whole = await console.execute("lesson solution")
    assert "start-message-move-task" in whole.value["solution"]
    assert session.progress.of(3).solutions_shown == ["redrive-policy", "*"]
    assert not (await console.execute("lesson solution nine")).ok
    for _ in range(5):
        hint = await console.execute("lesson hint")
    assert "lesson solution 1" in hint.output.markup
    await _close(engine, console)


async def test_a_prediction_is_judged_against_the_lab(tmp_path: Path) -> None:
    engine, console, session = await _lab(tmp_path)
    await console.execute("lesson start 3")
    await console.execute("sqs create-queue --queue-name payments-dlq")
    await console.execute(
        'sqs create-queue --queue-name payments --attributes \'{"RedrivePolicy": '
        '"{\\"deadLetterTargetArn\\":\\"arn:aws:sqs:us-east-1:123456789012:payments-dlq\\",'
        '\\"maxReceiveCount\\":3}"}\''
    )
    assert not (await console.execute("lesson answer B")).ok  # a number is asked for
    answered = await console.execute("lesson predict 4")
    assert answered.ok and answered.value["step"] == "poison"
    await console.execute("sqs send-message --queue-url payments --message-body x")
    for _ in range(4):
        await console.execute("sqs receive-message --queue-url payments")
        await engine.clock.advance(30)
    checked = await console.execute("lesson check")
    assert {"id": "poison", "done": True} in checked.value["steps"]
    assert session.progress.of(3).predicted_right == {"poison": False}
    await _close(engine, console)


async def test_a_prediction_given_after_the_fact_needs_a_new_observation(tmp_path: Path) -> None:
    engine, console, session = await _lab(tmp_path)
    await console.execute("lesson start 2")
    await console.execute("sqs create-queue --queue-name orders --attributes VisibilityTimeout=10")
    for n in range(3):
        await console.execute(f"sqs send-message --queue-url orders --message-body m{n}")
    await console.execute("sqs receive-message --queue-url orders")
    await engine.clock.advance(10)  # the message came back before any prediction
    await console.execute("lesson answer B")
    assert {s.step.id: s.done for s in session.states()}["forget"] is False
    await console.execute("sqs receive-message --queue-url orders")
    await engine.clock.advance(10)
    await session.check()
    assert {s.step.id: s.done for s in session.states()}["forget"] is True
    await _close(engine, console)


async def test_focus_resolves_to_the_lessons_own_resource(tmp_path: Path) -> None:
    engine, console, session = await _lab(tmp_path)
    await console.execute("sqs create-queue --queue-name order-placed")  # a same-named queue
    await console.execute("lesson start 6")
    await console.execute("sns create-topic --name order-placed")
    newly = await session.check()
    assert session.focus_of(newly[0]) == "arn:aws:sns:us-east-1:123456789012:order-placed"
    await _close(engine, console)


async def test_lesson_text_renders_as_markdown(tmp_path: Path) -> None:
    from rich.console import Console as RichConsole

    engine, console, session = await _lab(tmp_path)
    started = await console.execute("lesson start 6")
    out = RichConsole(width=100, record=True, color_system=None)
    out.print(started.output)
    text = out.export_text()
    assert "`" not in text and "**" not in text
    assert "Predict:" in text and "lesson predict N" in text
    await _close(engine, console)


def _commands_in(hint: str) -> list[str]:
    """Backticked commands in a hint (or the hint itself); `NAME=$(command)` counts as command."""
    found = []
    for text in re.findall(r"`([^`]+)`", hint) or [hint]:
        assigned = re.fullmatch(r"\w+=\$\((.*)\)", text.strip(), re.DOTALL)
        found.append(assigned.group(1) if assigned else text)
    return found


async def test_every_step_ends_in_a_worked_command(tmp_path: Path) -> None:
    engine, console, _ = await _lab(tmp_path)
    missing = []
    for lesson in CATALOGUE.lessons:
        if lesson.number > 26:
            continue
        for step in lesson.steps:
            candidates = _commands_in(step.hints[-1]) if step.hints else []
            if not [c for c in candidates if console.check(c) is None]:
                missing.append(f"{lesson.slug}/{step.id}: {candidates}")
    await _close(engine, console)
    assert missing == []


def test_lessons_own_distinct_names() -> None:
    owner: dict[str, int] = {}
    for lesson in CATALOGUE.lessons:
        for name in lesson.resources:
            assert name not in owner, f"{name} is in lessons {owner.get(name)} and {lesson.number}"
            owner[name] = lesson.number


@pytest.mark.parametrize("number", [19, 20, 21])
async def test_restart_delete_removes_every_kind_of_resource(tmp_path: Path, number: int) -> None:
    from tui.console.script import iter_commands

    engine, console, session = await _lab(tmp_path)
    lesson = CATALOGUE.get(number)
    await console.execute(f"lesson start {number}")
    for _, command in iter_commands(lesson.solution):
        await engine.clock.run(console.execute(command))
    await session.check()
    made = session.resources_of(number)
    assert len(made) >= 3
    result = await console.execute(f"lesson restart {number} --delete")
    assert result.ok
    # What the learner made is gone; what setup made stays (setup would only make it again).
    present = {node.id for node in engine.topology().nodes}
    learner_made = [arn for arn in made if arn not in session.setup_made[number]]
    assert learner_made and not (set(learner_made) & present), set(learner_made) & present
    assert session.setup_made[number] and session.setup_made[number] <= present
    await _close(engine, console)
