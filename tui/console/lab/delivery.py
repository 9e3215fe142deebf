"""`delivery realistic|ideal`: whether standard queues show their at-least-once, best-effort order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from engine.services.sqs.service import REALISTIC_SETTING

from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console

USAGE = "delivery [realistic|ideal]"


async def delivery(console: Console, args: list[str]) -> CommandResult:
    """Show or choose how standard queues deliver."""
    settings = console.engine.settings
    if len(args) > 1 or (args and args[0] not in ("realistic", "ideal")):
        return CommandResult.fail(f"usage: {USAGE}")
    if args:
        settings[REALISTIC_SETTING] = args[0] == "realistic"
    realistic = bool(settings.get(REALISTIC_SETTING))
    text = (
        "Standard queues deliver realistically: now and then a message twice, or out of order"
        " (seeded, so the lab replays the same way)."
        if realistic
        else "Standard queues deliver ideally: once each, in send order (FIFO queues always do)."
    )
    return CommandResult(
        ok=True, value={"delivery": "realistic" if realistic else "ideal"}, output=Text(text)
    )


def register(console: Console) -> None:
    """Register `delivery`."""
    console.register_command(
        "delivery",
        delivery,
        "delivery realistic|ideal — standard queues with occasional duplicates and reordering",
        ("realistic", "ideal"),
    )
