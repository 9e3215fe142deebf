"""A fast table of trace events: draws only the visible rows, so thousands a second cost little."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from engine.trace import TraceEvent

from ..event_text import describe_detail, one_line, resource_label

__all__ = ["TraceTable", "describe_detail", "format_row", "header_line", "short_name"]

#: Column widths: time, kind, resource, message id (the detail takes the rest).
COLUMNS = (13, 16, 22, 10)
HEADER = ("time", "kind", "resource", "message", "detail")


def short_name(arn: str) -> str:
    """The readable tail of an ARN (`orders` for a queue ARN)."""
    tail = arn.rsplit(":", 1)[-1]
    return tail.rsplit("/", 1)[-1] or arn


def format_row(event: TraceEvent) -> str:
    """One event as a fixed-width line (without the detail's cut)."""
    stamp = datetime.fromtimestamp(event.time, UTC).strftime("%H:%M:%S.%f")[:-3]
    cells = (
        stamp,
        one_line(event.kind),
        one_line(resource_label(event.resource, event.detail)),
        one_line(event.message_id or "")[:9],
    )
    return "".join(_cell(text, width) for text, width in zip(cells, COLUMNS, strict=True))


def header_line() -> str:
    """The column titles, aligned like the rows."""
    return (
        "".join(_cell(text, width) for text, width in zip(HEADER, COLUMNS, strict=False))
        + (HEADER[-1])
    )


def _cell(text: str, width: int) -> str:
    return text[: width - 1].ljust(width - 1) + " "


class TraceTable(ScrollView, can_focus=True):
    """Rows of trace events with a cursor; Enter (or a double click) posts `Chosen`."""

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False, id="table.up"),
        Binding("down", "move(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "move(-10)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "move(10)", "Page down", show=False, id="table.page_down"),
        Binding("home", "jump(0)", "First", show=False, id="table.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="table.last"),
        Binding("enter", "choose", "Journey", id="table.choose"),
    ]

    class Chosen(Message):
        """The user picked an event (to open its journey)."""

        def __init__(self, event: TraceEvent) -> None:
            super().__init__()
            self.event = event

    cursor: reactive[int] = reactive(-1)

    def __init__(self, *, max_rows: int = 500, id: str | None = None) -> None:
        super().__init__(id=id)
        self.max_rows = max_rows
        self.rows: list[TraceEvent] = []
        self._lines: list[str] = []

    def set_rows(self, rows: list[TraceEvent]) -> None:
        """Replace every row."""
        self.rows = rows[-self.max_rows :]
        self._lines = [format_row(event) for event in self.rows]
        self.cursor = len(self.rows) - 1
        self._resized()

    def add_rows(self, rows: list[TraceEvent]) -> None:
        """Append rows; the cursor follows the newest row when it was on the last one."""
        if not rows:
            return
        following = self.cursor >= len(self.rows) - 1
        self.rows.extend(rows)
        self._lines.extend(format_row(event) for event in rows)
        if len(self.rows) > 2 * self.max_rows:
            # Trim in one slice per max_rows new events, not one row at a time.
            drop = len(self.rows) - self.max_rows
            del self.rows[:drop]
            del self._lines[:drop]
            self.cursor = max(-1, self.cursor - drop)
        if following:
            self.cursor = len(self.rows) - 1
        self._resized()

    @property
    def row_count(self) -> int:
        """How many rows the table holds."""
        return len(self.rows)

    def _resized(self) -> None:
        # Width 0: rows are cut to the view, never scrolled sideways.
        self.virtual_size = Size(0, len(self.rows))
        # Scroll once the new virtual size is laid out (before, the old height clamps it).
        self.call_after_refresh(self._scroll_to_cursor)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """One visible row; the cursor row is highlighted."""
        width = self.size.width
        index = y + self.scroll_offset.y
        base = self.rich_style
        if index >= len(self.rows):
            return Strip.blank(width, base)
        event = self.rows[index]
        line = self._lines[index]
        detail = describe_detail(event, max(0, width - len(line)))
        style = base + _KIND_STYLES.get(event.kind, Style())
        if index == self.cursor:
            style = style + Style(reverse=True)
        return Strip([Segment(line + detail, style)]).adjust_cell_length(width, style)

    def watch_cursor(self) -> None:
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        height = self.size.height
        if height <= 0 or self.cursor < 0:
            return
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def action_move(self, step: int) -> None:
        """Move the cursor by `step` rows."""
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))
            self._scroll_to_cursor()

    def action_jump(self, row: int) -> None:
        """Put the cursor on the first (0) or last (-1) row."""
        if self.rows:
            self.cursor = row % len(self.rows)
            self._scroll_to_cursor()

    def action_choose(self) -> None:
        """Post the cursor row's event."""
        if 0 <= self.cursor < len(self.rows):
            self.post_message(self.Chosen(self.rows[self.cursor]))

    def on_click(self, event: events.Click) -> None:
        index = event.y + self.scroll_offset.y
        if 0 <= index < len(self.rows):
            self.cursor = index
            if event.chain >= 2:
                self.action_choose()

    def on_resize(self) -> None:
        self._resized()


_KIND_STYLES = {
    "failed": Style(color="red", bold=True),
    "delivery-failed": Style(color="red", bold=True),
    "execution-failed": Style(color="red", bold=True),
    "retried": Style(color="yellow"),
    "throttled": Style(color="yellow", bold=True),
    "dead-lettered": Style(color="#d670d6", bold=True),
}
