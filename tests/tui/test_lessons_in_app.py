"""Pilot tests: doing a lesson beside the lab — the command bar, the side panel, the lessons screen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable

from engine import Engine, VirtualClock
from lessons import load_lesson
from lessons.model import CONTENT
from tui.app import PipeworkApp
from tui.app.screens.help import HELP_TEXT
from tui.app.screens.lessons import LessonsScreen
from tui.app.widgets.command_bar import CommandBar
from tui.app.widgets.flow_map import FlowMap
from tui.app.widgets.lesson_panel import LessonPanel
from tui.app.widgets.result_pane import ResultPane

QUEUES = CONTENT / "02-queues"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Lesson progress goes to a temporary data folder."""
    monkeypatch.setenv("PIPEWORK_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def app(eng: Engine, data_dir: Path) -> PipeworkApp:
    """The app on the test engine, with progress in the temporary data folder."""
    return PipeworkApp(engine=eng)


def _pane_text(app: PipeworkApp) -> str:
    return "\n".join(line.text for line in app.screen.query_one(ResultPane).lines)


def _solution_commands(folder: Path) -> list[str]:
    lines = (folder / "solution.pw").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


async def _run(pilot, app: PipeworkApp, command: str) -> None:
    """Put `command` in the bar and press Enter."""
    bar = app.screen.query_one(CommandBar)
    bar.focus()
    bar.value = command
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


def _done_flags(app: PipeworkApp) -> list[bool]:
    view = app.screen.query_one(LessonPanel).lesson
    assert view is not None
    return [step.done for step in view.steps]


async def test_lesson_start_in_the_command_bar_opens_the_panel(app: PipeworkApp) -> None:
    async with app.run_test(size=(160, 44)) as pilot:
        panel = app.screen.query_one(LessonPanel)
        assert not panel.display
        await _run(pilot, app, "lesson start 2")
        assert panel.display
        assert panel.lesson.title.startswith("Lesson 2 · Queues")
        assert _done_flags(app) == [False] * 5
        assert panel.lesson.next_step.startswith("Create a queue `orders`")


async def test_doing_a_lesson_ticks_its_steps_live_until_complete(
    app: PipeworkApp, data_dir: Path
) -> None:
    async with app.run_test(size=(160, 44)) as pilot:
        await _run(pilot, app, "lesson start 2")
        seen: list[int] = []
        for command in _solution_commands(QUEUES):
            await _run(pilot, app, command)
            seen.append(sum(_done_flags(app)))
        assert seen[0] == 1  # the first command ticks the first step, before any other
        assert seen == sorted(seen) and seen[-1] == 5
        view = app.screen.query_one(LessonPanel).lesson
        assert view.complete and "at least once" in view.explain
        assert "Lesson complete" in _pane_text(app)
        saved = json.loads((data_dir / "lessons.json").read_text(encoding="utf-8"))
        assert saved["lessons"]["2"]["completed"] is True
        await _run(pilot, app, "lesson next")
        view = app.screen.query_one(LessonPanel).lesson
        assert view.title.startswith("Lesson 3") and not view.explain


async def test_a_done_step_explains_itself_and_selects_its_focus(app: PipeworkApp) -> None:
    async with app.run_test(size=(160, 44)) as pilot:
        await _run(pilot, app, "lesson start 2")
        await _run(
            pilot, app, "sqs create-queue --queue-name orders --attributes VisibilityTimeout=10"
        )
        view = app.screen.query_one(LessonPanel).lesson
        assert "orders is selected on the flow map" in view.pointer
        assert app.screen.query_one(FlowMap).selected.endswith(":orders")
        assert "✔ Create a queue" in _pane_text(app)
        assert view.next_step.startswith("Send three messages")


async def test_hints_are_revealed_one_at_a_time_with_f3(app: PipeworkApp) -> None:
    async with app.run_test(size=(160, 44)) as pilot:
        await _run(pilot, app, "lesson start 2")
        panel = app.screen.query_one(LessonPanel)
        assert panel.lesson.hints == [] and panel.lesson.hints_left == 2
        app.screen.query_one(FlowMap).focus()
        await pilot.press("f3")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert panel.lesson.hints == ["Queue attributes are set with `--attributes`."]
        assert panel.lesson.hints_left == 1


async def test_time_passing_alone_ticks_a_step(app: PipeworkApp, eng: Engine) -> None:
    async with app.run_test(size=(160, 44)) as pilot:
        await _run(pilot, app, "lesson start 2")
        for command in _solution_commands(QUEUES)[:6]:  # create, send ×3, predict, receive
            await _run(pilot, app, command)
        await _run(pilot, app, "clock advance 9s")
        assert _done_flags(app)[2] is False  # still invisible: the timeout is 10 s
        app.screen.query_one(FlowMap).focus()
        for _ in range(2):  # `.` steps one simulated second; the message returns at 10 s
            await pilot.press("full_stop")
            await app.workers.wait_for_complete()
        await pilot.pause()
        assert _done_flags(app)[2] is True


async def test_f2_opens_the_lessons_screen_with_progress(app: PipeworkApp) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        await _run(pilot, app, "lesson start 2")
        await _run(
            pilot, app, "sqs create-queue --queue-name orders --attributes VisibilityTimeout=10"
        )
        app.screen.query_one(FlowMap).focus()
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, LessonsScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == len(app.lessons.catalogue.lessons)
        assert table.cursor_row == 1  # resume: the cursor is on the lesson in hand
        progress = str(table.get_row_at(1)[1])
        assert "1/5" in progress and "resume" in progress
        assert str(table.get_row_at(0)[1]) == "new"


async def test_enter_on_the_lessons_screen_starts_that_lesson(app: PipeworkApp) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        app.action_lessons()
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # lesson 3
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, LessonsScreen)
        assert app.lessons.lesson.number == 3
        assert app.screen.query_one(LessonPanel).lesson.title.startswith("Lesson 3")
        # What the learner types next goes to the command bar, not to the flow map's keys.
        assert app.focused is app.screen.query_one("#command")


async def test_escape_closes_the_lessons_screen_without_starting(app: PipeworkApp) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        app.action_lessons()
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LessonsScreen)
        assert app.lessons.lesson is None
        assert not app.screen.query_one(LessonPanel).display


async def test_the_palette_offers_the_lessons(app: PipeworkApp) -> None:
    from tui.app.commands import LabCommands

    async with app.run_test(size=(140, 40)):
        provider = LabCommands(app.screen)
        titles = [text for text, _, _ in provider._entries()]
        assert "Lessons: choose a lesson" in titles
        assert any(title.startswith("Lesson 2: Queues") for title in titles)
        assert "F2" in HELP_TEXT and "F3" in HELP_TEXT


async def test_lesson_stop_hides_the_panel(app: PipeworkApp) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        await _run(pilot, app, "lesson start 2")
        await _run(pilot, app, "lesson stop")
        assert not app.screen.query_one(LessonPanel).display


async def test_a_failing_lesson_command_shows_its_error(app: PipeworkApp) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        await _run(pilot, app, "lesson start 99")
        assert "no lesson '99'" in _pane_text(app)
        assert not app.screen.query_one(LessonPanel).display


def test_lesson_in_progress_at_140_by_40(snap_compare, data_dir: Path) -> None:
    """A lesson beside the lab, two steps done, one hint revealed."""

    async def drive(pilot) -> None:
        app: PipeworkApp = pilot.app
        await pilot.pause()
        app.screen.query_one(CommandBar).cursor_blink = False
        app.tick_timer.pause()
        for command in ["lesson start 2", *_solution_commands(QUEUES)[:4], "lesson hint"]:
            await _run(pilot, app, command)
        app.refresh_views(force_panel=True)
        await pilot.pause()

    assert load_lesson(QUEUES).number == 2
    app = PipeworkApp(clock=VirtualClock(), history_file=data_dir / "history")
    assert snap_compare(app, terminal_size=(140, 40), run_before=drive)


async def test_a_lab_opened_mid_lesson_tells_how_to_resume(data_dir: Path) -> None:
    progress = {"current": 2, "lessons": {"2": {"done_steps": ["create"]}}}
    (data_dir / "lessons.json").write_text(json.dumps(progress), encoding="utf-8")
    app = PipeworkApp(history_file=data_dir / "history")  # a real lab, as `pipework` opens
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert any("Lesson 2" in str(n.message) for n in app._notifications)
        app.action_lessons()
        await pilot.pause()
        assert app.screen.query_one(DataTable).cursor_row == 1


async def test_a_finished_lesson_is_not_offered_for_resuming(data_dir: Path) -> None:
    progress = {"current": 2, "lessons": {"2": {"done_steps": ["create"], "completed": True}}}
    (data_dir / "lessons.json").write_text(json.dumps(progress), encoding="utf-8")
    app = PipeworkApp(history_file=data_dir / "history")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert not any("Lesson 2" in str(n.message) for n in app._notifications)


async def test_the_lessons_screen_shows_progress_at_80_by_24(app: PipeworkApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(pilot, app, "lesson start 2")
        app.action_lessons()
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        progress_column = table.ordered_columns[1]
        assert str(progress_column.label) == "progress"
        assert progress_column.get_render_width(table) < 40  # left of the long titles


async def test_the_goal_picture_ticks_as_edges_appear(app: PipeworkApp) -> None:
    async with app.run_test(size=(160, 44)) as pilot:
        await _run(pilot, app, "lesson start 7")
        goal = app.screen.query_one(LessonPanel).lesson.goal
        assert [(edge.source, edge.target, edge.done) for edge in goal] == [
            ("order-feed", "eu-orders", False),
            ("order-feed", "big-orders", False),
        ]
        await _run(
            pilot,
            app,
            "sns subscribe --topic-arn order-feed --protocol sqs --notification-endpoint "
            "arn:aws:sqs:us-east-1:123456789012:eu-orders",
        )
        goal = app.screen.query_one(LessonPanel).lesson.goal
        assert [edge.done for edge in goal] == [True, False]
        from rich.console import Console as RichConsole

        from tui.app.widgets.lesson_panel import render_lesson

        out = RichConsole(width=80, record=True, color_system=None)
        out.print(render_lesson(app.screen.query_one(LessonPanel).lesson))
        assert "Goal · 1/2 connections" in out.export_text()
