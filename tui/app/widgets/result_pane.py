"""The result pane: each command with its output or its one-line error."""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.console import RenderableType
from rich.json import JSON
from rich.text import Text
from textual import events
from textual.widgets import RichLog

from ..guard import guarded

#: Entries (commands, results, notes) kept for scrollback and for rewrapping on a resize.
ENTRIES_KEPT = 1000


class ResultPane(RichLog):
    """A scrolling log of commands and their results, wrapped to the width it has now."""

    def __init__(self, *, id: str | None = None) -> None:
        # min_width=1: wrap to the visible width, however narrow (RichLog's default is 78).
        super().__init__(
            id=id, wrap=True, markup=False, highlight=False, max_lines=4000, min_width=1
        )
        self._entries: deque[RenderableType] = deque(maxlen=ENTRIES_KEPT)
        self._wrapped_at = 0

    def _add(self, renderable: RenderableType) -> None:
        renderable = _wrapping(renderable)
        self._entries.append(renderable)
        self.write(renderable, width=self._width())

    def _width(self) -> int | None:
        """The visible width to wrap at (None before the first layout: RichLog defers)."""
        return self.scrollable_content_region.width or None

    def on_resize(self, event: events.Resize) -> None:
        width = self.scrollable_content_region.width
        if width and width != self._wrapped_at:
            if self._wrapped_at:
                self._rewrap()
            self._wrapped_at = width

    def _rewrap(self) -> None:
        """Render every kept entry again at the new width, keeping the reader's place."""
        at_end = self.is_vertical_scroll_end
        share = self.scroll_y / max(1, self.max_scroll_y)
        self.clear()
        for renderable in self._entries:
            self.write(renderable, width=self._width(), scroll_end=False)
        if at_end:
            self.scroll_end(animate=False, immediate=False)
        else:
            self.call_after_refresh(self.scroll_to, y=share * self.max_scroll_y, animate=False)

    @guarded
    def show_command(self, command: str) -> None:
        """Echo a command as it starts."""
        self._add(Text.assemble(("› ", "bold"), (command, "bold")))

    @guarded
    def show_result(self, output: RenderableType | None, error: str | None, value: Any) -> None:
        """Show a finished command: its output, or its error in red."""
        if error:
            self._add(Text(error, style="bold red"))
        elif output is not None:
            self._add(output)
        elif value is not None:
            self._add(Text(str(value)))

    @guarded
    def show_note(self, note: str, style: str = "dim") -> None:
        """A line from the app itself (demo progress, saved files)."""
        self._add(Text(note, style=style))

    @property
    def text(self) -> str:
        """What the pane shows, as plain text (one line per drawn row)."""
        return "\n".join(line.text.rstrip() for line in self.lines)


def _wrapping(renderable: RenderableType) -> RenderableType:
    """`renderable`, folded at the pane's edge: rich's JSON (and any no-wrap text) is cut there."""
    text = renderable.text if isinstance(renderable, JSON) else renderable
    if isinstance(text, Text) and (text.no_wrap or text.overflow not in (None, "fold")):
        text = text.copy()
        text.no_wrap = False
        text.overflow = "fold"
        return text
    return renderable
