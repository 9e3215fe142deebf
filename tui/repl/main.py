"""`pipework repl`: the interactive console, or a script when stdin is not a terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys


async def _interactive(virtual: bool, outbound: tuple[str, ...] = ()) -> int:
    from engine import Engine, RealClock, VirtualClock
    from tui.console.paths import data_dir

    from .session import Repl
    from .settings import Settings

    directory = data_dir()
    settings = Settings.load(directory / "settings.json")
    if not (directory / "settings.json").exists():
        settings.save(directory / "settings.json")
    clock = VirtualClock() if virtual else RealClock(speed=settings.speed)
    async with Engine(clock=clock) as engine:
        for host in outbound:
            engine.outbound.allow(host)
        repl = Repl(engine, settings, directory)
        return await repl.run(directory / "history")


def main(args: argparse.Namespace) -> int:
    """Start the REPL on a real clock (or `--virtual`); read a script from a pipe."""
    if not sys.stdin.isatty():
        from tui.console.script import run_script

        text = sys.stdin.read()
        return asyncio.run(run_script(text, name="<stdin>", output=getattr(args, "output", None)))
    try:
        outbound = tuple(getattr(args, "allow_outbound", None) or ())
        return asyncio.run(_interactive(bool(getattr(args, "virtual", False)), outbound))
    except KeyboardInterrupt:
        return 130
