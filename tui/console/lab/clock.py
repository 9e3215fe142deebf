"""`clock`: show simulated time, pause, resume, change speed, advance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from ..result import CommandResult
from ..timefmt import clock_text, format_duration, parse_duration

if TYPE_CHECKING:
    from ..console import Console

USAGE = "clock [show | now [+DURATION] | pause | resume | speed N | advance DURATION]"


def clock_state(console: Console) -> dict:
    """The clock as plain data."""
    clock = console.engine.clock
    return {
        "time": clock_text(clock.now()),
        "epoch": round(clock.now(), 3),
        "kind": "virtual" if type(clock).__name__ == "VirtualClock" else "real",
        "paused": clock.paused,
        "speed": clock.speed,
        "pending_timers": clock.pending_timers(),
    }


def _show(console: Console, note: str = "") -> CommandResult:
    state = clock_state(console)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("time", state["time"])
    if state["kind"] == "virtual":
        table.add_row("clock", "virtual (moves only when advanced)")
    else:
        table.add_row("clock", "paused" if state["paused"] else f"running at {state['speed']:g}×")
    table.add_row("timers", str(state["pending_timers"]))
    if note:
        table.add_row("", note)
    return CommandResult(ok=True, value=state, output=table)


def _now(epoch: float, args: list[str]) -> CommandResult:
    """`clock now [+DURATION] [--schedule]`: the lab's time (plus a duration) for scripts.

    ISO 8601 in UTC (`START=$(clock now)`), or as an EventBridge Scheduler one-time expression
    with `--schedule` (`at(2026-01-01T00:05:00)`, which takes no zone suffix).
    """
    from datetime import UTC, datetime

    schedule = "--schedule" in args
    rest = [a for a in args if a != "--schedule"]
    if len(rest) > 1 or (rest and not rest[0].startswith("+")):
        return CommandResult.fail("usage: clock now [+DURATION] [--schedule]")
    if rest:
        try:
            epoch += parse_duration(rest[0][1:])
        except ValueError as error:
            return CommandResult.fail(f"clock now: {error}")
    moment = datetime.fromtimestamp(epoch, UTC)
    text = (
        f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"
        if schedule
        else moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    return CommandResult(ok=True, value=text, output=Text(text))


async def clock_command(console: Console, args: list[str]) -> CommandResult:
    """Show or control the lab's clock."""
    clock = console.engine.clock
    action = args[0] if args else "show"
    rest = args[1:]
    is_virtual = type(clock).__name__ == "VirtualClock"
    if action == "show" and not rest:
        return _show(console)
    if action == "now":
        return _now(clock.now(), rest)
    if action == "advance" and len(rest) == 1:
        try:
            seconds = parse_duration(rest[0])
        except ValueError as error:
            return CommandResult.fail(f"clock advance: {error}")
        if seconds > 10 * 365 * 86400:
            return CommandResult.fail("clock advance: at most 10 years at a time")
        await clock.advance(seconds)
        return _show(console, f"advanced {format_duration(seconds)}")
    if action in ("pause", "resume") and not rest:
        if is_virtual:
            return CommandResult.fail(
                f"clock {action}: the virtual clock only moves when advanced (use clock advance)"
            )
        getattr(clock, action)()
        return _show(console)
    if action == "speed" and len(rest) == 1:
        if is_virtual:
            return CommandResult.fail(
                "clock speed: the virtual clock has no speed (use clock advance)"
            )
        try:
            speed = float(rest[0].rstrip("x×"))
        except ValueError:
            return CommandResult.fail(f"clock speed: expected a number, got '{rest[0]}'")
        if not 0 < speed <= 10_000 or speed != speed:
            return CommandResult.fail("clock speed: choose a speed above 0 and at most 10000")
        clock.set_speed(speed)
        return _show(console)
    if action == "advance":
        return CommandResult.fail("usage: clock advance DURATION (e.g. 30s, 5m, 2h, 1d)")
    if action == "speed":
        return CommandResult.fail("usage: clock speed N (e.g. clock speed 10)")
    from ..parser import suggest

    actions = ("show", "pause", "resume", "speed", "advance")
    hint = "" if action in actions else suggest(action, actions)
    return CommandResult.fail(f"usage: {USAGE}{hint}")


def register(console: Console) -> None:
    """Register `clock`."""
    console.register_command(
        "clock",
        clock_command,
        f"{USAGE} — show or control simulated time",
        ("show", "now", "pause", "resume", "speed", "advance"),
    )
