"""Permission decisions for the lab: gathers the policies that apply, evaluates, caches, records.

Enforcement is a lab switch (`engine.settings["iam.enforce"]`, off by default). When off,
`authorize` allows everything without evaluating; `decide` always evaluates (simulator, `why`).
A refused request is traced as `denied` and kept for the console's `why`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ...errors import ServiceError
from ...iam_policy.evaluator import (
    Decision,
    Principal,
    Request,
    Source,
    evaluate,
)
from .identities import Identity
from .resources import policy_label
from .store import IamStore

if TYPE_CHECKING:
    from .service import IamService

ENFORCE_SETTING = "iam.enforce"
#: Decisions kept before the cache starts again (a lab rarely has this many distinct requests).
CACHE_LIMIT = 50_000
ALLOWED_UNCHECKED = Decision("allowed", reason="enforcement is off")


@dataclass(frozen=True, slots=True)
class Denial:
    """A refused request, kept for `why`."""

    time: float
    principal: str
    action: str
    resource: str
    source: str | None
    message_id: str | None
    decision: Decision
    context: dict[str, list[str]]
    trace_id: str | None = None


class Authorizer:
    """Decides requests as AWS would, from IAM's policies and the target's resource policy."""

    def __init__(self, service: IamService) -> None:
        self._service = service
        self._store: IamStore = service.store
        self._cache: dict[tuple, Decision] = {}
        #: (key id, action, resource) → (resource policy, valid until, decision, principal).
        self._key_cache: dict[tuple[str, str, str], tuple[Any, float, Any, Any]] = {}
        self._store.listeners.append(self._cache.clear)
        self._store.listeners.append(self._key_cache.clear)
        #: (source ARN, role ARN, action, target) → (resource policy, principal, decision).
        self.hop_cache: dict[tuple, tuple[Any, Principal, Decision]] = {}
        self._store.listeners.append(self.hop_cache.clear)
        #: Whether the last `decide` read the clock (such decisions are not kept by any cache).
        self.clock_bound = False
        #: Recent refusals, newest last (the console's `why` reads them).
        self.denials: deque[Denial] = deque(maxlen=1000)

    @property
    def enforcing(self) -> bool:
        """Whether the lab enforces permissions (the `iam enforce on|off` switch)."""
        return bool(self._service.engine.settings.get(ENFORCE_SETTING, False))

    # -- principals ------------------------------------------------------------------------------
    def principal_of(self, identity: Identity) -> Principal:
        """The evaluator's principal for a caller identity."""
        return Principal(identity.arn, identity.account, identity.kind, identity.role_arn)

    def role_principal(self, role_arn: str, session_name: str) -> Principal:
        """The principal of a service acting with an execution role (Step Functions, Pipes …)."""
        name = role_arn.rsplit("/", 1)[-1]
        account = self._store.account_id
        return Principal(
            f"arn:aws:sts::{account}:assumed-role/{name}/{session_name}",
            account,
            "assumed-role",
            role_arn,
        )

    # -- the policies that apply -----------------------------------------------------------------
    def identity_sources(self, principal: Principal) -> tuple[list[Source], Source | None]:
        """(identity policies, permissions boundary) of an IAM principal."""
        store = self._store
        entity = None
        if principal.kind == "user":
            entity = store.user_by_arn(principal.arn)
        elif principal.kind == "assumed-role" and principal.role_arn:
            entity = store.role_by_arn(principal.role_arn)
        if entity is None:
            return [], None
        kind = "user" if principal.kind == "user" else "role"
        sources = self.entity_sources(kind, entity)
        if kind == "user":
            for group_name in entity.groups:  # type: ignore[attr-defined]
                group = store.groups.get(group_name)
                if group is not None:
                    sources += self.entity_sources("group", group)
        boundary = None
        if entity.boundary and entity.boundary in store.policies:
            policy = store.policies[entity.boundary]
            boundary = Source(f"permissions boundary {policy.arn}", policy.document, "boundary")
        return sources, boundary

    def entity_sources(self, kind: str, entity: Any) -> list[Source]:
        store = self._store
        sources = [
            Source(f"inline policy {name} of {kind} {entity.name}", text)
            for name, text in entity.inline.items()
        ]
        for arn in entity.attached:
            policy = store.policies.get(arn)
            if policy is not None:
                sources.append(Source(f"managed policy {arn}", policy.document))
        return sources

    def session_sources(self, principal: Principal) -> list[Source]:
        """Session policies of an STS session principal."""
        for session in self._store.sessions.values():
            if session.principal_arn == principal.arn and session.session_policies:
                return [
                    Source(f"session policy of {principal.arn}", text, "session")
                    for text in session.session_policies
                ]
        return []

    # -- deciding ------------------------------------------------------------------------------------
    def decide(
        self,
        principal: Principal,
        action: str,
        resource: str,
        *,
        resource_policy: str | None = None,
        resource_policy_id: str = "",
        context: dict[str, list[str]] | None = None,
    ) -> Decision:
        """The decision for one request (cached until any IAM policy, key or session changes)."""
        # The key leaves out what follows from the principal (cleared on IAM changes) and the
        # clock (decisions of policies that read the time are never cached).
        key = (
            principal,
            action,
            resource,
            resource_policy,
            tuple(sorted((k, tuple(v)) for k, v in context.items())) if context else (),
        )
        cached = self._cache.get(key)
        if cached is not None:
            self.clock_bound = False
            return cached
        self.clock_bound = False
        context = self._full_context(principal, context or {})
        identity, boundary = (
            ([], None) if principal.is_service else self.identity_sources(principal)
        )
        session = [] if principal.is_service else self.session_sources(principal)
        resource_source = (
            Source(
                resource_policy_id or f"resource policy of {resource}", resource_policy, "resource"
            )
            if resource_policy
            else None
        )
        request = Request(principal, action, resource, context)
        decision = evaluate(
            request,
            identity=identity,
            resource=resource_source,
            resource_account=_account_of(resource) or self._store.account_id,
            boundary=boundary,
            session=session,
        )
        every = [*identity, *session, *([resource_source] if resource_source else [])]
        if boundary is not None:
            every.append(boundary)
        if any(source.policy.uses_time for source in every):
            self.clock_bound = True
            return decision
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = decision
        return decision

    def _full_context(
        self, principal: Principal, context: dict[str, list[str]]
    ) -> dict[str, list[str]]:
        """The request context plus the global keys AWS sets for the principal."""
        full = {k.lower(): v for k, v in context.items()}
        if not principal.is_service:
            full.setdefault("aws:principalarn", [principal.role_arn or principal.arn])
            full.setdefault("aws:principalaccount", [principal.account])
            kind = {"user": "User", "assumed-role": "AssumedRole", "root": "Account"}.get(
                principal.kind, "FederatedUser"
            )
            full.setdefault("aws:principaltype", [kind])
            if principal.kind == "user":
                full.setdefault("aws:username", [principal.arn.rsplit("/", 1)[-1]])
                user = self._store.user_by_arn(principal.arn)
                if user is not None:
                    full.setdefault("aws:userid", [user.entity_id])
                    for tag, value in user.tags.items():
                        full.setdefault(f"aws:principaltag/{tag.lower()}", [value])
            elif principal.role_arn:
                role = self._store.role_by_arn(principal.role_arn)
                if role is not None:
                    session = principal.arn.rsplit("/", 1)[-1]
                    full.setdefault("aws:userid", [f"{role.entity_id}:{session}"])
                    for tag, value in role.tags.items():
                        full.setdefault(f"aws:principaltag/{tag.lower()}", [value])
        else:
            full.setdefault("aws:principalservicename", [principal.arn])
        now = self._service.clock.now()
        full.setdefault("aws:currenttime", [_iso(now)])
        full.setdefault("aws:epochtime", [str(int(now))])
        full.setdefault("aws:securetransport", ["false"])
        return full

    def authorize(
        self,
        principal: Principal,
        action: str,
        resource: str,
        *,
        resource_policy: str | None = None,
        resource_policy_id: str = "",
        context: dict[str, list[str]] | None = None,
        source: str | None = None,
        message_id: str | None = None,
        trace_id: str | None = None,
    ) -> Decision:
        """Decide when enforcement is on (else allow); a refusal is traced and kept for `why`."""
        if not self.enforcing:
            return ALLOWED_UNCHECKED
        decision = self.decide(
            principal,
            action,
            resource,
            resource_policy=resource_policy,
            resource_policy_id=resource_policy_id,
            context=context,
        )
        if not decision.allowed:
            self.record_denial(
                principal, action, resource, decision, source, message_id, trace_id, context
            )
        return decision

    def record_denial(
        self,
        principal: Principal,
        action: str,
        resource: str,
        decision: Decision,
        source: str | None = None,
        message_id: str | None = None,
        trace_id: str | None = None,
        context: dict[str, list[str]] | None = None,
    ) -> None:
        """Keep a refusal for `why` and trace it as `denied`."""
        self.denials.append(
            Denial(
                self._service.clock.now(),
                principal.arn,
                action,
                resource,
                source,
                message_id,
                decision,
                dict(context or {}),
                trace_id,
            )
        )
        detail: dict[str, Any] = {
            "principal": principal.arn,
            "action": action,
            "decision": decision.verdict,
            "statement": decision.explain(),
        }
        if source is not None:
            detail["source"] = source
        self._service.emit("denied", resource, message_id=message_id, trace_id=trace_id, **detail)

    def access_denied(
        self, principal: Principal, action: str, resource: str, decision: Decision
    ) -> ServiceError:
        """AWS's AccessDenied for a refused API call, naming why as AWS does."""
        why = (
            f"with an explicit deny in a {decision.deciding.source.kind}-based policy"
            if decision.verdict == "explicitDeny" and decision.deciding is not None
            else "because no identity-based policy allows the " + action + " action"
        )
        return ServiceError(
            "AccessDenied",
            f"User: {principal.arn} is not authorized to perform: {action} on resource: "
            f"{resource} {why}",
            status_code=403,
        )

    def remember_hop(
        self, hop: tuple, policy: str | None, principal: Principal, decision: Decision
    ) -> None:
        """Keep a delivery hop's decision while the target's policy text stays the same."""
        if hop[1] is not None or self.clock_bound:
            return  # role hops read identity policies too; clock-bound decisions never keep
        if len(self.hop_cache) >= CACHE_LIMIT:
            self.hop_cache.clear()
        self.hop_cache[hop] = (policy, principal, decision)

    def check_key(self, key_id: str, action: str, resource: str, policy: str | None) -> None:
        """Refuse (AccessDenied) a call made with `key_id` that its identity may not make.

        The hot path of enforced API calls: decisions are kept per (key, action, resource) while
        the resource policy is the same text and the key's session has not expired.
        """
        now = self._service.clock.now()
        entry = self._key_cache.get((key_id, action, resource))
        if entry is not None and entry[0] is policy and now < entry[1]:
            decision = entry[2]
            if decision is None:
                return
            principal = entry[3]
        else:
            identity = self._service.identity_for(key_id)
            until = identity.session.expires if identity.session is not None else float("inf")
            if identity.is_root:
                self._key_cache[(key_id, action, resource)] = (policy, until, None, None)
                return
            principal = self.principal_of(identity)
            decision = self.decide(
                principal,
                action,
                resource,
                resource_policy=policy,
                resource_policy_id=policy_label(resource),
            )
            if len(self._key_cache) >= CACHE_LIMIT:
                self._key_cache.clear()
            if not self.clock_bound:
                self._key_cache[(key_id, action, resource)] = (policy, until, decision, principal)
        if not decision.allowed:
            self.record_denial(principal, action, resource, decision)
            raise self.access_denied(principal, action, resource, decision)

    # -- STS ---------------------------------------------------------------------------------------------
    def check_assume_role(self, caller: Identity, role: Any, action: str, params: dict) -> None:
        """With enforcement on, the role's trust policy (and the caller's policies) must allow it."""
        if not self.enforcing or caller.is_root:
            return
        principal = self.principal_of(caller)
        context: dict[str, list[str]] = {}
        if params.get("ExternalId"):
            context["sts:externalid"] = [params["ExternalId"]]
        if params.get("SourceIdentity"):
            context["sts:sourceidentity"] = [params["SourceIdentity"]]
        decision = self.decide(
            principal,
            action,
            role.arn,
            resource_policy=role.trust_policy,
            resource_policy_id=f"trust policy of role {role.name}",
            context=context,
        )
        if not decision.allowed:
            self.record_denial(principal, action, role.arn, decision, context=context)
            raise self.access_denied(principal, action, role.arn, decision)


def _account_of(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
