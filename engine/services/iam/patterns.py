"""Server-side pattern checks on top-level string parameters, with IAM's and STS's message."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from ...errors import ServiceError
from ...model import operations, service_model

Operation = Callable[[dict], Any]


def with_patterns(service: str, snake: str, method: Operation) -> Operation:
    """Check top-level string parameters against the model's patterns and enums, as IAM and
    STS do server-side (STS quotes the value in its message, IAM does not)."""
    checks = _pattern_checks(service, snake)
    if not checks:
        return method
    quoted = service == "sts"

    def checked(params: dict) -> Any:
        for member, label, pattern, text, enum in checks:
            value = params.get(member)
            if not isinstance(value, str):
                continue
            shown = f"Value '{value}'" if quoted else "Value"
            if enum and value not in enum:
                raise ServiceError(
                    "ValidationError",
                    f"1 validation error detected: {shown} at '{label}' failed to satisfy "
                    "constraint: Member must satisfy enum value set",
                )
            if pattern is not None and pattern.fullmatch(value) is None:
                raise ServiceError(
                    "ValidationError",
                    f"1 validation error detected: {shown} at '{label}' failed to "
                    f"satisfy constraint: Member must satisfy regular expression pattern: {text}",
                )
        return method(params)

    return checked


@cache
def _pattern_checks(
    service: str, snake: str
) -> tuple[tuple[str, str, re.Pattern[str] | None, str, frozenset[str]], ...]:
    model_name = operations(service)[snake]
    shape = service_model(service).operation_model(model_name).input_shape
    if shape is None:
        return ()
    checks = []
    for member, member_shape in shape.members.items():
        if member_shape.type_name != "string" or "PolicyDocument" in member:
            continue
        text = member_shape.metadata.get("pattern") or ""
        enum = frozenset(member_shape.enum or ())
        pattern = None
        if text:
            try:
                pattern = re.compile(text, re.ASCII)
            except re.error:  # Java-only syntax (\p{…}) that Python's re does not speak
                pattern = None
        if pattern is None and not enum:
            continue
        checks.append((member, member[:1].lower() + member[1:], pattern, text, enum))
    return tuple(checks)
