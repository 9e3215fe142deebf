"""A stack's events as DescribeStackEvents lists them: newest first, one row per status change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

COLUMNS = ("Timestamp", "Logical ID", "Type", "Status", "Status reason")


def status_style(status: str) -> str:
    """The colour AWS's console gives a resource status."""
    if status.endswith("_FAILED") or status.startswith(("ROLLBACK", "UPDATE_ROLLBACK")):
        return "red"
    if status.endswith("_IN_PROGRESS"):
        return "yellow"
    if status.endswith("_COMPLETE"):
        return "green"
    return ""


def event_row(event: dict[str, Any]) -> tuple[str, str, str, Text, str]:
    """One DescribeStackEvents entry as a table row."""
    stamp = event["Timestamp"]
    when = stamp.strftime("%H:%M:%S.%f")[:-3] if isinstance(stamp, datetime) else str(stamp)
    status = event["ResourceStatus"]
    return (
        when,
        event["LogicalResourceId"],
        event["ResourceType"],
        Text(status, style=status_style(status)),
        event.get("ResourceStatusReason", ""),
    )


class StackEventsTable(DataTable):
    """The events of one stack (set `events`, newest first, as DescribeStackEvents returns them)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.events: list[dict[str, Any]] = []
        self._shown: list[str] = []

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)

    def show(self, events: list[dict[str, Any]]) -> None:
        """Show `events`; redraws only when they changed (the view refreshes while a deploy runs)."""
        ids = [e["EventId"] for e in events]
        if ids == self._shown:
            return
        self.events, self._shown = list(events), ids
        self.clear()
        for event in events:
            self.add_row(*event_row(event), key=event["EventId"])
