"""`outbox`: what SNS delivered to email, SMS and mobile push endpoints in the lab."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from rich.text import Text

from ..render import jsonable, records_table
from ..result import CommandResult
from ..timefmt import clock_text

if TYPE_CHECKING:
    from ..console import Console


def _outbox(console: Console) -> Any | None:
    for service in console.engine.started_services():
        if service.name == "sns":
            return getattr(service, "outbox", None)
    return None


async def outbox(console: Console, args: list[str]) -> CommandResult:
    """Show SNS's deliveries to people (email, SMS, push), newest last (`--full`: whole messages)."""
    full = "--full" in args
    args = [a for a in args if a != "--full"]
    if len(args) > 1:
        return CommandResult.fail("usage: outbox [PROTOCOL-OR-ENDPOINT] [--full]")
    box = _outbox(console)
    if box is None:
        return CommandResult(
            ok=True,
            value=[],
            output=Text("The outbox is empty (nothing delivered to email, SMS or push)."),
        )
    items = box() if callable(box) else box
    entries = [_entry(item) for item in (items.values() if isinstance(items, dict) else items)]
    if args:
        wanted = args[0]
        entries = [e for e in entries if isinstance(e, dict) and wanted in map(str, e.values())]
    if not entries:
        return CommandResult(ok=True, value=[], output=Text("The outbox is empty."))
    if all(isinstance(e, dict) for e in entries):
        rows = [
            {
                "time": str(e.get("time", ""))[11:19],
                "protocol": e.get("protocol", ""),
                "to": e.get("endpoint", ""),
                "subject": e.get("subject", ""),
                "message": str(e.get("message", ""))
                if full
                else _shorten(str(e.get("message", "")), 120),
            }
            for e in entries
        ]
        return CommandResult(ok=True, value=entries, output=records_table(rows, "Outbox"))
    from ..render import as_json

    return CommandResult(ok=True, value=entries, output=as_json(entries))


def _entry(item: Any) -> Any:
    """One outbox message as plain data, its time as the console shows times."""
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        data = dataclasses.asdict(item)
    elif isinstance(item, dict):
        data = dict(item)
    else:
        return jsonable(item)
    if isinstance(data.get("time"), (int, float)):
        data["time"] = clock_text(data["time"])
    return jsonable({k: v for k, v in data.items() if v not in (None, "")})


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def register(console: Console) -> None:
    """Register `outbox`."""
    console.register_command(
        "outbox",
        outbox,
        "outbox [FILTER] [--full] — what SNS sent to email, SMS and push",
        ("--full",),
    )
