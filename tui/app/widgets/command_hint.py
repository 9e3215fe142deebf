"""Inline help under the command bar: the doc of what is under the cursor and the candidates."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class CommandHint(Widget):
    """Shows `doc` (one paragraph) and the first few `candidates` with their meaning."""

    doc: reactive[str] = reactive("")
    candidates: reactive[tuple[tuple[str, str], ...]] = reactive(())

    def render(self) -> Text:
        """Candidates first (they change as you type), then the doc, cut to the width."""
        text = Text(no_wrap=False, overflow="ellipsis")
        for display, meta in self.candidates[:6]:
            text.append(f" {display} ", "bold reverse" if not text else "bold")
            if meta:
                text.append(f"{meta} ", "dim")
        if self.doc:
            if self.candidates:
                text.append("— ", "dim")
            text.append(self.doc, "italic")
        return text
