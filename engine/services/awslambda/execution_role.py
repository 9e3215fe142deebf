"""A function's execution role: what Lambda does for a function acts as that role.

Under `iam enforce on`, event source mappings read their source (SQS, Kinesis, DynamoDB streams)
and asynchronous invocations send to their destinations and dead-letter queue with the
function's execution role, as on AWS (session name: the function's name). The function's own SDK
calls carry the role's temporary credentials (see `Runtime._sdk_variables`). A refusal is traced
`denied`, like every enforced call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.services.iam.enforcement import enforcing
from engine.services.iam.resources import policy_label, resource_policy

if TYPE_CHECKING:
    from engine.engine import Engine
    from engine.iam_policy.evaluator import Decision

    from .models import Function


def delivery_options(function: Function) -> dict[str, Any]:
    """Envelope options for a hop Lambda makes with the function's role (destinations, DLQ)."""
    return {"role_arn": function.latest.role, "role_session": function.name}


def refused_action(
    engine: Engine,
    function: Function,
    actions: tuple[str, ...],
    resource: str,
    *,
    trace_id: str | None = None,
) -> tuple[str, Decision] | None:
    """The first of `actions` on `resource` the function's role may not take, with why; or None."""
    if not actions or not enforcing(engine):
        return None
    authorizer = engine.service("iam").authorizer  # type: ignore[attr-defined]
    principal = authorizer.role_principal(function.latest.role, function.name)
    policy = resource_policy(engine, resource)
    for action in actions:
        decision = authorizer.authorize(
            principal,
            action,
            resource,
            resource_policy=policy,
            resource_policy_id=policy_label(resource),
            source=function.arn,
            trace_id=trace_id,
        )
        if not decision.allowed:
            return action, decision
    return None
