"""The paused-lab banner: a lab opened from elsewhere runs no code until the person resumes it."""

from __future__ import annotations

from rich.text import Text
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class HeldBanner(Widget):
    """Shown while `reason` is set; a click asks the app to `resume`."""

    reason: reactive[str] = reactive("")

    class ResumeRequested(Message):
        """The person clicked the banner: run `resume`."""

    def watch_reason(self, reason: str) -> None:
        self.set_class(bool(reason), "-held")

    def render(self) -> Text:
        """The reason (which names the `resume` command) and the click that does it."""
        text = Text(" ⏸ ", "bold")
        text.append(self.reason)
        text.append("  (click here to resume)", "dim")
        return text

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(self.ResumeRequested())
