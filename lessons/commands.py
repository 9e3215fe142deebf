"""The `lesson` console command: list, start, check, hint, solution, answer, next, restart, reset …"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.markdown import Markdown
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from .session import LETTERS, LessonSession, Prediction

if TYPE_CHECKING:
    from tui.console import CommandResult, Console

SUBCOMMANDS = (
    "list",
    "start",
    "check",
    "hint",
    "solution",
    "answer",
    "predict",
    "next",
    "status",
    "stop",
    "restart",
    "reset",
)
USAGE = (
    "lesson list | start N [--fresh] | check | hint | solution [STEP] | answer X | predict N"
    " | next | status | stop | restart [N] [--delete] | reset [N | --all]"
)


def install(console: Console, session: LessonSession | None = None) -> LessonSession:
    """Give `console` the `lesson` command; returns the session it drives."""
    session = session or LessonSession(console)
    console.lesson_session = session  # front ends tick steps after each command through this

    async def lesson_command(console: Console, args: list[str]) -> CommandResult:
        return await run(session, args)

    console.register_command("lesson", lesson_command, f"guided lessons: {USAGE}", SUBCOMMANDS)
    return session


def step_markdown(session: LessonSession, index: int, text: str) -> str:
    """A step's text as Markdown, with a predict step's choices listed under it."""
    lesson = session.lesson
    step = lesson.steps[index] if lesson is not None else None
    body = text.strip()
    if step is not None and step.kind == "predict":
        record = session.progress.of(lesson.number)
        options = "\n".join(f"   - **{LETTERS[n]}** {c}" for n, c in enumerate(step.choices))
        how = "`lesson answer A`" if step.choices else "`lesson predict N`"
        given = record.predictions.get(step.id)
        said = f" — you said **{given}**" if given else ""
        body = (
            f"**Predict:** {body}" + (f"\n\n{options}" if options else "") + f"\n\n   ({how}{said})"
        )
    return body


def checklist(session: LessonSession) -> Markdown:
    """The current lesson's steps as a ticked list (Markdown, so `code` and **bold** render)."""
    lines = []
    for index, state in enumerate(session.states()):
        mark = "✔" if state.done else "☐"
        lines.append(f"{index + 1}. {mark} {step_markdown(session, index, state.step.text)}")
    return Markdown("\n".join(lines))


def predictions(session: LessonSession, outcomes: list[Prediction]) -> list:
    """What the learner predicted and what the lab showed."""
    parts: list = []
    for outcome in outcomes:
        shown = session.observed_choice(outcome) if outcome.step.choices else outcome.observed
        if outcome.right:
            parts.append(
                Markdown(f"**Prediction right:** you said {outcome.answer}; the lab shows {shown}.")
            )
        else:
            parts.append(
                Markdown(
                    f"**The lab disagrees:** you said {outcome.answer}; it shows {shown}. "
                    "Read why below."
                )
            )
    return parts


async def run(session: LessonSession, args: list[str]) -> CommandResult:
    """Carry out one `lesson …` command."""
    from tui.console import CommandResult

    action = args[0] if args else "status"
    if action not in SUBCOMMANDS:
        return CommandResult.fail(f"lesson: unknown action '{action}'; usage: {USAGE}")
    if action == "list":
        return _list(session)
    if action == "start":
        words = [a for a in args[1:] if not a.startswith("--")]
        if not words:
            return CommandResult.fail("lesson start: which lesson? e.g. `lesson start 2`")
        try:
            lesson = await session.start(
                words[0], restart="--restart" in args, fresh="--fresh" in args
            )
        except (LookupError, RuntimeError) as error:
            return CommandResult.fail(f"lesson start: {error}")
        body = Group(
            Markdown(f"# {lesson.number}. {lesson.title}\n\n{lesson.text}"), checklist(session)
        )
        return CommandResult(value=_status(session), output=body)
    if action == "reset":
        return _reset(session, args[1:])
    if action == "restart":
        return await _restart(session, args[1:])
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
        return _hint(session)
    if action == "solution":
        try:
            label, script = session.solution(args[1] if len(args) > 1 else None)
        except LookupError as error:
            return CommandResult.fail(f"lesson solution: {error}")
        output = Group(
            Markdown(
                f"**Reference solution — {label}** (one way; any way the checks accept works)"
            ),
            Syntax(script.rstrip() or "# (no solution file)", "bash", word_wrap=True),
        )
        return CommandResult(value={"solution": script, "for": label}, output=output)
    if action in ("answer", "predict"):
        if len(args) < 2:
            return CommandResult.fail(
                f"lesson {action}: give your prediction, e.g. `lesson {action} B`"
            )
        try:
            step, given = await session.answer(" ".join(args[1:]))
        except (LookupError, ValueError) as error:
            return CommandResult.fail(f"lesson {action}: {error}")
        text = f"Prediction noted: **{given}**. Now do it, and the lab will show whether you were right."
        newly = await session.check()  # an answer given after the fact still needs a new action
        parts: list = [Markdown(text), *_ticked(session, newly)]
        return CommandResult(
            value={**_status(session), "answer": given, "step": step.id}, output=Group(*parts)
        )
    newly = await session.check() if action == "check" else []
    parts = _ticked(session, newly)
    if session.completed and session.lesson.conclusion and (newly or action == "status"):
        parts.append(Markdown(f"**Lesson complete.** {session.lesson.conclusion}"))
    parts.append(checklist(session))
    value = _status(session)
    if action == "check":
        step, waiting = await session.unmet()
        if step is not None:
            lines = (
                "\n".join(f"- {line}" for line in waiting)
                or "- (nothing: run `lesson check` again)"
            )
            parts.append(Markdown(f"**Still to do — {step.text.strip()}**\n\n{lines}"))
            value["waiting"] = waiting
    return CommandResult(value=value, output=Group(*parts))


def _ticked(session: LessonSession, newly: list) -> list:
    parts: list = []
    parts.extend(predictions(session, session.predictions))
    for step in newly:
        parts.append(Markdown(f"✔ {step.text.strip()}"))
        if step.explain:
            parts.append(Markdown(step.explain))
    return parts


def _list(session: LessonSession) -> CommandResult:
    from tui.console import CommandResult

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


def _hint(session: LessonSession) -> CommandResult:
    from tui.console import CommandResult

    hint = session.hint()
    if hint:
        text = hint
    elif session.completed:
        text = "This lesson is complete — `lesson next` continues."
    else:
        step = session.next_step()
        number = session.lesson.steps.index(step) + 1 if step and session.lesson else ""
        text = f"No more hints for this step — `lesson solution {number}` shows the reference solution."
    return CommandResult(value={"hint": hint}, output=Markdown(f"**Hint:** {text}"))


def _reset(session: LessonSession, args: list[str]) -> CommandResult:
    from tui.console import CommandResult

    if args == ["--all"]:
        session.progress.reset()
        session.lesson = None
        session.started_at.clear()
        return CommandResult(
            value={"reset": "all"}, output=Text("Every lesson's progress forgotten.")
        )
    if len(args) > 1:
        return CommandResult.fail("usage: lesson reset [N | --all]")
    target = session.catalogue.get(args[0]) if args else session.lesson
    if target is None:
        return CommandResult.fail(
            "lesson reset: which lesson? `lesson reset N` (or `lesson reset --all` for every one)"
        )
    session.forget(target.number)
    return CommandResult(
        value={"reset": target.number},
        output=Text(f"Lesson {target.number}'s progress forgotten; the lab is unchanged."),
    )


async def _restart(session: LessonSession, args: list[str]) -> CommandResult:
    from tui.console import CommandResult

    delete = "--delete" in args
    words = [a for a in args if not a.startswith("--")]
    target = session.catalogue.get(words[0]) if words else session.lesson
    if target is None:
        return CommandResult.fail("lesson restart: which lesson? e.g. `lesson restart 3`")
    try:
        lesson, left = await session.restart(target.number, delete=delete)
    except (LookupError, RuntimeError) as error:
        return CommandResult.fail(f"lesson restart: {error}")
    parts: list = [Markdown(f"# {lesson.number}. {lesson.title} — from the start")]
    if left and not delete:
        names = ", ".join(f"`{arn.rsplit(':', 1)[-1]}`" for arn in left)
        parts.append(
            Markdown(
                f"This lesson's resources are still in the lab ({names}); "
                f"`lesson restart {lesson.number} --delete` removes the ones you made first "
                "(the lesson's setup keeps its own)."
            )
        )
    parts.append(checklist(session))
    return CommandResult(value={**_status(session), "left": left}, output=Group(*parts))


def announce(session: LessonSession, newly: list) -> Group:
    """What a front end prints when commands complete lesson steps."""
    parts: list = predictions(session, session.predictions)
    for step in newly:
        parts.append(Markdown(f"**✔** {step.text.strip()}"))
        if step.explain:
            parts.append(Markdown(step.explain))
    if session.completed and session.lesson is not None:
        conclusion = session.lesson.conclusion
        parts.append(Markdown(f"**Lesson complete.** {conclusion} — `lesson next` continues."))
    else:
        following = session.next_step()
        if following is not None:
            parts.append(Markdown(f"*Next:* {following.text.strip()}"))
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
