"""Guided lessons: each integration pattern explained, built in the lab and checked live."""

from .commands import install
from .model import Catalogue, Lesson, LessonError, Step, load_catalogue, load_lesson
from .session import LessonSession

__all__ = [
    "Catalogue",
    "Lesson",
    "LessonError",
    "LessonSession",
    "Step",
    "install",
    "load_catalogue",
    "load_lesson",
]
