"""Turns a learner's `LessonSession` into what the app draws: the side panel and the lessons list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lessons.model import Step
from lessons.session import LessonSession

from .widgets.lesson_panel import GoalEdge, LessonStep, LessonView


@dataclass(slots=True, frozen=True)
class LessonRow:
    """One line of the lessons screen."""

    number: int
    title: str
    summary: str
    progress: str  # "new", "2/5", "done"
    current: bool  # the lesson the learner stopped in


class LessonGuide:
    """Remembers what the learner just did (for the panel's explanation) beside the session."""

    def __init__(self, session: LessonSession) -> None:
        self.session = session
        self.just_done: list[Step] = []
        self.pointer = ""
        self._lesson_number: int | None = None

    def _follow_lesson(self) -> None:
        """A different lesson started: forget the explanations of the last one."""
        number = self.session.lesson.number if self.session.lesson else None
        if number != self._lesson_number:
            self._lesson_number = number
            self.just_done = []
            self.pointer = ""

    def record(self, newly: list[Step], pointer: str = "") -> None:
        """Steps the last command completed, and where in the lab they show."""
        self._follow_lesson()
        if newly:
            self.just_done = list(newly)
            self.pointer = pointer

    def focus_of(self, newly: list[Step]) -> str | None:
        """The resource the flow map should show after these steps (the last one that names one)."""
        for step in reversed(newly):
            if step.focus:
                return self.session.focus_of(step)  # the ARN: names repeat across lessons
        return None

    def goal(self, topology: Any | None) -> list[GoalEdge]:
        """The lesson's goal edges, each done when the lab's topology has it.

        An end that is not one of the lesson's resources (a producer, a client) stands for the
        learner: that edge is done once the resource at the other end exists.
        """
        lesson = self.session.lesson
        if lesson is None or not lesson.goal:
            return []
        names: dict[str, str] = {}
        links: set[tuple[str, str]] = set()
        if topology is not None:
            names = {node.id: node.name for node in topology.nodes}
            for edge in topology.edges:
                links.add((_name(edge.source, names), _name(edge.target, names)))
            for node in topology.nodes:
                if node.parent:
                    links.add((_name(node.parent, names), node.name))
        present = set(names.values())
        owned = set(lesson.resources)
        edges = []
        for source, target in lesson.goal:
            if owned and source not in owned:
                done = target in present
            elif owned and target not in owned:
                done = source in present
            else:
                done = (source, target) in links
            edges.append(GoalEdge(source, target, done))
        return edges

    def view(self, topology: Any | None = None) -> LessonView | None:
        """The panel's view of the lesson in hand (None: no lesson, hide the panel)."""
        self._follow_lesson()
        session = self.session
        lesson = session.lesson
        if lesson is None:
            return None
        steps = [LessonStep(state.step.text.strip(), state.done) for state in session.states()]
        explain = "\n\n".join(step.explain.strip() for step in self.just_done if step.explain)
        complete = session.completed
        if complete:
            explain = (
                "\n\n".join(part for part in (explain, lesson.conclusion.strip()) if part)
                + "\n\n`lesson next` (or F2) goes on."
            )
        view = LessonView(
            title=f"Lesson {lesson.number} · {lesson.title}",
            text=lesson.text,
            steps=steps,
            explain=explain,
            pointer=self.pointer,
            complete=complete,
            goal=self.goal(topology),
        )
        following = session.next_step()
        if following is not None:
            used = session.progress.of(lesson.number).hints_used.get(following.id, 0)
            view.next_step = following.text.strip()
            view.hints = list(following.hints[:used])
            view.hints_left = max(0, len(following.hints) - used)
        return view

    def rows(self) -> list[LessonRow]:
        """Every lesson with the learner's progress, for the lessons screen."""
        progress = self.session.progress
        rows = []
        for lesson in self.session.catalogue.lessons:
            record = progress.lessons.get(str(lesson.number))
            if record is not None and record.completed:
                status = "done"
            elif record is not None and record.done_steps:
                status = f"{len(record.done_steps)}/{len(lesson.steps)}"
            else:
                status = "new"
            rows.append(
                LessonRow(
                    lesson.number,
                    lesson.title,
                    lesson.summary,
                    status,
                    progress.current == lesson.number,
                )
            )
        return rows

    def resume_number(self) -> int | None:
        """The lesson to put the cursor on: the one in hand, or the first not yet done."""
        if self.session.progress.current is not None:
            return self.session.progress.current
        for row in self.rows():
            if row.progress != "done":
                return row.number
        return None


def _name(ident: str, names: dict[str, str]) -> str:
    """A resource's name from its ARN (or an endpoint's last part)."""
    return names.get(ident) or ident.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
