"""The Textual front end: `PipeworkApp` and the widget API other parts plug into."""

from .app import PipeworkApp
from .widgets.lesson_panel import LessonPanel, LessonStep, LessonView

__all__ = ["LessonPanel", "LessonStep", "LessonView", "PipeworkApp"]
