"""SNS filter policies: the shared grammar plus SNS's scope rules, limits and error wording."""

from __future__ import annotations

import json
from math import prod

from ..errors import ServiceError
from .compiler import SNS, CompiledPattern, PatternError, compile_pattern
from .jsontext import JsonTextError, parse_json

SCOPES = ("MessageAttributes", "MessageBody")
#: SNS's documented limits: keys in a policy and total value combinations.
MAX_KEYS = 5
MAX_COMBINATIONS = 150


def _prefix(api: str) -> str:
    """Subscribe and CreateTopic wrap the reason in "Attributes Reason:"; SetSubscriptionAttributes does not."""
    return (
        "Invalid parameter: "
        if api.startswith("SetSubscriptionAttributes")
        else ("Invalid parameter: Attributes Reason: ")
    )


def combinations(compiled: CompiledPattern) -> int:
    """SNS's complexity: per `$or` alternative, the product of (nesting depth x values) per key."""
    return sum(
        prod(field.depth * len(field.matchers) for field in branch) for branch in compiled.branches
    )


def validate_filter_policy(
    policy: str | dict, scope: str = "MessageAttributes", api: str = "Subscribe"
) -> dict:
    """Check a filter policy for a subscription; return it parsed or raise InvalidParameter.

    `api` is the operation that carries the policy ("Subscribe", "SetSubscriptionAttributes",
    …): AWS words the message differently for each.
    """
    prefix = _prefix(api)
    if scope not in SCOPES:
        raise ServiceError(
            "InvalidParameter",
            f"{prefix}FilterPolicyScope: Invalid value [{scope}]. "
            "Please use either MessageBody or MessageAttributes",
        )
    if isinstance(policy, str):
        try:
            parsed = parse_json(policy)
        except JsonTextError as error:
            raise ServiceError(
                "InvalidParameter", f"{prefix}FilterPolicy: failed to parse JSON. {error}"
            ) from None
    else:
        parsed = json.loads(json.dumps(policy))
    try:
        compiled = compile_pattern(parsed, SNS)
    except PatternError as error:
        raise ServiceError("InvalidParameter", f"{prefix}FilterPolicy: {error}") from None
    if scope == "MessageAttributes" and any(
        field.depth > 1 for branch in compiled.branches for field in branch
    ):
        raise ServiceError(
            "InvalidParameter",
            f"{prefix}Filter policy scope MessageAttributes does not support nested filter policy",
        )
    if len(compiled.paths) > MAX_KEYS:
        raise ServiceError(
            "InvalidParameter", f"{prefix}FilterPolicy: Filter policy can not have more than 5 keys"
        )
    if combinations(compiled) > MAX_COMBINATIONS:
        raise ServiceError(
            "InvalidParameter", f"{prefix}FilterPolicy: Filter policy is too complex"
        )
    return parsed
