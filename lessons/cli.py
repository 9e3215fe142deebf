"""`pipework lessons`: one line per lesson, starting with its number, with the learner's progress."""

from __future__ import annotations

import argparse

from .model import load_catalogue
from .progress import Progress


def main(args: argparse.Namespace) -> int:
    """List the lessons (or forget progress with --reset)."""
    progress = Progress.load()
    if getattr(args, "reset", False):
        progress.reset()
        print("Lesson progress forgotten.")
        return 0
    catalogue = load_catalogue()
    for lesson in catalogue.lessons:
        record = progress.lessons.get(str(lesson.number))
        if record and record.completed:
            status = "done"
        elif record and record.done_steps:
            status = f"{len(record.done_steps)}/{len(lesson.steps)} steps"
        else:
            status = "not started"
        marker = "▶ " if progress.current == lesson.number else ""
        print(f"{lesson.number:>2}. {marker}{lesson.title} — {status}")
    for problem in catalogue.problems:
        print(f" !  {problem}")
    return 1 if catalogue.problems else 0
