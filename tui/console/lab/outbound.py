"""`outbound`: which hosts beyond loopback the lab may send requests to for a caller."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console

USAGE = "usage: outbound | outbound allow HOST… | outbound deny HOST…"


async def outbound(console: Console, args: list[str]) -> CommandResult:
    """Show, allow or deny hosts beyond loopback for SNS, API Gateway and Firehose requests."""
    policy = console.engine.outbound
    if args and args[0] in ("allow", "deny") and len(args) > 1:
        for host in args[1:]:
            if args[0] == "allow":
                policy.allow(host)
            elif not policy.deny(host):
                return CommandResult.fail(f"outbound: {host} was not allowed")
    elif args:
        return CommandResult.fail(USAGE)
    allowed = list(policy.allowed)
    text = "The lab sends requests to loopback"
    text += (
        f" and to {', '.join(allowed)}." if allowed else " only (outbound allow HOST opens one)."
    )
    return CommandResult(value={"loopback": True, "allowed": allowed}, output=Text(text))


def register(console: Console) -> None:
    """Add `outbound` to the console."""
    console.register_command(
        "outbound",
        outbound,
        f"{USAGE} — hosts beyond loopback the lab may reach (SNS HTTP/S, API Gateway, Firehose)",
        ("allow", "deny"),
    )
