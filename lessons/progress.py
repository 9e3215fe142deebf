"""Lesson progress (lesson, steps done, hints used) kept in the platformdirs data folder."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tui.console.paths import data_dir


@dataclass(slots=True)
class LessonProgress:
    """How far the learner got in one lesson."""

    done_steps: list[str] = field(default_factory=list)
    hints_used: dict[str, int] = field(default_factory=dict)
    completed: bool = False
    predictions: dict[str, str] = field(default_factory=dict)  # predict step → the answer given
    predicted_right: dict[str, bool] = field(default_factory=dict)  # … and whether the lab agreed
    solutions_shown: list[str] = field(default_factory=list)  # steps (or "*") shown the solution
    resources: list[str] = field(default_factory=list)  # ARNs the lesson created, in order


@dataclass(slots=True)
class Progress:
    """Every lesson's progress and the lesson in hand."""

    lessons: dict[str, LessonProgress] = field(default_factory=dict)
    current: int | None = None
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> Progress:
        """Read progress (a missing or unreadable file starts afresh)."""
        path = path or data_dir() / "lessons.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            lessons = {
                key: LessonProgress(
                    list(value.get("done_steps", [])),
                    dict(value.get("hints_used", {})),
                    bool(value.get("completed", False)),
                    {str(k): str(v) for k, v in dict(value.get("predictions", {})).items()},
                    {str(k): bool(v) for k, v in dict(value.get("predicted_right", {})).items()},
                    [str(v) for v in value.get("solutions_shown", [])],
                    [str(v) for v in value.get("resources", [])],
                )
                for key, value in raw.get("lessons", {}).items()
            }
            return cls(lessons, raw.get("current"), path)
        except (OSError, ValueError, AttributeError):
            return cls(path=path)

    def of(self, number: int) -> LessonProgress:
        """The progress of lesson `number` (created empty)."""
        return self.lessons.setdefault(str(number), LessonProgress())

    def save(self) -> None:
        """Write progress atomically."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"current": self.current, "lessons": {k: asdict(v) for k, v in self.lessons.items()}}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
        temporary.replace(self.path)

    def forget(self, number: int) -> None:
        """Forget one lesson's progress."""
        self.lessons.pop(str(number), None)
        self.save()

    def reset(self) -> None:
        """Forget everything."""
        self.lessons.clear()
        self.current = None
        self.save()
