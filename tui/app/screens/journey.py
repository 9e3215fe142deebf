"""The journey screen: one message's path through the lab, hop by hop."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from engine.trace import TraceEvent

from ..widgets.journey_view import JourneyView


class JourneyScreen(ModalScreen[None]):
    """A modal timeline; Escape closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="journey.close"),
        Binding("q", "dismiss", "Close", show=False, id="journey.quit"),
    ]

    def __init__(self, ident: str, events: list[TraceEvent]) -> None:
        super().__init__()
        self.ident = ident
        self.events = events

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="journey-box"):
            yield Static("Message journey", id="journey-heading")
            yield JourneyView(id="journey")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(JourneyView).show(self.ident, self.events)
        self.query_one("#journey-box").focus()
