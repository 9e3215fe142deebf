"""`pipework lessons`: one line per lesson, starting with its number, with the learner's progress."""

from __future__ import annotations

import argparse
import os
import sys

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
    lines = []
    for lesson in catalogue.lessons:
        record = progress.lessons.get(str(lesson.number))
        if record and record.completed:
            status = "done"
        elif record and record.done_steps:
            status = f"{len(record.done_steps)}/{len(lesson.steps)} steps"
        else:
            status = "not started"
        marker = "▶ " if progress.current == lesson.number else ""
        lines.append(f"{lesson.number:>2}. {marker}{lesson.title} — {status}")
    lines.extend(f" !  {problem}" for problem in catalogue.problems)
    _emit("\n".join(lines) + "\n")
    return 1 if catalogue.problems else 0


def _emit(text: str) -> None:
    """Write `text` to stdout; a reader that has gone (`| head`) ends the output quietly."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
