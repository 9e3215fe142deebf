"""A function's execution role: what Lambda does for a function acts as that role.

Under `iam enforce on`, event source mappings read their source (SQS, Kinesis, DynamoDB streams)
and asynchronous invocations send to their destinations and dead-letter queue with the
function's execution role, as on AWS (session name: the function's name). The function's own SDK
calls carry the role's temporary credentials (see `Runtime._sdk_variables`). A refusal is traced
`denied`, like every enforced call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.services.iam.enforcement import refused_role_action

if TYPE_CHECKING:
    from engine.engine import Engine
    from engine.errors import ServiceError

    from .models import Function


def session_name(function_name: str) -> str:
    """The role session name Lambda uses: the function's name (one letter gets a suffix).

    A role session name has at least two characters, so AWS names a one-letter function's
    session `X@lambda_function`.
    """
    return function_name if len(function_name) > 1 else f"{function_name}@lambda_function"


def delivery_options(function: Function) -> dict[str, Any]:
    """Envelope options for a hop Lambda makes with the function's role (destinations, DLQ)."""
    return {"role_arn": function.latest.role, "role_session": session_name(function.name)}


def refused_action(
    engine: Engine, function: Function, actions: tuple[str, ...], resource: str
) -> tuple[str, ServiceError] | None:
    """(action, AccessDenied) for the first of `actions` on `resource` the function's role may not take."""
    return refused_role_action(
        engine,
        function.latest.role,
        session_name(function.name),
        actions,
        resource,
        source=function.arn,
    )
