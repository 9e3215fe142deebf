"""Dynamic references: `{{resolve:secretsmanager:…}}` read from the lab's Secrets Manager."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

if TYPE_CHECKING:
    from engine.engine import Engine

_REFERENCE = re.compile(r"\{\{resolve:([a-z-]+):([^}]*)\}\}")


def resolve_dynamic(engine: Engine, value: Any) -> Any:
    """`value` with every dynamic reference in its strings replaced by what it names."""
    if isinstance(value, str):
        if "{{resolve:" not in value:
            return value
        return _REFERENCE.sub(lambda match: _lookup(engine, match.group(1), match.group(2)), value)
    if isinstance(value, dict):
        return {k: resolve_dynamic(engine, v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_dynamic(engine, v) for v in value]
    return value


def _lookup(engine: Engine, service: str, reference: str) -> str:
    if service != "secretsmanager" or "secretsmanager" not in engine.available_services():
        raise ServiceError(
            "ValidationError",
            f"Dynamic reference {{{{resolve:{service}:{reference}}}}} is not supported in the lab",
        )
    # secret-id[:SecretString[:json-key[:version-stage[:version-id]]]]; an ARN has colons.
    if reference.startswith("arn:"):
        parts = reference.split(":")
        secret_id, rest = ":".join(parts[:7]), parts[7:]
    else:
        secret_id, *rest = reference.split(":")
    json_key = rest[1] if len(rest) > 1 else ""
    params: dict[str, Any] = {"SecretId": secret_id}
    if len(rest) > 2 and rest[2]:
        params["VersionStage"] = rest[2]
    if len(rest) > 3 and rest[3]:
        params["VersionId"] = rest[3]
    secrets: Any = engine.service("secretsmanager")
    try:
        secret = secrets.get_secret_value(params)["SecretString"]
    except ServiceError:
        raise ServiceError(
            "ValidationError", "Secrets Manager can't find the specified secret."
        ) from None
    if not json_key:
        return secret
    try:
        return str(json.loads(secret)[json_key])
    except (ValueError, KeyError, TypeError):
        raise ServiceError(
            "ValidationError", f"Could not find SecretString key {json_key} in the secret"
        ) from None
