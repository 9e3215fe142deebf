"""Renders the API panel: an API Gateway API's routes, stages and recent requests."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..api_inspector import ROUTE_COUNT

#: Colours of the stage that decided a request's answer.
DECIDER_STYLES = {
    "integration": "green",
    "cache": "cyan",
    "throttled": "bold yellow",
    "throttle": "bold yellow",
}


def status_style(status: int | None) -> str:
    """Green for 2xx/3xx, yellow for 4xx, red for 5xx."""
    if status is None:
        return "dim"
    if status >= 500:
        return "bold red"
    if status >= 400:
        return "yellow"
    return "green"


def decider_style(decided_by: str) -> str:
    """The colour of a deciding stage (auth and validation refusals in magenta)."""
    if decided_by in DECIDER_STYLES:
        return DECIDER_STYLES[decided_by]
    if "throttl" in decided_by or "quota" in decided_by:
        return "bold yellow"
    return "#d670d6"


def render_api(data: dict[str, Any]) -> RenderableType:
    """Routes with their integrations and auth, stages, then recent requests."""
    routes = Table(
        title=f"{data['protocol']} routes", title_justify="left", box=None, padding=(0, 1)
    )
    routes.add_column("route", no_wrap=True)
    routes.add_column("integration", no_wrap=True, overflow="ellipsis")
    routes.add_column("auth", no_wrap=True)
    for route in data["routes"][:ROUTE_COUNT]:
        auth = route["auth"] + (" +key" if route["api_key"] else "")
        routes.add_row(Text(route["route"], "bold"), route["target"], Text(auth.strip(), "yellow"))
    if len(data["routes"]) > ROUTE_COUNT:
        routes.add_row(Text(f"… and {len(data['routes']) - ROUTE_COUNT} more", "dim"), "", "")
    if not data["routes"]:
        routes.add_row(Text("no routes yet", "dim"), "", "")
    stages = Text("stages: ", "dim")
    for index, stage in enumerate(data["stages"]):
        stages.append(", " if index else "", "dim")
        stages.append(stage["name"], "bold")
        if stage["notes"]:
            stages.append(f" ({stage['notes']})", "dim")
    if "subscriptions" in data:  # AppSync: no stages; live subscriptions instead
        stages = Text.assemble(
            ("live subscriptions: ", "dim"), (str(data["subscriptions"]), "bold")
        )
    elif not data["stages"]:
        stages.append("none deployed", "dim")
    return Group(routes, stages, Text(""), render_requests(data["requests"]))


def render_requests(rows: list[dict[str, Any]]) -> RenderableType:
    """Recent requests: status, latency and which stage decided the answer."""
    if not rows:
        return Text("no requests yet", "dim")
    table = Table(title="recent requests", title_justify="left", box=None, padding=(0, 1))
    table.add_column("request", no_wrap=True, overflow="ellipsis", max_width=22)
    table.add_column("status", justify="right", min_width=6, no_wrap=True)
    table.add_column("ms", justify="right", no_wrap=True)
    table.add_column("decided by", no_wrap=True, overflow="ellipsis")
    for row in rows:
        latency = row["latency_ms"]
        table.add_row(
            row["request"],
            Text(str(row["status"]), status_style(row["status"])),
            "" if latency is None else str(latency),
            Text(row["decided_by"].replace("_", " "), decider_style(row["decided_by"])),
        )
    return table
