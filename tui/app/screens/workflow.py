"""The workflow screen: a state machine drawn as a graph, coloured by the chosen execution."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ..widgets.flow_map import FlowMap
from ..workflow import load_workflow, workflow_views

if TYPE_CHECKING:
    from ..app import PipeworkApp

STATUS_STYLES = {
    "RUNNING": "bold yellow",
    "SUCCEEDED": "green",
    "FAILED": "bold red",
    "TIMED_OUT": "red",
    "ABORTED": "dim",
    "PENDING_REDRIVE": "magenta",
}
#: Real seconds between refreshes of the open workflow.
REFRESH_SECONDS = 0.5


class WorkflowScreen(Screen[None]):
    """Graph of states, execution list and history; Escape goes back to the lab."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="workflow.back"),
    ]

    def __init__(self, machine_arn: str) -> None:
        super().__init__()
        self.machine_arn = machine_arn
        self.execution: str | None = None
        self.data: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="workflow-title")
        with Horizontal(id="workflow-body"):
            # State transitions carry no rates or names: their layers may sit closer.
            yield FlowMap(id="workflow-graph", min_label_room=3)
            with Vertical(id="workflow-side"):
                yield OptionList(id="workflow-executions")
                with VerticalScroll(id="workflow-history-box"):
                    yield Static("", id="workflow-history")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self.reload)
        self.reload()
        self.query_one(FlowMap).focus()

    def reload(self) -> None:
        """Fetch the machine, its executions and the chosen execution (in a worker)."""
        self.run_worker(self._load(), group="workflow", exclusive=True)

    async def _load(self) -> None:
        app: PipeworkApp = self.app  # type: ignore[assignment]
        try:
            data = await app.host.run(load_workflow(app.engine, self.machine_arn, self.execution))
        except Exception as error:  # noqa: BLE001 — e.g. the machine was deleted meanwhile
            self.query_one("#workflow-title", Static).update(
                Text(f"workflow unavailable: {error}", "bold red")
            )
            return
        self.show(data, app.engine.clock.now())

    def show(self, data: dict[str, Any], now: float) -> None:
        """Draw the graph and lists from `load_workflow`'s data."""
        self.data = data
        self.execution = data["execution"]
        nodes, edges = workflow_views(data)
        self.query_one(FlowMap).update_flow(nodes, edges, now)
        view = data["view"] or {}
        title = Text.assemble(
            ("◇ ", "bold"),
            (data["name"], "bold"),
            ("  execution ", "dim"),
            ((self.execution or "none").rsplit(":", 1)[-1], ""),
            ("  ", ""),
            (view.get("status", ""), STATUS_STYLES.get(view.get("status", ""), "")),
        )
        self.query_one("#workflow-title", Static).update(title)
        options = self.query_one("#workflow-executions", OptionList)
        wanted = [(e["arn"], e["name"], e["status"]) for e in data["executions"]]
        if [o.id for o in options.options] != [arn for arn, _, _ in wanted]:
            options.clear_options()
            options.add_options(
                Option(Text.assemble((status.ljust(10), STATUS_STYLES.get(status, "")), name), arn)
                for arn, name, status in wanted
            )
        history = Text(no_wrap=True, overflow="ellipsis")
        for event in data["history"]:
            style = (
                "red" if "Failed" in event["type"] else "dim" if "Exited" in event["type"] else ""
            )
            history.append(f"{event['id']:>4} {event['type']:<28}", style)
            history.append(f" {event['details']}\n", "dim")
        self.query_one("#workflow-history", Static).update(history)

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        self.execution = message.option.id
        self.reload()
