"""Lessons as data: a folder per lesson with `lesson.toml`, `lesson.md` and `solution.pw`."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

CONTENT = Path(__file__).resolve().parent / "content"

#: Console commands a check may run: they read the lab and never change it.
READ_ONLY_OPERATION = re.compile(r"^[a-z0-9]+ (get|list|describe)-[a-z0-9-]+( |$)")
READ_ONLY_LAB_COMMANDS = (
    "describe ",
    "outbox",
    "events test-event-pattern ",
    "mq queues ",
    "mq exchanges ",
    "mq bindings ",
    "kafka lag ",
    "kafka groups",
    "mq destinations ",
    "video fragments ",
)
#: Lab commands that only read when given no arguments (`delivery` shows the delivery mode).
READ_ONLY_BARE_COMMANDS = ("delivery", "chaos", "iam enforce")
#: Operations named like reads that change the lab: they hand out work, spend a shard's read
#: budget or register a reader (`test-invoke-method` and `test-state` run integrations too).
NOT_READ_ONLY = (
    "stepfunctions get-activity-task",
    "kinesis get-records",
    "kinesis get-shard-iterator",
    "dynamodbstreams get-records",
    "dynamodbstreams get-shard-iterator",
)


def is_read_only(command: str) -> bool:
    """Whether a check may run `command`: a get-/list-/describe- call or a reading lab command."""
    if command.strip() in READ_ONLY_BARE_COMMANDS:
        return True
    if command.startswith(READ_ONLY_LAB_COMMANDS):
        return True
    if command.startswith(NOT_READ_ONLY):
        return False
    return READ_ONLY_OPERATION.match(command) is not None


class LessonError(ValueError):
    """A lesson file that cannot be used, with its path and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(slots=True)
class Check:
    """One condition on the lab: a read-only command's result, or events in the trace."""

    command: str | None = None
    expect: str | None = None  # JMESPath that must be truthy on the command's result
    trace: str | None = None  # a trace event kind, e.g. "dead-lettered"
    resource: str | None = None  # the event's resource (name or ARN)
    at_least: int = 1
    at_most: int | None = None  # trace checks: no more than this many such events (0: none)
    where: str | None = None  # JMESPath on the event (kind, resource, detail …) that must hold
    lag: str | None = None  # a Kinesis stream (name or ARN) whose consumer lag rows `expect` reads
    describe: str = ""  # what the learner sees when this check is not yet met
    since: str = "lesson"  # trace checks: events since the lesson started, or the previous "step"


@dataclass(slots=True)
class Step:
    """One thing the learner does, with its checks, hints and explanation."""

    id: str
    text: str
    checks: list[Check]
    hints: list[str] = field(default_factory=list)
    explain: str = ""
    focus: str | None = None  # the resource the flow map should show after the step
    kind: str = "do"  # "do", or "predict": the learner answers first, then the lab shows
    choices: list[str] = field(default_factory=list)  # predict: options A, B, … (none: a number)
    values: list[str] = field(default_factory=list)  # predict: what `observe` yields per choice
    observe: Check | None = None  # predict: the lab's answer (a trace count or an expression)
    solution: str = ""  # this step's part of solution.pw (after a `# step: ID` line)


@dataclass(slots=True)
class Lesson:
    """A lesson: introduction, steps, and the reference solution the tests replay."""

    number: int
    slug: str
    title: str
    summary: str
    text: str
    steps: list[Step]
    setup: list[str] = field(default_factory=list)
    conclusion: str = ""
    solution: str = ""
    path: Path | None = None
    resources: list[str] = field(default_factory=list)  # names of what the lesson makes
    goal: list[tuple[str, str]] = field(default_factory=list)  # edges of the topology to build


def _require(table: dict, key: str, kind: type, path: Path, where: str) -> Any:
    if key not in table:
        raise LessonError(path, f"{where} needs '{key}'")
    value = table[key]
    if not isinstance(value, kind):
        raise LessonError(path, f"{where}: '{key}' must be a {kind.__name__}")
    return value


def _check(raw: Any, path: Path, where: str, *, observing: bool = False) -> Check:
    if not isinstance(raw, dict):
        raise LessonError(path, f"{where} must be a table")
    unknown = set(raw) - {
        "command",
        "expect",
        "trace",
        "resource",
        "at_least",
        "at_most",
        "where",
        "lag",
        "describe",
        "since",
    }
    if unknown:
        raise LessonError(path, f"{where}: unknown key '{sorted(unknown)[0]}'")
    check = Check(**raw)
    kinds = [key for key in ("command", "trace", "lag") if getattr(check, key) is not None]
    if len(kinds) != 1:
        raise LessonError(path, f"{where} needs exactly one of 'command', 'trace' or 'lag'")
    if observing and check.trace is None and check.expect is None:
        raise LessonError(path, f"{where}: an observation needs 'expect' (its value)")
    if check.lag is not None and check.expect is None:
        raise LessonError(path, f"{where}: a lag check needs 'expect' (JMESPath)")
    if check.command is not None:
        if not is_read_only(check.command):
            raise LessonError(
                path, f"{where}: check commands must only read the lab (get-/list-/describe-…)"
            )
        if check.expect is None:
            raise LessonError(path, f"{where}: a command check needs 'expect' (JMESPath)")
    for expression in (check.expect, check.where):
        if expression is not None:
            try:
                jmespath.compile(expression)
            except JMESPathError as error:
                raise LessonError(path, f"{where}: bad JMESPath {expression!r}: {error}") from None
    if not isinstance(check.at_least, int) or check.at_least < 1:
        raise LessonError(path, f"{where}: 'at_least' must be a positive integer")
    if check.at_most is not None and (not isinstance(check.at_most, int) or check.at_most < 0):
        raise LessonError(path, f"{where}: 'at_most' must be a whole number")
    if check.since not in ("lesson", "step"):
        raise LessonError(path, f"{where}: 'since' must be 'lesson' or 'step'")
    return check


STEP_KEYS = frozenset(
    {"id", "text", "checks", "hints", "explain", "focus", "kind", "choices", "values", "observe"}
)
LESSON_KEYS = frozenset(
    {"number", "slug", "title", "summary", "setup", "conclusion", "steps", "resources", "goal"}
)


def _strings(raw: dict, key: str, path: Path, where: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LessonError(path, f"{where}: '{key}' must be a list of strings")
    return value


def _predict(raw: dict, step: Step, path: Path, where: str) -> None:
    """Fill and validate a predict step's choices and observation."""
    if step.kind not in ("do", "predict"):
        raise LessonError(path, f"{where}: 'kind' must be 'do' or 'predict'")
    step.choices = _strings(raw, "choices", path, where)
    step.values = _strings(raw, "values", path, where)
    if step.kind == "do":
        if step.choices or step.values or "observe" in raw:
            raise LessonError(path, f"{where}: choices and observe belong to a predict step")
        return
    if "observe" not in raw:
        raise LessonError(path, f"{where}: a predict step needs 'observe'")
    step.observe = _check(raw["observe"], path, f"{where} observe", observing=True)
    if step.values and len(step.values) != len(step.choices):
        raise LessonError(path, f"{where}: 'values' needs one value per choice")
    if len(step.choices) > 26:
        raise LessonError(path, f"{where}: at most 26 choices")


def _split_solution(solution: str) -> dict[str, str]:
    """solution.pw's parts by step: the lines after `# step: ID`, up to the next such line."""
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in solution.splitlines():
        marker = STEP_MARKER.match(line)
        if marker:
            current = parts.setdefault(marker.group(1), [])
            continue
        if current is not None:
            current.append(line)
    return {key: "\n".join(lines).strip() + "\n" for key, lines in parts.items()}


STEP_MARKER = re.compile(r"^#\s*step:\s*([\w.-]+)\s*$")


def load_lesson(folder: Path) -> Lesson:
    """Read one lesson folder; raises LessonError naming the file and the problem."""
    toml_path = folder / "lesson.toml"
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LessonError(toml_path, "missing lesson.toml") from None
    except tomllib.TOMLDecodeError as error:
        raise LessonError(toml_path, f"not valid TOML: {error}") from None
    number = _require(data, "number", int, toml_path, "the lesson")
    title = _require(data, "title", str, toml_path, "the lesson")
    raw_steps = _require(data, "steps", list, toml_path, "the lesson")
    if not raw_steps:
        raise LessonError(toml_path, "a lesson needs at least one step")
    steps: list[Step] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_steps, start=1):
        where = f"step {index}"
        step_id = _require(raw, "id", str, toml_path, where)
        if step_id in seen:
            raise LessonError(toml_path, f"{where}: duplicate step id '{step_id}'")
        seen.add(step_id)
        raw_checks = _require(raw, "checks", list, toml_path, where)
        if not raw_checks:
            raise LessonError(toml_path, f"{where} needs at least one check")
        unknown = set(raw) - STEP_KEYS
        if unknown:
            raise LessonError(toml_path, f"{where}: unknown key '{sorted(unknown)[0]}'")
        hints = _strings(raw, "hints", toml_path, where)
        step = Step(
            step_id,
            _require(raw, "text", str, toml_path, where),
            [_check(c, toml_path, f"{where} check {n}") for n, c in enumerate(raw_checks, 1)],
            hints,
            raw.get("explain", ""),
            raw.get("focus"),
            kind=raw.get("kind", "do"),
        )
        _predict(raw, step, toml_path, where)
        steps.append(step)
    setup = data.get("setup", [])
    if not isinstance(setup, list) or not all(isinstance(s, str) for s in setup):
        raise LessonError(toml_path, "'setup' must be a list of console commands")
    unknown = set(data) - LESSON_KEYS
    if unknown:
        raise LessonError(toml_path, f"unknown key '{sorted(unknown)[0]}'")
    resources = _strings(data, "resources", toml_path, "the lesson")
    goal = []
    for edge in data.get("goal", []):
        if not isinstance(edge, str) or "->" not in edge:
            raise LessonError(toml_path, "'goal' must be a list of edges like 'topic -> queue'")
        source, _, target = edge.partition("->")
        goal.append((source.strip(), target.strip()))
    text_path = folder / "lesson.md"
    solution_path = folder / "solution.pw"
    solution = solution_path.read_text(encoding="utf-8") if solution_path.exists() else ""
    for step, part in _split_solution(solution).items():
        for candidate in steps:
            if candidate.id == step:
                candidate.solution = part
    return Lesson(
        number=number,
        slug=data.get("slug", folder.name),
        title=title,
        summary=data.get("summary", ""),
        text=text_path.read_text(encoding="utf-8") if text_path.exists() else "",
        steps=steps,
        setup=setup,
        conclusion=data.get("conclusion", ""),
        solution=solution,
        path=folder,
        resources=resources,
        goal=goal,
    )


@dataclass(slots=True)
class Catalogue:
    """Every lesson that loaded, in order, and the problems of those that did not."""

    lessons: list[Lesson]
    problems: list[LessonError]

    def get(self, key: str | int) -> Lesson | None:
        """A lesson by number or slug."""
        for lesson in self.lessons:
            if str(lesson.number) == str(key) or lesson.slug == str(key):
                return lesson
        return None


def load_catalogue(root: Path = CONTENT) -> Catalogue:
    """Load every lesson folder under `root`; a broken lesson is reported, the rest still load."""
    lessons: list[Lesson] = []
    problems: list[LessonError] = []
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            try:
                lessons.append(load_lesson(folder))
            except LessonError as error:
                problems.append(error)
            except (OSError, UnicodeDecodeError) as error:
                problems.append(LessonError(folder, str(error)))
    lessons.sort(key=lambda lesson: lesson.number)
    return Catalogue(lessons, problems)
