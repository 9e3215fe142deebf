"""The `lesson` console command: list, start, check, hint, next, status, stop, reset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from .session import LessonSession

if TYPE_CHECKING:
    from tui.console import CommandResult, Console

SUBCOMMANDS = ("list", "start", "check", "hint", "next", "status", "stop", "reset")


def install(console: Console, session: LessonSession | None = None) -> LessonSession:
    """Give `console` the `lesson` command; returns the session it drives."""
    session = session or LessonSession(console)
    console.lesson_session = session  # front ends tick steps after each command through this

    async def lesson_command(console: Console, args: list[str]) -> CommandResult:
        return await run(session, args)

    console.register_command(
        "lesson",
        lesson_command,
        "guided lessons: lesson list | start N | check | hint | next | status | stop",
        SUBCOMMANDS,
    )
    return session


def checklist(session: LessonSession) -> Text:
    """The current lesson's steps as a ticked list."""
    text = Text()
    for index, state in enumerate(session.states(), start=1):
        mark, style = ("✔", "green") if state.done else ("☐", "")
        text.append(f"  {mark} {index}. ", style)
        text.append(state.step.text.strip() + "\n", "dim" if state.done else "")
    return text


async def run(session: LessonSession, args: list[str]) -> CommandResult:
    """Carry out one `lesson …` command."""
    from tui.console import CommandResult

    action = args[0] if args else "status"
    if action not in SUBCOMMANDS:
        return CommandResult.fail(
            f"lesson: unknown action '{action}'; choose from {', '.join(SUBCOMMANDS)}"
        )
    if action == "list":
        table = Table(title="Lessons", show_lines=False)
        for column in ("#", "lesson", "progress"):
            table.add_column(column)
        rows = []
        for lesson in session.catalogue.lessons:
            record = session.progress.lessons.get(str(lesson.number))
            done = len(record.done_steps) if record else 0
            status = "done" if record and record.completed else f"{done}/{len(lesson.steps)}"
            table.add_row(str(lesson.number), lesson.title, status)
            rows.append({"number": lesson.number, "title": lesson.title, "progress": status})
        for problem in session.catalogue.problems:
            table.add_row("!", str(problem), "")
        return CommandResult(value=rows, output=table)
    if action == "start":
        if len(args) < 2:
            return CommandResult.fail("lesson start: which lesson? e.g. `lesson start 2`")
        try:
            lesson = await session.start(args[1], restart="--restart" in args)
        except (LookupError, RuntimeError) as error:
            return CommandResult.fail(f"lesson start: {error}")
        await session.check()
        body = Group(
            Markdown(f"# {lesson.number}. {lesson.title}\n\n{lesson.text}"), checklist(session)
        )
        return CommandResult(value=_status(session), output=body)
    if action == "reset":
        session.progress.reset()
        session.lesson = None
        return CommandResult(value={"reset": True}, output=Text("Lesson progress forgotten."))
    if action == "next":
        following = session.following()
        if following is None:
            return CommandResult(value=None, output=Text("That was the last lesson. Well done!"))
        return await run(session, ["start", str(following.number)])
    if session.lesson is None:
        return CommandResult.fail("no lesson in progress; `lesson list`, then `lesson start N`")
    if action == "stop":
        session.stop()
        return CommandResult(
            value={"stopped": True}, output=Text("Lesson put down; progress kept.")
        )
    if action == "hint":
        hint = session.hint()
        if hint:
            text = hint
        elif session.completed:
            text = "This lesson is complete — `lesson next` continues."
        else:
            text = "No more hints for this step — try `lesson check`, or look at the solution file."
        return CommandResult(value={"hint": hint}, output=Markdown(f"**Hint:** {text}"))
    newly = await session.check() if action == "check" else []
    parts: list = []
    for step in newly:
        parts.append(Text(f"✔ {step.text.strip()}", "green"))
        if step.explain:
            parts.append(Markdown(step.explain))
    if session.completed and session.lesson.conclusion and (newly or action == "status"):
        parts.append(Markdown(f"**Lesson complete.** {session.lesson.conclusion}"))
    parts.append(checklist(session))
    return CommandResult(value=_status(session), output=Group(*parts))


def announce(session: LessonSession, newly: list) -> Group:
    """What a front end prints when commands complete lesson steps."""
    parts: list = []
    for step in newly:
        parts.append(Text(f"✔ {step.text.strip()}", "bold green"))
        if step.explain:
            parts.append(Markdown(step.explain))
    if session.completed and session.lesson is not None:
        conclusion = session.lesson.conclusion
        parts.append(Markdown(f"**Lesson complete.** {conclusion} — `lesson next` continues."))
    else:
        following = session.next_step()
        if following is not None:
            parts.append(Text(f"Next: {following.text.strip()}", "italic"))
    return Group(*parts)


def _status(session: LessonSession) -> dict:
    lesson = session.lesson
    assert lesson is not None
    return {
        "lesson": lesson.number,
        "title": lesson.title,
        "steps": [{"id": s.step.id, "done": s.done} for s in session.states()],
        "completed": session.completed,
    }
