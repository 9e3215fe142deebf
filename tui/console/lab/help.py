"""`help [service [operation]]`: documentation from botocore's model, required options first."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from botocore import xform_name
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from engine.model import documentation, member_documentation, service_model
from engine.services import SERVICE_MODULES

from ..commands import GLOBAL_OPTIONS, SERVICE_ALIASES, arguments, operation_table, type_label
from ..docs import first_sentence, html_to_text
from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console


def emulated(service: str, operation: str) -> bool:
    """Whether Pipework's service implements `operation` (model name)."""
    try:
        cls = importlib.import_module(SERVICE_MODULES[service]).SERVICE
    except (ImportError, AttributeError, KeyError):
        return False
    return callable(getattr(cls, xform_name(operation), None))


def _overview(console: Console) -> CommandResult:
    services = Table(title="Services  (SERVICE OPERATION --option value …)")
    services.add_column("service", style="bold cyan")
    services.add_column("what it is")
    for name in console.services:
        model = service_model(name)
        title = model.metadata.get("serviceFullName", name)
        services.add_row(name, title)
    lab = Table(title="Lab commands")
    lab.add_column("command", style="bold green")
    lab.add_column("usage")
    for command in console.commands.values():
        usage, _, what = command.summary.partition(" — ")
        lab.add_row(command.name, f"{usage}  [dim]{what}[/dim]" if what else usage)
    hint = Text("help SERVICE lists operations; help SERVICE OPERATION shows options.", style="dim")
    value = {"services": list(console.services), "commands": list(console.commands)}
    return CommandResult(ok=True, value=value, output=Group(services, lab, hint))


def _service_help(service: str) -> CommandResult:
    table = Table(title=f"{service} operations")
    table.add_column("operation", style="bold cyan", no_wrap=True)
    table.add_column("what it does")
    rows = []
    for cli, op in sorted(operation_table(service).items()):
        doc = first_sentence(documentation(service, op))
        is_emulated = emulated(service, op)
        rows.append({"operation": cli, "emulated": is_emulated, "summary": doc})
        table.add_row(
            cli if is_emulated else f"[dim]{cli}[/dim]",
            doc if is_emulated else f"[dim](not emulated) {doc}[/dim]",
        )
    return CommandResult(ok=True, value=rows, output=table)


def operation_help(service: str, cli_op: str) -> tuple[dict, RenderableType]:
    """The help page of one operation as data and as a renderable."""
    op = operation_table(service)[cli_op]
    args = [a for a in arguments(service, op).values() if not a.negated]
    args.sort(key=lambda a: not a.required)
    synopsis = Text(f"{service} {cli_op}", style="bold")
    for arg in args:
        value_hint = "" if arg.is_flag else f" <{type_label(arg.shape).split(' ')[0]}>"
        piece = f" {arg.cli_name}{value_hint}" if arg.required else f" [{arg.cli_name}{value_hint}]"
        synopsis.append(piece, style="cyan" if arg.required else "")
    table = Table(title="Options (required first)")
    table.add_column("option", style="cyan", no_wrap=True)
    table.add_column("type")
    table.add_column("", style="bold red")
    table.add_column("description")
    rows = []
    for arg in args:
        spelled = f"{arg.cli_name} | --no-{arg.cli_name[2:]}" if arg.is_flag else arg.cli_name
        doc = first_sentence(member_documentation(service, op, arg.member), 200)
        table.add_row(spelled, type_label(arg.shape), "required" if arg.required else "", doc)
        rows.append(
            {
                "option": arg.cli_name,
                "type": type_label(arg.shape),
                "required": arg.required,
                "summary": doc,
            }
        )
    for name, what in GLOBAL_OPTIONS.items():
        table.add_row(f"[dim]{name}[/dim]", "[dim]global[/dim]", "", f"[dim]{what}[/dim]")
    description = html_to_text(documentation(service, op))
    parts: list[RenderableType] = [synopsis, Text(description)]
    if not emulated(service, op):
        parts.append(Text("Pipework does not emulate this operation yet.", style="yellow"))
    parts.append(table)
    value = {"service": service, "operation": cli_op, "description": description, "options": rows}
    return value, Group(*parts)


async def help_command(console: Console, args: list[str]) -> CommandResult:
    """Documentation of the console, a service, an operation or a lab command."""
    from ..parser import suggest

    if not args:
        return _overview(console)
    name = SERVICE_ALIASES.get(args[0], args[0])
    if name in console.commands and len(args) == 1:
        command = console.commands[name]
        return CommandResult(
            ok=True,
            value={"command": name, "summary": command.summary},
            output=Text(command.summary),
        )
    if name not in console.services:
        return CommandResult.fail(
            f"help: no service or command '{name}'{suggest(name, [*console.services, *console.commands])}"
        )
    words = console.subcommands.get(name, {})
    if len(args) == 1:
        result = _service_help(name)
        if words:  # lab words spoken after the service (`mq publish`), listed first
            lab = Table(title=f"{name} lab commands")
            lab.add_column("command", style="bold cyan", no_wrap=True)
            lab.add_column("what it does")
            for command in words.values():
                lab.add_row(command.name, command.summary)
            result.output = Group(lab, result.output)
        return result
    if len(args) > 2:
        return CommandResult.fail("usage: help [SERVICE [OPERATION]]")
    if args[1] in words:
        command = words[args[1]]
        return CommandResult(
            ok=True,
            value={"command": command.name, "summary": command.summary},
            output=Text(command.summary),
        )
    table = operation_table(name)
    if args[1] not in table:
        return CommandResult.fail(
            f"help: {name} has no operation '{args[1]}'{suggest(args[1], table)}"
        )
    value, output = operation_help(name, args[1])
    return CommandResult(ok=True, value=value, output=output)


def register(console: Console) -> None:
    """Register `help`."""
    console.register_command(
        "help", help_command, "help [SERVICE [OPERATION]] — documentation from the AWS model"
    )
