"""The lessons side panel: the lessons engine gives it a view-model; hidden while none is set."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from ..guard import guarded

#: Cells of the progress bar under the title.
PROGRESS_WIDTH = 16
#: Inline Markdown the checklist draws: `code`, **bold**, *italic*.
INLINE_MARKUP = re.compile(r"(`[^`]+`|\*\*[^*]+\*\*|\*[^*]+\*)")


@dataclass(slots=True)
class LessonStep:
    """One checklist item of a lesson and whether the learner has done it."""

    text: str
    done: bool = False


@dataclass(slots=True)
class GoalEdge:
    """One connection of the topology the lesson builds, and whether the lab has it yet."""

    source: str
    target: str
    done: bool = False


@dataclass(slots=True)
class LessonView:
    """What the panel shows: title, checklist, what just happened, what to do next, hints.

    `text` is the lesson's current text (Markdown): its introduction, shown below the rest.
    """

    title: str
    text: str = ""
    steps: list[LessonStep] = field(default_factory=list)
    hint: str = ""  # e.g. "Next: send a message to orders"
    explain: str = ""  # Markdown: what the step just done did, or the lesson's conclusion
    pointer: str = ""  # where to look in the lab (the flow map node selected, the journey key)
    next_step: str = ""  # Markdown: the step to do now
    hints: list[str] = field(default_factory=list)  # hints revealed so far for that step
    hints_left: int = 0
    complete: bool = False
    goal: list[GoalEdge] = field(default_factory=list)  # the picture to build, edge by edge


def progress_bar(done: int, total: int, width: int = PROGRESS_WIDTH) -> Text:
    """`done/total` as a bar of `width` cells with the count after it."""
    filled = round(width * done / total) if total else 0
    return Text.assemble(
        ("━" * filled, "green"),
        ("━" * (width - filled), "dim"),
        (f" {done}/{total} steps", "dim"),
    )


def inline(markdown: str, style: str = "") -> Text:
    """One line of Markdown (`code`, **bold**, *italic*) as styled text that wraps in place."""
    text = Text(style=style)
    for part in INLINE_MARKUP.split(markdown):
        if len(part) > 1 and part.startswith("`") and part.endswith("`"):
            text.append(part[1:-1], "cyan")
        elif len(part) > 3 and part.startswith("**") and part.endswith("**"):
            text.append(part[2:-2], "bold")
        elif len(part) > 1 and part.startswith("*") and part.endswith("*"):
            text.append(part[1:-1], "italic")
        else:
            text.append(part)
    return text


def checklist(steps: list[LessonStep]) -> Table:
    """The steps ticked (✔), the current one marked (▶), the rest open (☐)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    current = next((index for index, step in enumerate(steps) if not step.done), None)
    for index, step in enumerate(steps):
        if step.done:
            mark, style = "✔", "green"
        elif index == current:
            mark, style = "▶", "bold"
        else:
            mark, style = "☐", ""
        table.add_row(
            Text(f"{mark} {index + 1}.", style or "dim"),
            inline(step.text.strip(), "dim" if step.done else style),
        )
    return table


def goal_picture(goal: list[GoalEdge]) -> Text:
    """The lesson's goal topology, one edge a line, ticked as the lab gains each edge."""
    text = Text()
    width = max(len(edge.source) for edge in goal)
    for edge in goal:
        style = "green" if edge.done else "dim"
        text.append("✔ " if edge.done else "· ", style)
        text.append(edge.source.ljust(width), "bold" if edge.done else "")
        text.append(" ──▶ ", style)
        text.append(edge.target + "\n", "bold" if edge.done else "")
    text.rstrip()
    return text


def _heading(title: str) -> Text:
    return Text(f"\n{title}", "bold underline")


def render_lesson(lesson: LessonView) -> RenderableType:
    """Everything below the title: checklist, explanation, next step with hints, introduction."""
    done = sum(step.done for step in lesson.steps)
    parts: list[RenderableType] = [progress_bar(done, len(lesson.steps)), checklist(lesson.steps)]
    if lesson.goal:
        built = sum(edge.done for edge in lesson.goal)
        parts.append(_heading(f"Goal · {built}/{len(lesson.goal)} connections"))
        parts.append(goal_picture(lesson.goal))
    if lesson.explain:
        parts.append(_heading("Lesson complete" if lesson.complete else "Just done"))
        parts.append(Markdown(lesson.explain))
    if lesson.pointer:
        parts.append(Text(f"→ {lesson.pointer}", "italic cyan"))
    if lesson.next_step:
        parts.append(_heading("Now"))
        parts.append(Markdown(lesson.next_step))
        for number, hint in enumerate(lesson.hints, start=1):
            parts.append(Markdown(f"**Hint {number}:** {hint}"))
        if lesson.hints_left:
            more = "a hint" if not lesson.hints else "another hint"
            parts.append(Text(f"F3: {more} ({lesson.hints_left} left)", "dim"))
    if lesson.hint:
        parts.append(Text(lesson.hint, "italic"))
    if lesson.text:
        parts.append(_heading("About this lesson"))
        parts.append(Markdown(lesson.text))
    return Group(*parts)


class LessonPanel(VerticalScroll):
    """Set `lesson` to a LessonView to show it beside the lab; set None to hide the panel."""

    lesson: reactive[LessonView | None] = reactive(None, always_update=True)

    def compose(self) -> ComposeResult:
        yield Static("", id="lesson-title")
        yield Static("", id="lesson-steps")

    @guarded
    def watch_lesson(self, lesson: LessonView | None) -> None:
        """Redraw for a new view (or hide)."""
        # A class, not `display`: the layout (app.tcss) decides when a narrow screen hides it.
        self.set_class(lesson is not None, "-shown")
        if lesson is None or not self.is_mounted:
            return
        self.query_one("#lesson-title", Static).update(Text(lesson.title, "bold"))
        self.query_one("#lesson-steps", Static).update(render_lesson(lesson))

    def on_mount(self) -> None:
        self.watch_lesson(self.lesson)
