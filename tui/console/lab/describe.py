"""`describe`: a resource's place in the topology — its counters and its connections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text

from ..events import short_name
from ..render import key_value_table, records_table
from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console


async def describe(console: Console, args: list[str]) -> CommandResult:
    """Show one resource (or, with no name, every resource) and its connections."""
    topology = console.engine.topology()
    if not args:
        rows = [
            {
                "kind": n.kind,
                "name": n.name,
                "service": n.service,
                **{k: v for k, v in n.counters.items()},
            }
            for n in topology.nodes
        ]
        if not rows:
            return CommandResult(ok=True, value=[], output=Text("The lab is empty."))
        return CommandResult(
            ok=True, value=topology.as_dict(), output=records_table(rows, "Resources")
        )
    if len(args) != 1:
        return CommandResult.fail("usage: describe [RESOURCE]")
    node = topology.node(args[0])
    if node is None:
        from ..parser import suggest

        names = [n.name for n in topology.nodes]
        return CommandResult.fail(
            f"describe: no resource named '{args[0]}'{suggest(args[0], names)}"
        )
    edges = topology.neighbours(node.id)
    value = {
        "id": node.id,
        "kind": node.kind,
        "name": node.name,
        "service": node.service,
        "parent": node.parent,
        "counters": dict(node.counters),
        "connections": [
            {
                "direction": "out" if e.source == node.id else "in",
                "kind": e.kind,
                "peer": e.target if e.source == node.id else e.source,
                "label": e.label,
                **dict(e.counters),
            }
            for e in edges
        ],
    }
    parts = [Text.assemble((f"{node.kind} ", "bold"), (node.name, "bold cyan"), f"  {node.id}")]
    if node.counters:
        parts.append(key_value_table(node.counters, "Counters", ("counter", "value")))
    if value["connections"]:
        rows = [
            {
                "": "→" if c["direction"] == "out" else "←",
                "kind": c["kind"],
                "peer": short_name(c["peer"]),
                "label": c["label"],
            }
            for c in value["connections"]
        ]
        parts.append(records_table(rows, "Connections"))
    else:
        parts.append(Text("No connections.", style="dim"))
    return CommandResult(ok=True, value=value, output=Group(*parts))


def register(console: Console) -> None:
    """Register `describe`."""
    console.register_command(
        "describe", describe, "describe [RESOURCE] — a resource, its counters and connections"
    )
