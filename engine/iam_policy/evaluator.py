"""AWS's policy evaluation logic, for one account (reference_policies_evaluation-logic.html).

1. An explicit Deny in any applicable policy decides: denied.
2. Otherwise a request is allowed when an identity-based policy allows it (within the permissions
   boundary and session policies, when there are any) or a resource-based policy allows the
   principal itself; across accounts both sides must allow it. Service principals
   (sns.amazonaws.com …) are judged by the resource policy alone.
3. Otherwise it is implicitly denied ("no statement allowed it").

The account's root identity is the lab's admin: only an explicit Deny in a resource policy stops it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from .conditions import Context, block_holds, condition_operator_known
from .matching import MissingVariable, arn_like, has_variables, like, substitute


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes a request: an IAM identity (by ARN) or an AWS service principal."""

    arn: str  # user/root/assumed-role/federated ARN, or the service's name for a service
    account: str = ""
    kind: str = "user"  # "root", "user", "assumed-role", "federated-user", "service"
    #: For an assumed-role session: the role's IAM ARN (a policy naming the role matches).
    role_arn: str | None = None

    @property
    def is_service(self) -> bool:
        """Whether this is an AWS service principal (sns.amazonaws.com …)."""
        return self.kind == "service"


def service_principal(name: str) -> Principal:
    """The principal a service acts as when it delivers (e.g. `sns.amazonaws.com`)."""
    return Principal(name, "", "service")


@dataclass(frozen=True, slots=True)
class Statement:
    """One compiled statement of a policy."""

    index: int
    sid: str | None
    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principals: dict[str, tuple[str, ...]] | None
    not_principals: dict[str, tuple[str, ...]] | None
    condition: dict[str, dict[str, Any]] | None
    #: (line, column) of the statement's first and last character in the policy text (1-based).
    start: tuple[int, int] = (1, 1)
    end: tuple[int, int] = (1, 1)

    @property
    def label(self) -> str:
        """How a decision names this statement: its Sid, else its position."""
        return f'"{self.sid}"' if self.sid else f"#{self.index}"


@dataclass(frozen=True, slots=True)
class Policy:
    """A compiled policy document."""

    statements: tuple[Statement, ...]
    variables: bool  # Version 2012-10-17 (policy variables are substituted)
    uses_time: bool  # mentions aws:CurrentTime / aws:EpochTime (decisions change with time)


@dataclass(frozen=True, slots=True)
class Source:
    """A policy that takes part in a decision, with where it comes from."""

    policy_id: str  # "queue policy of arn:…", "inline policy orders-writer of role/app" …
    text: str
    kind: str = "identity"  # "identity", "resource", "boundary", "session"

    @property
    def policy(self) -> Policy:
        """The compiled document (cached by text)."""
        return compile_policy(self.text)


@dataclass(frozen=True, slots=True)
class Request:
    """What is being asked: a principal doing an action on a resource, with a context."""

    principal: Principal
    action: str
    resource: str
    context: Context = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Match:
    """A statement that matched the request."""

    source: Source
    statement: Statement

    def describe(self) -> str:
        """`statement "Sid" of queue policy of arn:…`."""
        return f"statement {self.statement.label} of {self.source.policy_id}"


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome: `allowed`, `explicitDeny` or `implicitDeny` (the simulator's words)."""

    verdict: str
    deciding: Match | None = None
    matched: tuple[Match, ...] = ()
    reason: str = ""

    @property
    def allowed(self) -> bool:
        """Whether the request is allowed."""
        return self.verdict == "allowed"

    def explain(self) -> str:
        """One phrase naming what decided: the statement, or that none allowed it."""
        if self.deciding is not None:
            return self.deciding.describe()
        return self.reason or "no statement allowed it"


# -- compiling ------------------------------------------------------------------------------------
def _tuple(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def _principals(value: Any) -> dict[str, tuple[str, ...]]:
    if value == "*":
        return {"*": ("*",)}
    return {kind: _tuple(items) for kind, items in value.items()}


@lru_cache(maxsize=2048)
def compile_policy(text: str) -> Policy:
    """Compile a policy document for evaluation.

    Documents are validated where they are set; one that is odd anyway (a resource attribute
    AWS would have refused) keeps only the statements that make sense, never raising.
    """
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = json.loads(unquote(text))
        except ValueError:
            document = {}
    if not isinstance(document, dict):
        document = {}
    raw = document.get("Statement", [])
    raw = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    spans = statement_spans(text)
    statements = []
    for index, item in enumerate(raw):
        start, end = spans[index] if index < len(spans) else ((1, 1), (1, 1))
        try:
            statement = _statement(index, item, start, end)
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
        if statement is not None:
            statements.append(statement)
    lowered = text.lower()
    return Policy(
        tuple(statements),
        document.get("Version") == "2012-10-17",
        "aws:currenttime" in lowered or "aws:epochtime" in lowered,
    )


def _statement(
    index: int, item: dict[str, Any], start: tuple[int, int], end: tuple[int, int]
) -> Statement | None:
    """One statement, or None when it cannot take part (bad Effect, unknown condition operator)."""
    effect = item.get("Effect")
    condition = item.get("Condition")
    if effect not in ("Allow", "Deny") or ("Action" in item) == ("NotAction" in item):
        return None
    if condition is not None and not all(
        condition_operator_known(op) and isinstance(block, dict) for op, block in condition.items()
    ):
        return None
    return Statement(
        index,
        item.get("Sid"),
        effect,
        _tuple(item["Action"]) if "Action" in item else None,
        _tuple(item["NotAction"]) if "NotAction" in item else None,
        _tuple(item["Resource"]) if "Resource" in item else None,
        _tuple(item["NotResource"]) if "NotResource" in item else None,
        _principals(item["Principal"]) if "Principal" in item else None,
        _principals(item["NotPrincipal"]) if "NotPrincipal" in item else None,
        condition,
        start,
        end,
    )


def statement_spans(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) line/column of each object in the Statement array (the simulator reports them)."""
    key = text.find('"Statement"')
    if key < 0:
        return []
    i = text.find(":", key) + 1
    while i < len(text) and text[i].isspace():
        i += 1
    spans: list[tuple[int, int]] = []
    depth = 0
    in_string = escaped = False
    start = 0
    single = i < len(text) and text[i] == "{"
    for j in range(i, len(text)):
        char = text[j]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char == "{":
            if depth == (0 if single else 1):
                start = j
            depth += 1
        elif char in "[":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == (0 if single else 1):
                spans.append((start, j))
                if single:
                    break
        elif char == "]":
            depth -= 1
            if depth == 0:
                break

    def position(offset: int) -> tuple[int, int]:
        # AWS's simulator counts columns so that a statement opening at offset 39 of a one-line
        # document starts at column 41 and its closing brace is at column offset + 2.
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 2
        return line, column

    return [(position(a), position(b)) for a, b in spans]


# -- matching one statement -------------------------------------------------------------------------
def _action_matches(patterns: tuple[str, ...], action: str) -> bool:
    return any(like(p, action, ignore_case=True) for p in patterns)


def _resource_matches(
    patterns: tuple[str, ...], resource: str, context: Context, variables: bool
) -> bool:
    for pattern in patterns:
        if variables and has_variables(pattern):
            try:
                pattern = substitute(pattern, context)
            except MissingVariable:
                continue
        if arn_like(pattern, resource) if pattern.startswith("arn:") else like(pattern, resource):
            return True
    return False


def _principal_matches(principals: dict[str, tuple[str, ...]], principal: Principal) -> str | None:
    """How a Principal element names the requester: "direct", "account" (its account), or None."""
    if "*" in principals or "*" in principals.get("AWS", ()):
        return "direct"
    if principal.is_service:
        return "direct" if principal.arn in principals.get("Service", ()) else None
    found = None
    for value in principals.get("AWS", ()):
        if value in (principal.arn, principal.role_arn):
            return "direct"
        if value == principal.account or value == f"arn:aws:iam::{principal.account}:root":
            found = "direct" if principal.kind == "root" else "account"
    return found


def statement_applies(
    statement: Statement, request: Request, variables: bool, *, resource_policy: bool
) -> str | None:
    """Whether the statement applies to the request ("direct"/"account"), or None."""
    action = request.action
    if statement.actions is not None and not _action_matches(statement.actions, action):
        return None
    if statement.not_actions is not None and _action_matches(statement.not_actions, action):
        return None
    context = request.context
    resource = request.resource
    if statement.resources is not None and not _resource_matches(
        statement.resources, resource, context, variables
    ):
        return None
    if statement.not_resources is not None and _resource_matches(
        statement.not_resources, resource, context, variables
    ):
        return None
    how = "direct"
    if resource_policy:
        principal = request.principal
        if statement.principals is not None:
            how = _principal_matches(statement.principals, principal)
            if how is None:
                return None
        elif statement.not_principals is None:
            return None  # a resource policy statement names no principal: it applies to none
        elif _principal_matches(statement.not_principals, principal):
            return None
    if statement.condition and not block_holds(statement.condition, context, variables):
        return None
    return how


# -- the whole decision --------------------------------------------------------------------------------
def _matches(sources: list[Source], request: Request, resource: bool) -> list[tuple[Match, str]]:
    found = []
    for source in sources:
        policy = source.policy
        for statement in policy.statements:
            how = statement_applies(statement, request, policy.variables, resource_policy=resource)
            if how is not None:
                found.append((Match(source, statement), how))
    return found


def evaluate(
    request: Request,
    *,
    identity: list[Source] = (),  # type: ignore[assignment]
    resource: Source | None = None,
    resource_account: str = "",
    boundary: Source | None = None,
    session: list[Source] = (),  # type: ignore[assignment]
) -> Decision:
    """Decide `request` from the policies that apply to it."""
    principal = request.principal
    identity_hits = [] if principal.is_service else _matches(list(identity), request, False)
    resource_hits = _matches([resource], request, True) if resource is not None else []
    boundary_hits = _matches([boundary], request, False) if boundary is not None else []
    session_hits = _matches(list(session), request, False)
    every = [m for m, _ in identity_hits + resource_hits + boundary_hits + session_hits]

    denies = [m for m in every if m.statement.effect == "Deny"]
    if principal.kind == "root":
        root_denies = [m for m, _ in resource_hits if m.statement.effect == "Deny"]
        if root_denies:
            return Decision("explicitDeny", root_denies[0], tuple(every))
        return Decision("allowed", None, tuple(every), "the account's root user (the lab's admin)")
    if denies:
        return Decision("explicitDeny", denies[0], tuple(every))

    identity_allow = next((m for m, _ in identity_hits if m.statement.effect == "Allow"), None)
    resource_allows = [(m, how) for m, how in resource_hits if m.statement.effect == "Allow"]
    if not resource_account:
        parts = request.resource.split(":", 5)
        resource_account = parts[4] if len(parts) == 6 else ""
    same_account = (
        principal.is_service or not resource_account or (resource_account == principal.account)
    )
    boundary_allow = next((m for m, _ in boundary_hits if m.statement.effect == "Allow"), None)
    session_allow = next((m for m, _ in session_hits if m.statement.effect == "Allow"), None)

    def within_limits(match: Match | None) -> Match | None:
        if match is None:
            return None
        if boundary is not None and boundary_allow is None:
            return None
        if session and session_allow is None:
            return None
        return match

    effective_identity = within_limits(identity_allow)
    direct_resource = next((m for m, how in resource_allows if how == "direct"), None)
    any_resource = resource_allows[0][0] if resource_allows else None
    if same_account:
        if direct_resource is not None and (
            principal.kind in ("user", "service") or within_limits(direct_resource)
        ):
            return Decision("allowed", direct_resource, tuple(every))
        if effective_identity is not None:
            return Decision("allowed", effective_identity, tuple(every))
    elif effective_identity is not None and any_resource is not None:
        return Decision("allowed", any_resource, tuple(every))
    reason = "no statement allowed it"
    if identity_allow is not None and effective_identity is None:
        reason = (
            "the permissions boundary does not allow it"
            if boundary is not None and boundary_allow is None
            else "the session policy does not allow it"
        )
    elif not same_account and (identity_allow is None) != (any_resource is None):
        reason = "across accounts both the identity policy and the resource policy must allow it"
    return Decision("implicitDeny", None, tuple(every), reason)
