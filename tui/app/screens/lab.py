"""The lab screen: clock, flow map, resource panel, results and events, command bar."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from ..widgets.clock_bar import ClockBar
from ..widgets.command_bar import CommandBar
from ..widgets.command_hint import CommandHint
from ..widgets.event_log import EventLog
from ..widgets.flow_map import FlowMap
from ..widgets.held_banner import HeldBanner
from ..widgets.lesson_panel import LessonPanel
from ..widgets.resource_panel import ResourcePanel
from ..widgets.result_pane import ResultPane

#: Below this width the side panel only opens on request (enter on a node, ctrl+b).
NARROW_WIDTH = 110


class LabScreen(Screen[None]):
    """The main screen; the app feeds its widgets on each tick and handles their messages."""

    class Ready(Message):
        """Every widget of the lab screen is mounted: the app can wire and feed them."""

    def compose(self) -> ComposeResult:
        yield ClockBar(id="clock")
        yield HeldBanner(id="held")
        with Horizontal(id="lab"):
            with Vertical(id="main"):
                yield FlowMap(id="flow")
                with TabbedContent(id="bottom", initial="results"):
                    with TabPane("Results", id="results"):
                        yield ResultPane(id="result-pane")
                    with TabPane("Events", id="events"):
                        yield EventLog(id="event-log")
            with Vertical(id="side"):
                yield ResourcePanel(id="resource")
            yield LessonPanel(id="lesson")
        yield CommandHint(id="hint")
        yield CommandBar(
            id="command",
            placeholder="command — e.g. sqs create-queue --queue-name orders · F1 help",
        )
        yield Footer()

    def on_mount(self) -> None:
        # Tab walks map → results or events → panel → command bar; the tab strip itself is
        # switched with ctrl+r / ctrl+e (or a click), so it takes no stop of its own.
        self.query_one("ContentTabs").can_focus = False
        self.query_one("#resource-counters").can_focus = False
        self.post_message(self.Ready())

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW_WIDTH, "narrow")
