"""A learner's session: the lesson in hand, its steps ticking as the lab changes, hints one at a time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .checks import step_passes
from .model import Catalogue, Lesson, Step, load_catalogue
from .progress import Progress

if TYPE_CHECKING:
    from tui.console import Console


#: AWS's answers to creating what already exists: a setup command failing so finds its state
#: in place (the lesson was started before in this lab, or an earlier lesson made the same name).
ALREADY_THERE = re.compile(
    r"\((\w*AlreadyExists\w*|ResourceInUseException|ResourceConflictException"
    r"|BucketAlreadyOwnedByYou|ConflictException)\)"
)


@dataclass(slots=True)
class StepState:
    """A step and whether it is done (for front ends to draw a checklist)."""

    step: Step
    done: bool


class LessonSession:
    """Runs lessons against one console: start, check, hint, next — progress saved as it goes."""

    def __init__(
        self,
        console: Console,
        catalogue: Catalogue | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.console = console
        self.catalogue = catalogue or load_catalogue()
        self.progress = progress or Progress.load()
        self.lesson: Lesson | None = None

    # -- state ------------------------------------------------------------------------------
    def states(self) -> list[StepState]:
        """The current lesson's steps with their done flags."""
        if self.lesson is None:
            return []
        done = set(self.progress.of(self.lesson.number).done_steps)
        return [StepState(step, step.id in done) for step in self.lesson.steps]

    def next_step(self) -> Step | None:
        """The first step not done yet."""
        for state in self.states():
            if not state.done:
                return state.step
        return None

    @property
    def completed(self) -> bool:
        """Whether every step of the current lesson is done."""
        return self.lesson is not None and self.next_step() is None

    # -- actions -----------------------------------------------------------------------------
    async def start(self, key: str | int, *, restart: bool = False) -> Lesson:
        """Begin (or resume) a lesson by number or slug, running its setup commands."""
        lesson = self.catalogue.get(key)
        if lesson is None:
            raise LookupError(f"no lesson {key!r}; `lesson list` shows them")
        self.lesson = lesson
        self.progress.current = lesson.number
        if restart:
            self.progress.lessons.pop(str(lesson.number), None)
        for command in lesson.setup:
            result = await self.console.execute(command)
            if not result.ok and not ALREADY_THERE.search(result.error or ""):
                raise RuntimeError(f"lesson setup failed at {command!r}: {result.error}")
        self.progress.save()
        return lesson

    async def check(self) -> list[Step]:
        """Tick every step whose checks now hold; returns the steps newly done."""
        if self.lesson is None:
            return []
        record = self.progress.of(self.lesson.number)
        newly: list[Step] = []
        for state in self.states():
            if not state.done and await step_passes(self.console, state.step):
                record.done_steps.append(state.step.id)
                newly.append(state.step)
        if newly:
            record.completed = self.completed
            self.progress.save()
        return newly

    def hint(self) -> str | None:
        """The next hint of the first unfinished step (None when there are no more)."""
        step = self.next_step()
        if self.lesson is None or step is None:
            return None
        record = self.progress.of(self.lesson.number)
        used = record.hints_used.get(step.id, 0)
        if used >= len(step.hints):
            return None
        record.hints_used[step.id] = used + 1
        self.progress.save()
        return step.hints[used]

    def following(self) -> Lesson | None:
        """The lesson after the current one."""
        if self.lesson is None:
            return self.catalogue.lessons[0] if self.catalogue.lessons else None
        later = [lesson for lesson in self.catalogue.lessons if lesson.number > self.lesson.number]
        return later[0] if later else None

    def stop(self) -> None:
        """Put the lesson down (progress is kept)."""
        self.lesson = None
        self.progress.current = None
        self.progress.save()
