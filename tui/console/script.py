"""Scripts: one command per line, `#` comments, `expect` checks — run on a virtual clock."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from typing import TextIO

from .tokens import is_complete, join_continued


def iter_commands(text: str) -> Iterator[tuple[int, str]]:
    """(line number, command) for each command of a script; multi-line values joined."""
    pending: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not pending:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            first = number
        pending.append(line)
        joined = "\n".join(pending)
        if is_complete(joined):
            yield first, join_continued(joined).strip()
            pending = []
    if pending:
        yield first, join_continued("\n".join(pending)).strip()


async def run_script(
    text: str,
    *,
    name: str = "<script>",
    echo: bool = False,
    real_time: bool = False,
    output: str | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    lab: str | None = None,
    durable: bool = False,
    fsync: bool = False,
) -> int:
    """Run every command of `text` in a fresh lab; 0 when all succeeded and every expect held.

    With `echo` (`pipework run`'s default) each command is printed before its output and a
    summary line ends the run (`12 commands, 8 expects held`); without it, only the outputs.
    """
    from rich.console import Console as RichConsole
    from rich.markup import escape

    from engine import Engine, RealClock, VirtualClock

    from .console import Console
    from .render import PlainOutput

    out = RichConsole(file=stdout or sys.stdout, highlight=False, soft_wrap=True)
    err = RichConsole(file=stderr or sys.stderr, highlight=False, soft_wrap=True)
    from engine.persistence.keeper import kept

    clock = RealClock() if real_time else VirtualClock()
    async with Engine(clock=clock) as engine, kept(engine, lab, durable=durable, fsync=fsync):
        console = Console(engine, output=output)
        tally = ScriptTally()
        try:
            for number, command in iter_commands(text):
                if echo:
                    out.print(f"[bold green]$[/] {escape(command)}")
                if isinstance(clock, VirtualClock):
                    result = await clock.run(console.execute(command))
                else:
                    result = await console.execute(command)
                if isinstance(result.output, PlainOutput):
                    out.file.write(result.output.text)  # tabs kept, as the AWS CLI writes them
                elif result.output is not None:
                    out.print(result.output)
                tally.count(command, result.ok)
                if not result.ok:
                    err.print(
                        f"[bold red]{escape(name)}:{number}:[/] {escape(result.error or 'failed')}"
                    )
                    if echo:
                        out.print(f"[bold red]{escape(tally.summary(stopped_at=number))}[/]")
                    return 1
                if result.exit:
                    break
        finally:
            console.close()
    if echo:
        out.print(f"[bold green]{escape(tally.summary())}[/]")
    return 0


class ScriptTally:
    """Counts a script's commands and its expects, for the summary line."""

    def __init__(self) -> None:
        self.commands = 0
        self.expects_held = 0
        self.expects_failed = 0

    def count(self, command: str, ok: bool) -> None:
        """Count one finished command (an `expect` or `expect-error` counts as a check too)."""
        self.commands += 1
        if command.split(maxsplit=1)[0] in ("expect", "expect-error"):
            if ok:
                self.expects_held += 1
            else:
                self.expects_failed += 1

    def summary(self, stopped_at: int | None = None) -> str:
        """`12 commands, 8 expects held` (and where a failing run stopped)."""
        text = f"{_plural(self.commands, 'command')}, {_plural(self.expects_held, 'expect')} held"
        if self.expects_failed:
            text += f", {self.expects_failed} failed"
        return text if stopped_at is None else f"stopped at line {stopped_at}: {text}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _lab_errors() -> tuple[type[Exception], ...]:
    from engine.persistence.jsonstream import FileFormatError
    from engine.persistence.store import StoreError

    return (StoreError, FileFormatError)


LAB_ERRORS = _lab_errors()


def main(args: argparse.Namespace) -> int:
    """`pipework run FILE [--quiet] [--real-time]`."""
    path = args.file
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as error:
        print(f"pipework run: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"pipework run: {path} is not UTF-8 text", file=sys.stderr)
        return 2
    try:
        return asyncio.run(
            run_script(
                text,
                name=path,
                echo=not getattr(args, "quiet", False),
                real_time=bool(getattr(args, "real_time", False)),
                output=getattr(args, "output", None),
                lab=getattr(args, "lab", None),
                durable=bool(getattr(args, "durable", False)),
                fsync=bool(getattr(args, "fsync", False)),
            )
        )
    except LAB_ERRORS as error:  # a bad lab name or store
        print(f"pipework run: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pipework run: interrupted", file=sys.stderr)
        return 130
