"""`memory`: what the lab holds — resident memory, messages, records, executions, timers."""

from __future__ import annotations

import gc
import os
import resource
from typing import TYPE_CHECKING

from rich.table import Table

from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console

USAGE = "memory [collect]"


def resident_bytes() -> int | None:
    """This process's resident memory now (Linux /proc), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def peak_resident_bytes() -> int:
    """The most resident memory this process has used (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_state(console: Console) -> dict:
    """Resident memory and the lab's holdings, as plain data."""
    state: dict = {"resident_bytes": resident_bytes(), "peak_resident_bytes": peak_resident_bytes()}
    state["holdings"] = console.engine.holdings()
    return state


def _mib(value: int | None) -> str:
    return "unknown" if value is None else f"{value / 1_048_576:.1f} MiB"


async def memory_command(console: Console, args: list[str]) -> CommandResult:
    """Show what the lab holds; `memory collect` runs the garbage collector first."""
    if args and args != ["collect"]:
        return CommandResult.fail(f"memory: unknown argument {' '.join(args)!r} — usage: {USAGE}")
    if args == ["collect"]:
        gc.collect()
    state = memory_state(console)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("resident", _mib(state["resident_bytes"]))
    table.add_row("peak", _mib(state["peak_resident_bytes"]))
    for kind, count in state["holdings"].items():
        table.add_row(kind, f"{count:,}")
    return CommandResult(ok=True, value=state, output=table)


def register(console: Console) -> None:
    """Register `memory`."""
    console.register_command(
        "memory",
        memory_command,
        f"{USAGE} — resident memory, messages, records, executions and timers the lab holds",
        ("collect",),
    )
