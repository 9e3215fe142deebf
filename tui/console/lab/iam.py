"""`iam enforce [on|off]` (the lab's permission switch) and `why` (why a request was refused)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from engine.services.iam.authorizer import ENFORCE_SETTING, Denial

from ..result import CommandResult
from ..timefmt import clock_text

if TYPE_CHECKING:
    from ..console import Console

ENFORCE_USAGE = "iam enforce on|off (no word: show)"
WHY_USAGE = "why [MESSAGE-ID|ARN|NAME]"


async def enforce(console: Console, args: list[str]) -> CommandResult:
    """Show or flip IAM enforcement."""
    settings = console.engine.settings
    if len(args) > 1 or (args and args[0] not in ("on", "off")):
        return CommandResult.fail(f"usage: {ENFORCE_USAGE}")
    if args:
        settings[ENFORCE_SETTING] = args[0] == "on"
    state = "on" if settings.get(ENFORCE_SETTING) else "off"
    detail = (
        "deliveries, role-based tasks and keyed callers are checked against IAM policies"
        if state == "on"
        else "everything is allowed, as if every policy allowed it"
    )
    return CommandResult(
        ok=True,
        value={"enforce": state == "on"},
        output=Text(f"IAM enforcement is {state}: {detail}."),
    )


def _find(console: Console, what: str) -> Denial | None:
    iam = console.engine.service("iam")
    denials: list[Denial] = list(iam.authorizer.denials)  # type: ignore[attr-defined]
    arn = _arn_for(console, what)
    for denial in reversed(denials):
        if what in (denial.message_id, denial.resource, denial.source, denial.principal):
            return denial
        if arn is not None and arn in (denial.resource, denial.source):
            return denial
    # A message id: the refusal is on its journey (same trace id), perhaps a hop further on.
    traces = {e.trace_id for e in console.recorder.journey(what) if e.trace_id}
    for denial in reversed(denials):
        if denial.trace_id is not None and denial.trace_id in traces:
            return denial
    return None


def _arn_for(console: Console, name: str) -> str | None:
    for node in console.engine.topology().nodes:
        if node.name == name or node.id == name:
            return node.id
    return None


def explain(denial: Denial, when: str) -> str:
    """One paragraph, in the IAM policy simulator's terms."""
    decision = denial.decision
    source = f" (from {denial.source})" if denial.source else ""
    text = (
        f"At {when}, {denial.principal}{source} was refused {denial.action} on "
        f"{denial.resource}. Decision: {decision.verdict}"
    )
    if decision.verdict == "explicitDeny" and decision.deciding is not None:
        text += f" — {decision.deciding.describe()} denies it, and an explicit deny always wins."
        return text
    text += f" — {decision.explain()}."
    if denial.principal.endswith(".amazonaws.com"):
        condition = ""
        if denial.source:
            condition = (
                f' with "Condition": {{"ArnEquals": {{"aws:SourceArn": "{denial.source}"}}}}'
            )
        text += (
            f" A service principal is judged by the target's resource policy alone: add a "
            f'statement allowing "Principal": {{"Service": "{denial.principal}"}} to do '
            f'"{denial.action}" on "{denial.resource}"{condition}.'
        )
    else:
        text += (
            f" Allow {denial.action} on {denial.resource} in an identity policy of "
            f"{denial.principal} (or in the resource's policy)."
        )
    return text


async def why(console: Console, args: list[str]) -> CommandResult:
    """Explain the latest refusal (that involves a message id, an ARN or a resource name)."""
    if len(args) > 1:
        return CommandResult.fail(f"usage: {WHY_USAGE}")
    if "iam" not in {s.name for s in console.engine.started_services()}:
        return CommandResult.fail(
            "why: nothing has been refused — IAM enforcement is off (turn it on: iam enforce on)"
        )
    denials = console.engine.service("iam").authorizer.denials  # type: ignore[attr-defined]
    denial = _find(console, args[0]) if args else (denials[-1] if denials else None)
    if denial is None:
        state = "on" if console.engine.settings.get(ENFORCE_SETTING) else "off"
        what = f"involves {args[0]}" if args else "was recorded"
        return CommandResult.fail(f"why: no refused request {what} (IAM enforcement is {state})")
    paragraph = explain(denial, clock_text(denial.time))
    value: dict[str, Any] = {
        "principal": denial.principal,
        "action": denial.action,
        "resource": denial.resource,
        "source": denial.source,
        "message_id": denial.message_id,
        "decision": denial.decision.verdict,
        "statement": denial.decision.explain(),
        "explanation": paragraph,
    }
    return CommandResult(ok=True, value=value, output=Text(paragraph))


def register(console: Console) -> None:
    """Register `iam enforce` and `why`."""
    console.register_command(
        "iam enforce",
        enforce,
        f"{ENFORCE_USAGE} — check permissions as AWS does (off by default)",
        ("on", "off"),
    )
    console.register_command("why", why, f"{WHY_USAGE} — explain why a request was refused")
