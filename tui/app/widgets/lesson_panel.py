"""The lessons side panel: the lessons engine gives it a view-model; hidden while none is set."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.markdown import Markdown
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static


@dataclass(slots=True)
class LessonStep:
    """One checklist item of a lesson and whether the learner has done it."""

    text: str
    done: bool = False


@dataclass(slots=True)
class LessonView:
    """What the panel shows: the lesson's title, its current text (Markdown) and its checklist."""

    title: str
    text: str = ""
    steps: list[LessonStep] = field(default_factory=list)
    hint: str = ""  # e.g. "Next: send a message to orders"


class LessonPanel(VerticalScroll):
    """Set `lesson` to a LessonView to show it beside the lab; set None to hide the panel."""

    lesson: reactive[LessonView | None] = reactive(None, always_update=True)

    def compose(self) -> ComposeResult:
        yield Static("", id="lesson-title")
        yield Static("", id="lesson-text")
        yield Static("", id="lesson-steps")

    def watch_lesson(self, lesson: LessonView | None) -> None:
        self.display = lesson is not None
        if lesson is None or not self.is_mounted:
            return
        self.query_one("#lesson-title", Static).update(Text(lesson.title, "bold"))
        self.query_one("#lesson-text", Static).update(Markdown(lesson.text))
        steps = Text()
        done = sum(step.done for step in lesson.steps)
        steps.append(f"{done}/{len(lesson.steps)} done\n", "dim")
        for step in lesson.steps:
            steps.append("  ✔ " if step.done else "  ☐ ", "green" if step.done else "")
            steps.append(step.text + "\n", "dim" if step.done else "")
        if lesson.hint:
            steps.append(f"\n{lesson.hint}", "italic")
        self.query_one("#lesson-steps", Static).update(steps)

    def on_mount(self) -> None:
        self.watch_lesson(self.lesson)
