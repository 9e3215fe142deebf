"""A learner's session: the lesson in hand, its steps ticking as the lab changes, hints one at a time.

Progress never claims more than the lab shows: starting (or reopening) a lesson re-checks every
step against the lab as it is, and trace checks count only what happened since the lesson began.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .checks import evaluate, observe, step_passes
from .cleanup import delete_resources
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
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(slots=True)
class StepState:
    """A step and whether it is done (for front ends to draw a checklist)."""

    step: Step
    done: bool


@dataclass(slots=True)
class Prediction:
    """A predict step's outcome: what the learner said and what the lab showed."""

    step: Step
    answer: str
    observed: Any
    right: bool


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
        #: Trace position when each lesson started in this lab: its checks see what came after.
        self.started_at: dict[int, int] = {}
        #: Trace position when a step ticked or a prediction was given (lesson, step id).
        self.ticked_at: dict[tuple[int, str], int] = {}
        self.answered_at: dict[tuple[int, str], int] = {}
        #: Predictions resolved by the last `check` (front ends print them).
        self.predictions: list[Prediction] = []
        self._scanned = 0  # trace position up to which `created` events were attributed
        #: Setup commands of the last start whose resource was already in the lab.
        self.setup_found: list[str] = []
        #: ARNs each lesson's setup created: a restart keeps them (setup would make them again,
        #: and AWS refuses to re-create a queue name for 60 seconds after its deletion).
        self.setup_made: dict[int, set[str]] = {}

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

    def position(self) -> int:
        """The trace's position now: events after it are new."""
        events = self.console.recorder.events
        return events[-1].seq if events else 0

    # -- actions -----------------------------------------------------------------------------
    async def start(self, key: str | int, *, restart: bool = False, fresh: bool = False) -> Lesson:
        """Begin (or resume) a lesson by number or slug, running its setup commands.

        `restart` forgets its progress first; `fresh` empties the lab first. Either way every
        step is then checked against the lab as it is now.
        """
        lesson = self.catalogue.get(key)
        if lesson is None:
            raise LookupError(f"no lesson {key!r}; `lesson list` shows them")
        if fresh:
            result = await self.console.execute("reset")
            if not result.ok:
                raise RuntimeError(f"could not empty the lab: {result.error}")
            self.started_at.clear()
        self._attribute_created()
        number = lesson.number
        if restart or fresh:
            self.progress.lessons.pop(str(number), None)
            self.started_at.pop(number, None)
        self.lesson = lesson
        self.progress.current = number
        if number not in self.started_at:
            self.started_at[number] = self.position()
            for key_ in [k for k in self.ticked_at if k[0] == number]:
                del self.ticked_at[key_]
            for key_ in [k for k in self.answered_at if k[0] == number]:
                del self.answered_at[key_]
        self.setup_found = []
        before = set(self.progress.of(number).resources)
        for command in lesson.setup:
            result = await self.console.execute(command)
            if result.ok:
                continue
            if not ALREADY_THERE.search(result.error or ""):
                raise RuntimeError(f"lesson setup failed at {command!r}: {result.error}")
            self.setup_found.append(command)
        self._attribute_created()
        made = set(self.progress.of(number).resources) - before
        self.setup_made.setdefault(number, set()).update(made)
        await self.recheck()
        return lesson

    async def recheck(self) -> None:
        """Tick exactly the steps whose checks hold now (a reopened lesson shows the lab's truth)."""
        if self.lesson is None:
            return
        record = self.progress.of(self.lesson.number)
        record.done_steps = []
        for step in self.lesson.steps:
            if await self._passes(step, set(record.done_steps)):
                record.done_steps.append(step.id)
        record.completed = self.completed
        self.progress.save()

    async def _passes(self, step: Step, done: set[str]) -> bool:
        """Whether `step`'s checks hold, each on the part of the trace it may see."""
        lesson = self.lesson
        assert lesson is not None
        number = lesson.number
        since = self.started_at.get(number, 0)
        if step.kind == "predict":
            if step.id not in self.progress.of(number).predictions:
                return False
            since = max(since, self.answered_at.get((number, step.id), since))
        index = lesson.steps.index(step)
        step_since: int | None = since
        if index > 0:
            previous = lesson.steps[index - 1].id
            # A check that counts from the previous step cannot hold before that step is done.
            step_since = (
                max(since, self.ticked_at.get((number, previous), 0)) if previous in done else None
            )
        return await step_passes(self.console, step, since, step_since)

    async def check(self) -> list[Step]:
        """Tick every step whose checks now hold; returns the steps newly done."""
        self.predictions = []
        if self.lesson is None:
            return []
        self._attribute_created()
        number = self.lesson.number
        record = self.progress.of(number)
        newly: list[Step] = []
        for state in self.states():
            if not state.done and await self._passes(state.step, set(record.done_steps)):
                record.done_steps.append(state.step.id)
                self.ticked_at[(number, state.step.id)] = self.position()
                newly.append(state.step)
                if state.step.kind == "predict":
                    self.predictions.append(await self._judge(state.step))
        if newly:
            order = [step.id for step in self.lesson.steps]
            record.done_steps.sort(key=order.index)
            record.completed = self.completed
            self.progress.save()
        return newly

    async def unmet(self) -> tuple[Step | None, list[str]]:
        """The first step not done, and what each of its unmet checks still waits for."""
        step = self.next_step()
        if step is None or self.lesson is None:
            return None, []
        number = self.lesson.number
        record = self.progress.of(number)
        lines: list[str] = []
        if step.kind == "predict" and step.id not in record.predictions:
            how = "`lesson answer A`" if step.choices else "`lesson predict 3`"
            lines.append(f"your prediction first: {how} (then do it and watch)")
            return step, lines
        since = self.started_at.get(number, 0)
        if step.kind == "predict":
            since = max(since, self.answered_at.get((number, step.id), since))
        for check in step.checks:
            outcome = await evaluate(self.console, check, since)
            if outcome.met:
                continue
            text = check.describe or _default_describe(check)
            lines.append(f"{text} — {outcome.detail}" if outcome.detail else text)
        return step, lines

    async def answer(self, text: str) -> tuple[Step, str]:
        """Record the learner's prediction for the first unfinished predict step."""
        if self.lesson is None:
            raise LookupError("no lesson in progress")
        number = self.lesson.number
        record = self.progress.of(number)
        step = next(
            (s.step for s in self.states() if not s.done and s.step.kind == "predict"), None
        )
        if step is None:
            raise LookupError("no step of this lesson is waiting for a prediction")
        given = text.strip()
        if step.choices:
            letter = given.upper().rstrip(").")
            if len(letter) != 1 or letter not in LETTERS[: len(step.choices)]:
                choices = ", ".join(LETTERS[: len(step.choices)])
                raise ValueError(f"answer with one of {choices}")
            given = letter
        else:
            try:
                float(given)
            except ValueError:
                raise ValueError("this prediction is a number, e.g. `lesson predict 3`") from None
        record.predictions[step.id] = given
        self.answered_at[(number, step.id)] = self.position()
        self.progress.save()
        return step, given

    async def _judge(self, step: Step) -> Prediction:
        """Compare a predict step's answer with what the lab shows."""
        assert self.lesson is not None and step.observe is not None
        number = self.lesson.number
        record = self.progress.of(number)
        since = max(self.started_at.get(number, 0), self.answered_at.get((number, step.id), 0))
        observed = await observe(self.console, step.observe, since)
        answer = record.predictions.get(step.id, "")
        if step.choices:
            index = LETTERS.index(answer) if answer in LETTERS else -1
            options = step.values or step.choices
            expected = options[index] if 0 <= index < len(options) else None
            right = expected is not None and _same(expected, observed)
        else:
            right = _same(answer, observed)
        record.predicted_right[step.id] = right
        return Prediction(step, answer, observed, right)

    def observed_choice(self, prediction: Prediction) -> str:
        """The choice (letter and text) matching what the lab showed, or the value itself."""
        step = prediction.step
        options = step.values or step.choices
        for index, option in enumerate(options):
            if _same(option, prediction.observed):
                return f"{LETTERS[index]} ({step.choices[index]})"
        return str(prediction.observed)

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

    def solution(self, which: str | None = None) -> tuple[str, str]:
        """The reference solution (of one step, by id or number): (what it covers, the script)."""
        lesson = self.lesson
        if lesson is None:
            raise LookupError("no lesson in progress")
        record = self.progress.of(lesson.number)
        if which is None:
            label, text, key = "the whole lesson", lesson.solution, "*"
        else:
            step = next(
                (
                    s
                    for index, s in enumerate(lesson.steps, start=1)
                    if s.id == which or str(index) == which
                ),
                None,
            )
            if step is None:
                ids = ", ".join(s.id for s in lesson.steps)
                raise LookupError(f"no step {which!r} in this lesson (steps: {ids})")
            label, text, key = f"step {step.id}", step.solution or lesson.solution, step.id
        if key not in record.solutions_shown:
            record.solutions_shown.append(key)
            self.progress.save()
        return label, text

    def focus_of(self, step: Step) -> str | None:
        """The ARN of the resource a step focuses on: this lesson's resource of that name."""
        if step.focus is None or self.lesson is None:
            return None
        for arn in reversed(self.progress.of(self.lesson.number).resources):
            if _name_of(arn) == step.focus:
                return arn
        return step.focus

    def _attribute_created(self) -> None:
        """Credit resources created since the last look to the lesson in hand."""
        events = self.console.recorder.events
        if not events or self.lesson is None:
            if events:
                self._scanned = events[-1].seq
            return
        record = self.progress.of(self.lesson.number)
        fresh = []
        for event in reversed(events):
            if event.seq <= self._scanned:
                break
            if event.kind in ("created", "deleted"):
                fresh.append(event)
        self._scanned = events[-1].seq
        for event in reversed(fresh):
            if event.kind == "created" and event.resource not in record.resources:
                record.resources.append(event.resource)
            elif event.kind == "deleted" and event.resource in record.resources:
                record.resources.remove(event.resource)

    def resources_of(self, number: int) -> list[str]:
        """ARNs a lesson created that the lab still holds, oldest first."""
        names = {node.id for node in self.console.engine.topology().nodes}
        return [arn for arn in self.progress.of(number).resources if arn in names]

    async def restart(self, number: int, *, delete: bool = False) -> tuple[Lesson, list[str]]:
        """Start lesson `number` over; with `delete`, remove the resources the learner made first.

        Returns the lesson and the resources it made that are still in the lab.
        """
        lesson = self.catalogue.get(number)
        if lesson is None:
            raise LookupError(f"no lesson {number!r}; `lesson list` shows them")
        self._attribute_created()
        if delete:
            record = self.progress.of(lesson.number)
            keep = self.setup_made.get(lesson.number, set())
            await delete_resources(self.console, [a for a in record.resources if a not in keep])
            record.resources = [arn for arn in record.resources if arn in keep]
        left = self.resources_of(lesson.number)
        kept = list(self.progress.of(lesson.number).resources)
        await self.start(lesson.number, restart=True)
        record = self.progress.of(lesson.number)
        record.resources = kept + [arn for arn in record.resources if arn not in kept]
        self.progress.save()
        return lesson, left

    def forget(self, number: int) -> None:
        """Forget one lesson's progress (the lab is left as it is)."""
        self.progress.forget(number)
        self.started_at.pop(number, None)
        if self.lesson is not None and self.lesson.number == number:
            self.lesson = None
            self.progress.current = None
            self.progress.save()

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


def _name_of(arn: str) -> str:
    return arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def _default_describe(check: Any) -> str:
    if check.trace is not None:
        where = f" on {check.resource}" if check.resource else ""
        return f"a `{check.trace}` event{where}"
    if check.lag is not None:
        return f"the consumers of {check.lag} are not there yet"
    return f"`{check.command}` does not show it yet"


def _same(expected: Any, observed: Any) -> bool:
    """Whether a prediction's value equals what the lab showed (numbers by value, text by case).

    A "yes"/"no" value asks whether the lab showed anything (a count above zero, a true value).
    """
    if isinstance(expected, str) and expected.lower() in ("yes", "no"):
        return (expected.lower() == "yes") == bool(observed)
    try:
        return float(expected) == float(observed)
    except (TypeError, ValueError):
        return str(expected).strip().lower() == str(observed).strip().lower()
