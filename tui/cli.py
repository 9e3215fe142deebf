"""The `pipework` command: the app by default, or repl, run, lessons, serve, -c."""

from __future__ import annotations

import argparse
import sys
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    try:
        return version("pipework")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+source"


def build_parser() -> argparse.ArgumentParser:
    """The command line: global options plus one sub-command per way in."""
    parser = argparse.ArgumentParser(
        prog="pipework",
        description=(
            "A terminal lab for application integration: SQS, SNS, EventBridge, Kinesis, "
            "Firehose, Step Functions, API Gateway and Lambda, emulated in one process. "
            "With no command, opens the Textual app."
        ),
    )
    parser.add_argument("--version", action="version", version=f"pipework {_version()}")
    parser.add_argument(
        "-c", dest="command", metavar="COMMAND", help="run one console command and exit"
    )
    parser.add_argument(
        "--output", choices=["json", "table", "text", "yaml"], help="output format for -c"
    )
    sub = parser.add_subparsers(dest="subcommand", metavar="COMMAND")

    sub.add_parser("app", help="open the Textual lab (the default)")

    repl = sub.add_parser("repl", help="the interactive console (AWS CLI language)")
    repl.add_argument("--virtual", action="store_true", help="run on a virtual clock")

    run = sub.add_parser("run", help="run a script of console commands; exit 0 if all held")
    run.add_argument("file", help="script file (one command per line, # comments, expect lines)")
    run.add_argument("--echo", action="store_true", help="print each command before its result")
    run.add_argument("--real-time", action="store_true", help="run at human pace on the real clock")

    lessons = sub.add_parser("lessons", help="list the guided lessons with your progress")
    lessons.add_argument("--reset", action="store_true", help="forget all lesson progress")

    serve = sub.add_parser("serve", help="serve the lab to boto3 and the AWS CLI over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=4566, help="port (default 4566)")

    from tui.console.stacks_cli import add_parsers

    add_parsers(sub)
    return parser


#: sub-command → "module:function" taking the parsed arguments and returning an exit status.
_ENTRY_POINTS = {
    "app": "tui.app.main:main",
    "repl": "tui.repl.main:main",
    "run": "tui.console.script:main",
    "lessons": "lessons.cli:main",
    "serve": "engine.wire.serve:main",
    "command": "tui.console.oneshot:main",
    "deploy": "tui.console.stacks_cli:deploy_main",
    "export": "tui.console.stacks_cli:export_main",
}


def _dispatch(key: str, args: argparse.Namespace) -> int:
    module_name, function_name = _ENTRY_POINTS[key].split(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith(module_name.split(".")[0]):
            print(f"pipework: '{key}' is not available in this build", file=sys.stderr)
            return 2
        raise
    return int(getattr(module, function_name)(args) or 0)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `pipework` console script."""
    args = build_parser().parse_args(argv)
    if args.command is not None:
        return _dispatch("command", args)
    return _dispatch(args.subcommand or "app", args)


if __name__ == "__main__":
    sys.exit(main())
