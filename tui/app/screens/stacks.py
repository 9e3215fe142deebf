"""The stacks screen: every CloudFormation stack of the lab and its events, live while it deploys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from engine import Engine

from ..widgets.stack_events import StackEventsTable, status_style

#: Real seconds between looks at the stacks (a deploy's events appear as they happen).
REFRESH_SECONDS = 0.25


def stack_rows(engine: Engine) -> list[dict[str, Any]]:
    """Each stack (newest activity first) with its DescribeStackEvents entries; runs on the
    engine's loop."""
    if not any(service.name == "cloudformation" for service in engine.started_services()):
        return []  # no stack yet: do not start the service just to look
    from engine.services.cloudformation.describe import event_description

    store = engine.service("cloudformation").store  # type: ignore[attr-defined]
    rows = [
        {
            "id": stack.stack_id,
            "name": stack.name,
            "status": stack.status,
            "last": stack.events[-1].timestamp if stack.events else stack.created,
            "events": [event_description(e) for e in reversed(stack.events)],
        }
        for stack in store.stacks.values()
    ]
    rows.sort(key=lambda r: r["last"], reverse=True)
    return rows


class StackEventsScreen(ModalScreen[None]):
    """A list of stacks and the events of the highlighted one (or of the most recently active,
    until one is picked)."""

    CSS_PATH = Path(__file__).resolve().parent.parent / "stack_events.tcss"
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="stacks.close"),
        Binding("q", "dismiss", "Close", show=False, id="stacks.quit"),
    ]

    def __init__(self, stack: str | None = None) -> None:
        super().__init__()
        #: The stack shown (name or id); None follows whichever stack changed last.
        self.chosen = stack
        self.rows: list[dict[str, Any]] = []
        self._listed: list[tuple[str, str]] = []
        #: Events per stack at the last look, and the stack that gained some last.
        self._counts: dict[str, int] = {}
        self._active: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="stacks-box"):
            yield Static("Stacks", id="stacks-heading")
            with Horizontal(id="stacks-body"):
                yield OptionList(id="stacks-list")
                yield StackEventsTable(id="stack-events")
        yield Footer()

    async def on_mount(self) -> None:
        await self.refresh_stacks()
        self.set_interval(REFRESH_SECONDS, self.refresh_stacks)
        self.query_one(OptionList).focus()

    def shown(self) -> dict[str, Any] | None:
        """The stack whose events are on screen."""
        wanted = self.chosen if self.chosen is not None else self._active
        for row in self.rows:
            if wanted in (row["name"], row["id"]):
                return row
        return self.rows[0] if self.rows else None

    async def refresh_stacks(self) -> None:
        """Read the stacks on the engine's loop and redraw."""
        app: Any = self.app
        self.rows = await app.host.call(stack_rows, app.engine)
        counts = {row["id"]: len(row["events"]) for row in self.rows}
        grown = [
            row["id"] for row in self.rows if counts[row["id"]] > self._counts.get(row["id"], 0)
        ]
        if grown and self._counts:
            self._active = grown[0]  # e.g. the stack a deploy is working on
        self._counts = counts
        listed = [(row["id"], row["status"]) for row in self.rows]
        if listed != self._listed:
            self._listed = listed
            options = self.query_one(OptionList)
            options.clear_options()
            options.add_options([Option(_label(row), id=row["id"]) for row in self.rows])
        self._draw()

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        self.chosen = message.option.id
        self._draw()

    def on_option_list_option_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        if self.chosen is not None:  # keyboard moves pick a stack once one was picked
            self.chosen = message.option.id
            self._draw()

    def _draw(self) -> None:
        row = self.shown()
        heading = self.query_one("#stacks-heading", Static)
        table = self.query_one(StackEventsTable)
        if row is None:
            heading.update("Stacks — none yet: `deploy TEMPLATE` in the command bar makes one")
            table.show([])
            return
        heading.update(f"Stack {row['name']} — {row['status']} ({len(row['events'])} events)")
        table.show(row["events"])
        options = self.query_one(OptionList)
        index = next(i for i, r in enumerate(self.rows) if r["id"] == row["id"])
        if options.highlighted != index:
            options.highlighted = index


def _label(row: dict[str, Any]) -> Text:
    text = Text(row["name"] + "  ")
    text.append(row["status"], style=status_style(row["status"]))
    return text
