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
    "mq destinations ",
)
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
    where: str | None = None  # JMESPath on the event (kind, resource, detail …) that must hold
    lag: str | None = None  # a Kinesis stream (name or ARN) whose consumer lag rows `expect` reads
    describe: str = ""  # what the learner sees when this check is not yet met


@dataclass(slots=True)
class Step:
    """One thing the learner does, with its checks, hints and explanation."""

    id: str
    text: str
    checks: list[Check]
    hints: list[str] = field(default_factory=list)
    explain: str = ""
    focus: str | None = None  # the resource the flow map should show after the step


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


def _require(table: dict, key: str, kind: type, path: Path, where: str) -> Any:
    if key not in table:
        raise LessonError(path, f"{where} needs '{key}'")
    value = table[key]
    if not isinstance(value, kind):
        raise LessonError(path, f"{where}: '{key}' must be a {kind.__name__}")
    return value


def _check(raw: Any, path: Path, where: str) -> Check:
    if not isinstance(raw, dict):
        raise LessonError(path, f"{where} must be a table")
    unknown = set(raw) - {
        "command",
        "expect",
        "trace",
        "resource",
        "at_least",
        "where",
        "lag",
        "describe",
    }
    if unknown:
        raise LessonError(path, f"{where}: unknown key '{sorted(unknown)[0]}'")
    check = Check(**raw)
    kinds = [key for key in ("command", "trace", "lag") if getattr(check, key) is not None]
    if len(kinds) != 1:
        raise LessonError(path, f"{where} needs exactly one of 'command', 'trace' or 'lag'")
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
    return check


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
        hints = raw.get("hints", [])
        if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
            raise LessonError(toml_path, f"{where}: 'hints' must be a list of strings")
        steps.append(
            Step(
                step_id,
                _require(raw, "text", str, toml_path, where),
                [_check(c, toml_path, f"{where} check {n}") for n, c in enumerate(raw_checks, 1)],
                hints,
                raw.get("explain", ""),
                raw.get("focus"),
            )
        )
    setup = data.get("setup", [])
    if not isinstance(setup, list) or not all(isinstance(s, str) for s in setup):
        raise LessonError(toml_path, "'setup' must be a list of console commands")
    text_path = folder / "lesson.md"
    solution_path = folder / "solution.pw"
    return Lesson(
        number=number,
        slug=data.get("slug", folder.name),
        title=title,
        summary=data.get("summary", ""),
        text=text_path.read_text(encoding="utf-8") if text_path.exists() else "",
        steps=steps,
        setup=setup,
        conclusion=data.get("conclusion", ""),
        solution=solution_path.read_text(encoding="utf-8") if solution_path.exists() else "",
        path=folder,
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
