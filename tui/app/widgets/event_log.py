"""The event log: the live trace as a table, filterable by resource and kind, pausable."""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from engine.trace import TraceEvent

from ..event_filter import EventFilter
from ..guard import guarded
from .trace_table import TraceTable, describe_detail, header_line, short_name

__all__ = ["EventLog", "EventFilter", "describe_detail", "short_name"]

#: Rows kept in the table; older rows scroll away.
MAX_ROWS = 500


class EventLog(Vertical):
    """Shows trace events given by the app; Enter on a row asks for that message's journey."""

    BINDINGS = [
        Binding("p", "toggle_pause", "Pause log", id="events.pause"),
        Binding("slash", "focus_filter", "Filter", id="events.filter"),
    ]

    paused: reactive[bool] = reactive(False)

    class JourneyRequested(Message):
        """Open the journey of a message or trace id."""

        def __init__(self, ident: str) -> None:
            super().__init__()
            self.ident = ident

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._events: deque[TraceEvent] = deque(maxlen=MAX_ROWS * 4)
        self._filter = EventFilter()
        self._missed = 0
        self._stale = False

    def compose(self) -> ComposeResult:
        with Horizontal(classes="log-bar"):
            yield Input(
                placeholder="/ filter: words, kind:sent res:orders trace:ID", id="event-filter"
            )
            yield Label("", id="event-status")
        yield Static(header_line(), id="event-header")
        yield TraceTable(max_rows=MAX_ROWS, id="event-table")

    @guarded
    def add_events(self, events: list[TraceEvent], total: int) -> None:
        """Add the newest events of one tick (`total` counts the ones not given too)."""
        self._events.extend(events)
        if self.paused:
            self._missed += total
            self._status()
            return
        if not self.is_on_screen:
            self._stale = True  # hidden (another tab): catch up from the buffer when shown
            return
        if self._stale:
            self._stale = False
            self._refill()
            return
        matches = self._filter.matches
        shown = [e for e in events if matches(e)] if self._filter else events
        self._append_rows(shown[-MAX_ROWS:])
        skipped = total - len(events)
        self.query_one("#event-status", Label).update(
            f"{skipped:,} more this tick (aggregated)" if skipped > 0 else ""
        )

    @property
    def is_on_screen(self) -> bool:
        """Whether the log is visible (its tab is the active one)."""
        return self.display and self.region.height > 0

    def _append_rows(self, events: list[TraceEvent]) -> None:
        self.query_one(TraceTable).add_rows(events)

    def _refill(self) -> None:
        matches = self._filter.matches
        matching = [e for e in self._events if matches(e)] if self._filter else list(self._events)
        self.query_one(TraceTable).set_rows(matching)

    def on_show(self) -> None:
        if self._stale:
            self._stale = False
            self._refill()

    def _status(self) -> None:
        label = self.query_one("#event-status", Label)
        label.update(f"⏸ paused · {self._missed:,} new" if self.paused else "")

    def set_filter(self, text: str) -> None:
        """Keep only events matching every word of `text` (see `EventFilter`)."""
        self._filter = EventFilter.parse(text)
        self._refill()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "event-filter":
            event.stop()
            self.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "event-filter":
            event.stop()
            self.query_one(TraceTable).focus()

    def on_trace_table_chosen(self, message: TraceTable.Chosen) -> None:
        message.stop()
        ident = message.event.message_id or message.event.trace_id
        if ident:
            self.post_message(self.JourneyRequested(ident))

    def watch_paused(self, paused: bool) -> None:
        if not paused and self._missed:
            self._missed = 0
            self._refill()
        self._status()

    def action_toggle_pause(self) -> None:
        """Freeze the log (events keep being counted) or let it run again."""
        self.paused = not self.paused

    def action_focus_filter(self) -> None:
        """Jump to the filter box."""
        self.query_one("#event-filter", Input).focus()
