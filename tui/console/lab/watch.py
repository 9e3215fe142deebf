"""`watch` (follow a resource or the whole trace) and `trace` (one message's journey)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ..events import events_table
from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console

RECENT = 20


async def watch(console: Console, args: list[str]) -> CommandResult:
    """Follow a resource (or everything): recent events now, live ones where the front end can."""
    from ..console import WatchSpec

    if args == ["off"]:
        console.watching = None
        return CommandResult(ok=True, value={"watching": None}, output=Text("Stopped watching."))
    if len(args) > 1:
        return CommandResult.fail("usage: watch [RESOURCE | off]")
    spec = WatchSpec(args[0] if args else None)
    if spec.resource is not None and not _known(console, spec.resource):
        from ..parser import suggest

        names = [n.name for n in console.engine.topology().nodes]
        return CommandResult.fail(
            f"watch: no resource named '{spec.resource}'{suggest(spec.resource, names)}"
        )
    console.watching = spec
    recent = console.recorder.recent(RECENT, spec.accepts)
    what = spec.resource or "the whole lab"
    value = {"watching": spec.resource, "events": [e.as_dict() for e in recent]}
    note = " — live events follow; `watch off` stops" if console.live else ""
    if not recent:
        return CommandResult(
            ok=True, value=value, output=Text(f"Watching {what}: no events yet{note}.")
        )
    title = f"Watching {what}: last {len(recent)} event{'s' if len(recent) != 1 else ''}{note}"
    return CommandResult(ok=True, value=value, output=events_table(recent, title))


def _known(console: Console, resource: str) -> bool:
    topology = console.engine.topology()
    return topology.node(resource) is not None


async def trace(console: Console, args: list[str]) -> CommandResult:
    """One message's (or trace id's) journey across services, as a timeline."""
    if len(args) != 1:
        return CommandResult.fail("usage: trace MESSAGE-ID-OR-TRACE-ID")
    ident = args[0]
    events = console.recorder.journey(ident)
    if not events:
        return CommandResult.fail(f"trace: no recorded events for '{ident}'")
    value = [e.as_dict() for e in events]
    span = events[-1].time - events[0].time
    title = f"Journey of {ident}: {len(events)} events over {span:.3f}s"
    return CommandResult(ok=True, value=value, output=events_table(events, title))


def register(console: Console) -> None:
    """Register `watch` and `trace`."""
    console.register_command(
        "watch", watch, "watch [RESOURCE | off] — follow a resource or the whole trace", ("off",)
    )
    console.register_command(
        "trace", trace, "trace MESSAGE-OR-TRACE-ID — one message's journey as a timeline"
    )
