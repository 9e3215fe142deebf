"""`pipework repl`: the interactive console, or a script when stdin is not a terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys


async def _interactive(
    virtual: bool,
    lab: str | None = None,
    durable: bool = False,
    fsync: bool = False,
    outbound: tuple[str, ...] = (),
) -> int:
    from engine import Engine, RealClock, VirtualClock
    from engine.persistence.keeper import kept
    from tui.console.paths import data_dir

    from .session import Repl
    from .settings import Settings

    directory = data_dir()
    settings = Settings.load(directory / "settings.json")
    if not (directory / "settings.json").exists():
        settings.save(directory / "settings.json")
    clock = VirtualClock() if virtual else RealClock(speed=settings.speed)
    async with Engine(clock=clock) as engine, kept(engine, lab, durable=durable, fsync=fsync):
        for host in outbound:
            engine.outbound.allow(host)
        repl = Repl(engine, settings, directory)
        return await repl.run(directory / "history")


def main(args: argparse.Namespace) -> int:
    """Start the REPL on a real clock (or `--virtual`); read a script from a pipe."""
    if not sys.stdin.isatty():
        from tui.console.script import run_script

        text = sys.stdin.read()
        return asyncio.run(
            run_script(
                text,
                name="<stdin>",
                output=getattr(args, "output", None),
                lab=getattr(args, "lab", None),
                durable=bool(getattr(args, "durable", False)),
                fsync=bool(getattr(args, "fsync", False)),
            )
        )
    try:
        return asyncio.run(
            _interactive(
                bool(getattr(args, "virtual", False)),
                getattr(args, "lab", None),
                bool(getattr(args, "durable", False)),
                bool(getattr(args, "fsync", False)),
                tuple(getattr(args, "allow_outbound", None) or ()),
            )
        )
    except KeyboardInterrupt:
        return 130
