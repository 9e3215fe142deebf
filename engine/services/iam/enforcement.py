"""Where the lab enforces permissions: API calls by keyed callers, and service-to-service hops.

Everything here is a no-op unless `engine.settings["iam.enforce"]` is on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ...errors import ServiceError
from ...iam_policy.evaluator import Principal, service_principal
from ...identity import caller_access_key
from ...service import Envelope
from .authorizer import ENFORCE_SETTING

__all__ = [
    "ENFORCE_SETTING",
    "call_checker",
    "check_call",
    "check_configuration",
    "check_delivery",
    "check_role_call",
    "refused_role_action",
]
from .resources import action_for, policy_label, resource_for, resource_policy

if TYPE_CHECKING:
    from ...engine import Engine

#: Calls that never need a permission (who am I) or that STS authorizes itself (trust policies).
UNCHECKED = frozenset(
    {
        ("sts", "GetCallerIdentity"),
        ("sts", "AssumeRole"),
        ("sts", "GetSessionToken"),
        ("sts", "AssumeRoleWithWebIdentity"),
        ("sts", "GetAccessKeyInfo"),
    }
)

#: Senders AWS authorizes through the target's resource policy (the others act with a role).
RESOURCE_POLICY_SENDERS = frozenset({"sns", "events", "s3"})

#: ARN service part → the service principal that service acts as when it delivers.
SERVICE_PRINCIPALS = {
    "sns": "sns.amazonaws.com",
    "events": "events.amazonaws.com",
    "s3": "s3.amazonaws.com",
    "states": "states.amazonaws.com",
    "pipes": "pipes.amazonaws.com",
    "scheduler": "scheduler.amazonaws.com",
    "sqs": "sqs.amazonaws.com",
    "apigateway": "apigateway.amazonaws.com",
    "execute-api": "apigateway.amazonaws.com",
    "lambda": "lambda.amazonaws.com",
}


def enforcing(engine: Engine) -> bool:
    """Whether the lab enforces permissions now."""
    return bool(engine.settings.get(ENFORCE_SETTING, False))


def check_call(engine: Engine, service: str, operation: str, params: dict) -> None:
    """Refuse an API call its caller's policies do not allow (AccessDenied), when enforcing."""
    call_checker(engine, service, operation)(params)


def call_checker(engine: Engine, service: str, operation: str) -> Callable[[dict], None]:
    """`check_call` for one operation, with what does not change between calls worked out once."""
    if (service, operation) in UNCHECKED:
        return _unchecked
    action = action_for(service, operation)
    get_key = caller_access_key.get

    def check(params: dict) -> None:
        key = get_key()
        if key is None:
            return  # the lab itself: the admin
        resource = resource_for(engine, service, params)
        policy = resource_policy(engine, resource) if resource != "*" else None
        authorizer = engine.service("iam").authorizer  # type: ignore[attr-defined]
        authorizer.check_key(key, action, resource, policy)

    return check


def _unchecked(params: dict) -> None:
    """Calls that need no permission."""


def check_role_call(
    engine: Engine,
    role_arn: str,
    session_name: str,
    service: str,
    operation: str,
    params: dict,
    source: str | None = None,
    trace_id: str | None = None,
) -> None:
    """Refuse an API call a service makes with an execution role the role does not allow."""
    if not enforcing(engine):
        return
    authorizer = engine.service("iam").authorizer  # type: ignore[attr-defined]
    principal = authorizer.role_principal(role_arn, session_name)
    action = action_for(service, operation)
    resource = resource_for(engine, service, params)
    policy = resource_policy(engine, resource) if resource != "*" else None
    decision = authorizer.authorize(
        principal,
        action,
        resource,
        resource_policy=policy,
        resource_policy_id=policy_label(resource),
        source=source,
        trace_id=trace_id,
    )
    if not decision.allowed:
        raise authorizer.access_denied(principal, action, resource, decision)


def refused_role_action(
    engine: Engine,
    role_arn: str,
    session_name: str,
    actions: tuple[str, ...],
    resource: str,
    *,
    source: str | None = None,
    trace_id: str | None = None,
) -> tuple[str, ServiceError] | None:
    """(action, AccessDenied) for the first of `actions` on `resource` a role may not take.

    For the reads a service makes with an execution role (event source mappings, pipes); None
    when every action is allowed or enforcement is off. A refusal is traced `denied`.
    """
    if not actions or not enforcing(engine):
        return None
    authorizer = engine.service("iam").authorizer  # type: ignore[attr-defined]
    principal = authorizer.role_principal(role_arn, session_name)
    policy = resource_policy(engine, resource)
    for action in actions:
        decision = authorizer.authorize(
            principal,
            action,
            resource,
            resource_policy=policy,
            resource_policy_id=policy_label(resource),
            source=source,
            trace_id=trace_id,
        )
        if not decision.allowed:
            return action, authorizer.access_denied(principal, action, resource, decision)
    return None


def delivery_principal(
    engine: Engine, envelope: Envelope
) -> tuple[Principal, dict[str, list[str]]]:
    """Who a hop acts as: its execution role when it has one, else the source's service principal."""
    authorizer = engine.service("iam").authorizer  # type: ignore[attr-defined]
    role = envelope.options.get("role_arn")
    source = envelope.source_arn or ""
    if role:
        session = envelope.options.get("role_session", "pipework")
        return authorizer.role_principal(role, session), {}
    parts = source.split(":", 5)
    name = SERVICE_PRINCIPALS.get(parts[2] if len(parts) == 6 else "", "amazonaws.com")
    context = {"aws:sourcearn": [source]} if source else {}
    if len(parts) == 6 and parts[4]:
        context["aws:sourceaccount"] = [parts[4]]
    elif source:
        context["aws:sourceaccount"] = [engine.account_id]
    return service_principal(name), context


def check_delivery(
    engine: Engine,
    envelope: Envelope,
    target_arn: str,
    action: str,
    message_id: str | None = None,
) -> None:
    """Refuse a hop the target's resource policy (or the hop's role) does not allow, when enforcing.

    The refusal is traced as `denied` (source → target) and raised as AccessDenied, which the
    sending service treats as its documented non-retryable failure (quietly, as on AWS).
    """
    if not enforcing(engine):
        return
    if not envelope.options.get("role_arn"):
        parts = (envelope.source_arn or "").split(":", 3)
        if len(parts) < 3 or parts[2] not in RESOURCE_POLICY_SENDERS:
            return  # e.g. Lambda destinations act with the function's role, not checked here
    policy = resource_policy(engine, target_arn)
    authorizer = engine.service("iam").authorizer  # type: ignore[attr-defined]
    hop = (envelope.source_arn, envelope.options.get("role_arn"), action, target_arn)
    cached = authorizer.hop_cache.get(hop)
    if cached is not None and cached[0] is policy:
        principal, decision = cached[1], cached[2]
        if decision.allowed:
            return
        authorizer.record_denial(
            principal,
            action,
            target_arn,
            decision,
            envelope.source_arn,
            message_id,
            envelope.trace_id,
        )
    else:
        principal, context = delivery_principal(engine, envelope)
        decision = authorizer.authorize(
            principal,
            action,
            target_arn,
            resource_policy=policy,
            resource_policy_id=policy_label(target_arn),
            context=context,
            source=envelope.source_arn,
            message_id=message_id,
            trace_id=envelope.trace_id,
        )
        authorizer.remember_hop(hop, policy, principal, decision)
        if decision.allowed:
            return
    raise ServiceError(
        "AccessDenied",
        f"{principal.arn} is not authorized to perform: {action} on resource: {target_arn} "
        f"({decision.explain()})",
        status_code=403,
    )


def check_configuration(
    engine: Engine, source_arn: str, target_arn: str, action: str
) -> str | None:
    """For configuration-time checks (S3 notifications): why the target refuses, or None."""
    if not enforcing(engine):
        return None
    principal, context = delivery_principal(engine, Envelope(None, source_arn=source_arn))
    policy = resource_policy(engine, target_arn)
    authorizer = engine.service("iam").authorizer  # type: ignore[attr-defined]
    decision = authorizer.authorize(
        principal,
        action,
        target_arn,
        resource_policy=policy,
        resource_policy_id=policy_label(target_arn),
        context=context,
        source=source_arn,
    )
    return None if decision.allowed else decision.explain()
