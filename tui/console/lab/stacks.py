"""`deploy TEMPLATE` and `export`: CloudFormation/SAM templates into the lab, and the lab as one."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.text import Text

from engine.errors import ServiceError

from ..render import records_table
from ..result import CommandResult
from ..timefmt import clock_text

if TYPE_CHECKING:
    from ..console import Console

DEPLOY_USAGE = (
    "deploy TEMPLATE [--stack-name NAME] [--parameter-overrides KEY=VALUE ...] "
    "[--tags KEY=VALUE ...] [--no-lint]"
)
EXPORT_USAGE = "export [--format sam|cloudformation] [--stack-name NAME] [--output-file FILE]"
_GOOD = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
#: Where the shipped demos (and their templates) live: `deploy templates/x.yaml` finds them.
DEMO_DIR = Path(__file__).resolve().parent.parent / "demos"


class _Args(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ValueError(message)


def _deploy_parser() -> _Args:
    parser = _Args(prog="deploy", add_help=False)
    parser.add_argument("template")
    parser.add_argument("--stack-name")
    parser.add_argument("--parameter-overrides", nargs="*", default=[])
    parser.add_argument("--tags", nargs="*", default=[])
    parser.add_argument("--no-lint", action="store_true")
    return parser


def _pairs(items: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{what} must be KEY=VALUE, not {item!r}")
        pairs[key] = value
    return pairs


def default_stack_name(path: Path) -> str:
    """A stack name from a template file's name (`order-pipeline.yaml` → `order-pipeline`)."""
    name = re.sub(r"[^A-Za-z0-9-]", "-", path.stem).strip("-") or "stack"
    return name if name[0].isalpha() else f"stack-{name}"


async def deploy(console: Console, args: list[str]) -> CommandResult:
    """Create or update a stack from a CloudFormation or SAM template file; show its events."""
    try:
        options = _deploy_parser().parse_args(args)
        parameters = _pairs(options.parameter_overrides, "--parameter-overrides")
        tags = _pairs(options.tags, "--tags")
    except ValueError as error:
        return CommandResult.fail(f"{error} (usage: {DEPLOY_USAGE})")
    path = Path(options.template).expanduser()
    if not path.exists() and not path.is_absolute() and (DEMO_DIR / path).exists():
        path = DEMO_DIR / path  # the templates the demos ship with
    try:
        body = path.read_text(encoding="utf-8")
    except OSError as error:
        return CommandResult.fail(
            f"deploy: cannot read {options.template}: {error.strerror or error}"
        )
    except UnicodeDecodeError:
        return CommandResult.fail(f"deploy: {options.template} is not a text file")
    name = options.stack_name or default_stack_name(path)
    engine = console.engine
    cfn: Any = engine.service("cloudformation")
    seen = len(cfn.store.find(name).events) if cfn.store.find(name) is not None else 0
    previous = engine.settings.get("cloudformation.lint")
    if options.no_lint:
        engine.settings["cloudformation.lint"] = "off"
    try:
        stack = await cfn.deploy_template(
            body, name, parameters, base=path.parent, tags=tags or None
        )
    except ServiceError as error:
        from ..console import format_service_error

        error.operation = error.operation or "CreateStack"
        return CommandResult.fail(format_service_error(error))
    finally:
        if options.no_lint:
            if previous is None:
                engine.settings.pop("cloudformation.lint", None)
            else:
                engine.settings["cloudformation.lint"] = previous
    events = stack.events[seen:] if stack.events and seen <= len(stack.events) else stack.events
    rows = [
        {
            "time": clock_text(e.timestamp)[11:19],
            "resource": e.logical_id,
            "type": e.type,
            "status": e.status,
            "reason": e.reason[:100],
        }
        for e in events
    ]
    parts: list[Any] = [records_table(rows, f"Stack {name}")]
    for warning in stack.warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    for output in stack.outputs:
        parts.append(Text(f"{output['OutputKey']} = {output['OutputValue']}"))
    value = {
        "StackName": name,
        "StackId": stack.stack_id,
        "StackStatus": stack.status,
        "Outputs": [dict(o) for o in stack.outputs],
        "Warnings": list(stack.warnings),
    }
    if stack.status not in _GOOD:
        failed = [e for e in events if e.status.endswith("_FAILED")]
        reason = failed[0].reason if failed else stack.status_reason
        result = CommandResult.fail(f"Stack {name} is {stack.status}: {reason}")
        result.output = Group(*parts)
        return result
    return CommandResult(ok=True, value=value, output=Group(*parts))


def _export_parser() -> _Args:
    parser = _Args(prog="export", add_help=False)
    parser.add_argument("--format", choices=("sam", "cloudformation"), default="sam")
    parser.add_argument("--stack-name")
    parser.add_argument("--output-file")
    return parser


async def export(console: Console, args: list[str]) -> CommandResult:
    """Write the lab (or one stack) as a SAM or CloudFormation template that deploys elsewhere."""
    from engine.services.cloudformation.export import export_template
    from engine.services.cloudformation.template import dump_yaml

    try:
        options = _export_parser().parse_args(args)
    except ValueError as error:
        return CommandResult.fail(f"{error} (usage: {EXPORT_USAGE})")
    code_dir = None
    if options.output_file:
        out = Path(options.output_file).expanduser()
        code_dir = out.parent / f"{out.stem}-code"
    try:
        template = await export_template(
            console.engine, options.format, options.stack_name, code_dir
        )
    except ServiceError as error:
        return CommandResult.fail(f"export: {error.message}")
    text = dump_yaml(template)
    if options.output_file:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as error:
            return CommandResult.fail(
                f"export: cannot write {options.output_file}: {error.strerror}"
            )
        count = len(template["Resources"])
        return CommandResult(
            ok=True,
            value=template,
            output=Text(f"Wrote {count} resources to {options.output_file} ({options.format})."),
        )
    return CommandResult(ok=True, value=template, output=Text(text))


def register(console: Console) -> None:
    """Register `deploy` and `export`."""
    console.register_command(
        "deploy",
        deploy,
        f"{DEPLOY_USAGE} — a CloudFormation or SAM template into the lab",
        ("--stack-name", "--parameter-overrides", "--tags", "--no-lint"),
    )
    console.register_command(
        "export",
        export,
        f"{EXPORT_USAGE} — the lab as a template for AWS",
        ("--format", "--stack-name", "--output-file"),
    )
