"""`pipework deploy` and `pipework export` from the shell, into a kept lab (`--lab NAME`) or a lab file."""

from __future__ import annotations

import argparse
import asyncio
import shlex
from pathlib import Path


def _script(lab: str | None, command: str) -> str:
    """The console commands: open the lab file (if it exists), run `command`, save it back."""
    lines = []
    if lab and Path(lab).expanduser().exists():
        lines.append(f"open {shlex.quote(lab)}")
    lines.append(command)
    if lab:
        lines.append(f"save {shlex.quote(lab)}")
    return "\n".join(lines)


def _run(text: str, name: str, lab: str | None = None) -> int:
    from .script import run_script

    try:
        return asyncio.run(run_script(text, name=name, lab=lab))
    except KeyboardInterrupt:
        return 130


def deploy_main(args: argparse.Namespace) -> int:
    """`pipework deploy TEMPLATE …`: exit 0 when the stack reached CREATE/UPDATE_COMPLETE."""
    words = ["deploy", args.template]
    if args.stack_name:
        words += ["--stack-name", args.stack_name]
    if args.parameter_overrides:
        words += ["--parameter-overrides", *args.parameter_overrides]
    if args.tags:
        words += ["--tags", *args.tags]
    if args.no_lint:
        words.append("--no-lint")
    return _run(_script(args.lab_file, shlex.join(words)), "deploy", getattr(args, "lab", None))


def export_main(args: argparse.Namespace) -> int:
    """`pipework export …`: print or write a kept lab (or a lab file) as a template."""
    words = ["export", "--format", args.format]
    if args.stack_name:
        words += ["--stack-name", args.stack_name]
    if args.output_file:
        words += ["--output-file", args.output_file]
    lab = args.lab_file
    if lab and not Path(lab).expanduser().exists():
        print(f"pipework export: no lab file {lab}")
        return 2
    text = "\n".join(([f"open {shlex.quote(lab)}"] if lab else []) + [shlex.join(words)])
    return _run(text, "export", getattr(args, "lab", None))
