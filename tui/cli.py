"""The `pipework` command: the app by default, or repl, run, lessons, serve, -c."""

from __future__ import annotations

import argparse
import sys
from importlib import import_module
from typing import Any


def _version() -> str:
    # importlib.metadata costs ~50 ms to import: only `--version` pays for it.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pipework")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+source"


class _VersionAction(argparse.Action):
    """argparse's `version` action, with the version looked up only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(
            option_strings, dest, nargs=0, help="show program's version number and exit"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"pipework {_version()}")  # to stdout, as argparse's own version action does
        parser.exit()


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
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument(
        "-c", dest="command", metavar="COMMAND", help="run one console command and exit"
    )
    parser.add_argument(
        "--output", choices=["json", "table", "text", "yaml"], help="output format for -c"
    )
    _lab_options(parser, None)
    _outbound_option(parser)
    sub = parser.add_subparsers(dest="subcommand", metavar="COMMAND")

    app = sub.add_parser("app", help="open the Textual lab (the default)")
    _lab_options(app, argparse.SUPPRESS)
    _outbound_option(app)

    repl = sub.add_parser("repl", help="the interactive console (AWS CLI language)")
    _lab_options(repl, argparse.SUPPRESS)
    _outbound_option(repl)
    repl.add_argument("--virtual", action="store_true", help="run on a virtual clock")

    run = sub.add_parser("run", help="run a script of console commands; exit 0 if all held")
    run.add_argument("file", help="script file (one command per line, # comments, expect lines)")
    run.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only the commands' outputs (no echo, no summary line)",
    )
    # Echoing is the default now; --echo is still accepted for older scripts and docs.
    run.add_argument("--echo", action="store_true", help=argparse.SUPPRESS)
    run.add_argument("--real-time", action="store_true", help="run at human pace on the real clock")
    _lab_options(run, argparse.SUPPRESS)

    lessons = sub.add_parser("lessons", help="list the guided lessons with your progress")
    lessons.add_argument("--reset", action="store_true", help="forget all lesson progress")

    serve = sub.add_parser("serve", help="serve the lab to boto3 and the AWS CLI over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=4566, help="port (default 4566)")
    _lab_options(serve, argparse.SUPPRESS)
    _serve_security_options(serve)
    _outbound_option(serve)

    lab = sub.add_parser("lab", help="list or delete the labs kept with --lab NAME")
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)
    lab_sub.add_parser("list", help="every kept lab with its size and last checkpoint")
    delete = lab_sub.add_parser("delete", help="delete a kept lab")
    delete.add_argument("name", help="the lab's name")
    _stack_parsers(sub)
    return parser


def _lab_options(parser: argparse.ArgumentParser, default: object) -> None:
    """`--lab NAME` and `--durable`, on the main parser and on each way into a lab."""
    parser.add_argument(
        "--lab",
        metavar="NAME",
        default=default,
        help="open (or create) the lab NAME kept in the data folder; it is checkpointed every "
        "5 s when changed and on exit",
    )
    parser.add_argument(
        "--durable",
        action="store_true",
        default=default if default is not None else False,
        help="with --lab: every acknowledged write (SendMessage, PutRecord, PutItem, "
        "PutObject …) is journaled before the call returns and survives kill -9",
    )
    parser.add_argument(
        "--fsync",
        action="store_true",
        default=default if default is not None else False,
        help="with --lab: --durable, and fsync every journal commit (survives a power cut; "
        "much slower)",
    )


def _outbound_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-outbound",
        action="append",
        metavar="HOST",
        default=argparse.SUPPRESS,
        help="let the lab send requests (SNS HTTP/S, API Gateway HTTP, Firehose HTTP) to HOST "
        "beyond loopback (a name or glob; repeatable)",
    )


def _serve_security_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--allow-origin",
        action="append",
        metavar="ORIGIN",
        help="let browser pages from ORIGIN (e.g. http://localhost:3000, or *) call the lab; "
        "repeatable (cross-site requests are refused otherwise)",
    )
    serve.add_argument(
        "--verify-signatures",
        action="store_true",
        help="check each request's SigV4 signature against the lab's IAM access keys",
    )
    serve.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help="request log verbosity (info: one line per request, the default)",
    )
    serve.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    serve.add_argument("-q", "--quiet", action="count", default=0, help="less log output")


#: sub-command → "module:function" taking the parsed arguments and returning an exit status.
_ENTRY_POINTS = {
    "app": "tui.app.main:main",
    "repl": "tui.repl.main:main",
    "run": "tui.console.script:main",
    "lessons": "lessons.cli:main",
    "serve": "engine.wire.serve:main",
    "lab": "tui.labs:main",
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


def _stack_parsers(sub: argparse._SubParsersAction) -> None:
    """The `deploy` and `export` sub-commands."""
    deploy = sub.add_parser("deploy", help="deploy a CloudFormation or SAM template into a lab")
    deploy.add_argument("template", help="template file (YAML or JSON)")
    deploy.add_argument("--stack-name", help="stack name (default: the file's name)")
    deploy.add_argument("--parameter-overrides", nargs="*", metavar="KEY=VALUE", default=[])
    deploy.add_argument("--tags", nargs="*", metavar="KEY=VALUE", default=[])
    deploy.add_argument("--no-lint", action="store_true", help="skip cfn-lint")
    deploy.add_argument(
        "--lab", metavar="NAME", default=argparse.SUPPRESS, help="the kept lab to deploy into"
    )
    deploy.add_argument(
        "--lab-file", help="a saved lab file (save/open) to deploy into (created or updated)"
    )
    export = sub.add_parser("export", help="write a lab as a SAM or CloudFormation template")
    export.add_argument("--format", choices=["sam", "cloudformation"], default="sam")
    export.add_argument("--stack-name", help="only this stack's resources")
    export.add_argument("--output-file", help="write here (code folders beside it)")
    export.add_argument(
        "--lab", metavar="NAME", default=argparse.SUPPRESS, help="the kept lab to export"
    )
    export.add_argument("--lab-file", help="a saved lab file (save/open) to export")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `pipework` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    wants_journal = getattr(args, "durable", False) or getattr(args, "fsync", False)
    if wants_journal and getattr(args, "lab", None) is None:
        parser.error("--durable and --fsync need --lab NAME (the store the writes go to)")
    if args.command is not None:
        return _dispatch("command", args)
    return _dispatch(args.subcommand or "app", args)


if __name__ == "__main__":
    sys.exit(main())
