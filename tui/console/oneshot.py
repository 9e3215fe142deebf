"""`pipework -c "command"`: run one command (or several separated by `;`) and exit."""

from __future__ import annotations

import argparse
import asyncio
import sys


def main(args: argparse.Namespace) -> int:
    """Run `args.command` in a fresh lab on a virtual clock; exit 0 if every command succeeded."""
    from .script import run_script
    from .tokens import split_commands

    commands = split_commands(args.command)
    text = "\n".join(commands)
    from .script import LAB_ERRORS

    try:
        return asyncio.run(
            run_script(
                text,
                name="-c",
                output=getattr(args, "output", None),
                lab=getattr(args, "lab", None),
                durable=bool(getattr(args, "durable", False)),
                fsync=bool(getattr(args, "fsync", False)),
            )
        )
    except LAB_ERRORS as error:  # a bad lab name or store
        print(f"pipework: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover - convenience for `python -m`
    sys.exit(main(argparse.Namespace(command=" ".join(sys.argv[1:]), output=None)))
