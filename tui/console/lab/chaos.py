"""`chaos`: the engine's fault injection (duplicates, reordering, latency, failures, throttling)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text

from engine.faults import FAULT_EFFECTS, FAULT_NAMES, check_fault

from ..render import records_table
from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console

USAGE = (
    f"chaos [{'|'.join(FAULT_NAMES)} RATE [--resource NAME]] | chaos off [--resource NAME]"
    " | chaos kinds | chaos broker-down|broker-up CLUSTER BROKER_ID"
)
#: `chaos broker-down CLUSTER N` / `chaos broker-up CLUSTER N`: fail a simulated MSK broker.
BROKER_WORDS = ("broker-down", "broker-up")


async def _broker(console: Console, args: list[str]) -> CommandResult:
    """Fail or restore one simulated broker of an MSK cluster: leaders move, ISRs shrink."""
    if len(args) != 3 or not args[2].isdigit():
        return CommandResult.fail(f"usage: chaos {args[0]} CLUSTER BROKER_ID")
    service = console.engine.service("kafka")
    cluster = service.resolve(args[1])
    under = service.set_broker_down(cluster, int(args[2]), args[0] == "broker-down")
    rows = [
        {
            "Topic": p.topic,
            "Partition": p.index,
            "Leader": p.leader,
            "Replicas": p.replicas,
            "Isr": p.isr,
        }
        for p in under
    ]
    state = "down" if args[0] == "broker-down" else "back up"
    if not rows:
        return CommandResult(
            ok=True,
            value=[],
            output=Text(
                f"broker {args[2]} of {cluster.name} is {state}; no partition is under-replicated"
            ),
        )
    return CommandResult(
        ok=True,
        value=rows,
        output=records_table(
            rows, f"broker {args[2]} of {cluster.name} is {state}: under-replicated partitions"
        ),
    )


def _kinds() -> list[dict]:
    """What each fault kind does to each resource type (the rest ignore it)."""
    return [
        {"fault": kind, "resource type": rtype, "effect": effect}
        for kind, effects in FAULT_EFFECTS.items()
        for rtype, effect in effects.items()
    ]


def _split_resource(args: list[str]) -> tuple[list[str], str | None]:
    if "--resource" in args:
        index = args.index("--resource")
        if index + 1 >= len(args):
            raise ValueError("--resource needs a name (or a glob such as 'orders*')")
        resource = args[index + 1]
        return args[:index] + args[index + 2 :], resource
    return args, None


def _policies(console: Console) -> list[dict]:
    return [
        {"resource": resource, **policy.as_dict()}
        for resource, policy in console.engine.faults.policies().items()
    ]


async def chaos(console: Console, args: list[str]) -> CommandResult:
    """Show, set or clear fault injection."""
    if args and args[0] in BROKER_WORDS:
        return await _broker(console, args)
    faults = console.engine.faults
    try:
        rest, resource = _split_resource(args)
    except ValueError as error:
        return CommandResult.fail(f"chaos: {error}")
    kinds = records_table(_kinds(), "What each fault does (other resource types ignore it)")
    if rest == ["kinds"] and resource is None:
        return CommandResult(ok=True, value=_kinds(), output=kinds)
    if not rest:
        if resource is not None:
            return CommandResult.fail(f"usage: {USAGE}")
        value = _policies(console)
        if not value:
            return CommandResult(
                ok=True, value=[], output=Group(Text("No faults injected."), kinds)
            )
        return CommandResult(
            ok=True, value=value, output=Group(records_table(value, "Faults"), kinds)
        )
    if rest == ["off"]:
        faults.clear(resource)
        value = _policies(console)
        return CommandResult(
            ok=True,
            value=value,
            output=Text("Faults off" + (f" for {resource}." if resource else ".")),
        )
    if len(rest) == 1 and rest[0] in FAULT_NAMES:
        amount = "SECONDS" if rest[0] == "latency" else "RATE (0 to 1)"
        return CommandResult.fail(f"usage: chaos {rest[0]} {amount} [--resource NAME]")
    if len(rest) != 2 or rest[0] not in FAULT_NAMES:
        from ..parser import suggest

        hint = suggest(rest[0], FAULT_NAMES) if rest else ""
        return CommandResult.fail(f"usage: {USAGE}{hint}")
    name, raw_rate = rest
    try:
        rate = float(raw_rate)
    except ValueError:
        return CommandResult.fail(f"chaos: {name} needs a number, got '{raw_rate}'")
    try:
        if rate and resource and not any(c in resource for c in "*?["):
            arn = _arn_of(console, resource)
            if arn is not None:
                check_fault(name, arn)
        policy = faults.configure(resource or "*", **{name: rate})
    except ValueError as error:
        return CommandResult.fail(f"chaos: {error}")
    value = {"resource": resource or "*", **policy.as_dict()}
    unit = "s" if name == "latency" else ""
    text = Text(f"chaos: {name} {rate:g}{unit} on {resource or 'every resource'}")
    if resource and not any(c in resource for c in "*?[") and not _exists(console, resource):
        # Setting faults before creating the resource is fine; a typo should not go unnoticed.
        text.append(
            f"\n(no resource named {resource} yet: the fault applies once it exists)", "dim"
        )
    return CommandResult(ok=True, value=value, output=text)


def _exists(console: Console, resource: str) -> bool:
    nodes = console.engine.topology().nodes
    return any(resource in (node.name, node.id) for node in nodes)


def _arn_of(console: Console, resource: str) -> str | None:
    """The ARN of the resource a name (or ARN) names, if the lab has it."""
    if resource.startswith("arn:"):
        return resource
    for node in console.engine.topology().nodes:
        if resource == node.name and node.id.startswith("arn:"):
            return node.id
    return None


def register(console: Console) -> None:
    """Register `chaos`."""
    console.register_command(
        "chaos",
        chaos,
        f"{USAGE} — inject faults AWS documents can happen (chaos kinds: what each does where)",
        (*FAULT_NAMES, "off", "kinds", "--resource", *BROKER_WORDS),
    )
