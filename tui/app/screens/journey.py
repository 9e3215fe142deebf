"""The journey screen: one message's path through the lab as a tree of hops; Enter shows a hop."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from engine.trace import TraceEvent

from ..journey_model import Hop, build_hops
from ..widgets.journey_view import hop_detail, hop_renderable, journey_header, time_legend


class JourneyScreen(ModalScreen[None]):
    """A modal tree of hops in causal order; Enter opens a hop's full detail, Escape closes."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="journey.close"),
        Binding("q", "dismiss", "Close", show=False, id="journey.quit"),
    ]

    def __init__(
        self, ident: str, events: list[TraceEvent], walls: dict[int, float] | None = None
    ) -> None:
        super().__init__()
        self.ident = ident
        self.events = events
        self.walls = walls or {}
        self.hops: list[Hop] = build_hops(events)

    def compose(self) -> ComposeResult:
        with Vertical(id="journey-box"):
            yield Static("Message journey  ·  enter: a hop's full detail", id="journey-heading")
            if self.events:
                yield Static(journey_header(self.ident, self.events, self.hops))
                yield Static(time_legend())
            else:
                yield Static(f"No recorded events for {self.ident}.")
            start = min(self.events, key=lambda event: event.seq) if self.events else None
            yield OptionList(
                *(
                    Option(hop_renderable(hop, start, self.walls), id=str(index))
                    for index, hop in enumerate(self.hops)
                    if start is not None
                ),
                id="journey-hops",
            )
        yield Footer()

    def on_mount(self) -> None:
        hops = self.query_one("#journey-hops", OptionList)
        if self.hops:
            hops.highlighted = 0
        hops.focus()

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        hop = self.hops[message.option_index]
        start = min(self.events, key=lambda event: event.seq)
        self.app.push_screen(HopScreen(hop_detail(hop, start, self.walls)))


class HopScreen(ModalScreen[None]):
    """One hop's every event and full payloads; Escape goes back to the journey."""

    BINDINGS = [
        Binding("escape", "dismiss", "Back", id="hop.close"),
        Binding("q", "dismiss", "Back", show=False, id="hop.quit"),
    ]

    def __init__(self, detail: object) -> None:
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="hop-box"):
            yield Static("Hop detail", id="journey-heading")
            yield Static(self.detail, id="hop-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#hop-box").focus()
