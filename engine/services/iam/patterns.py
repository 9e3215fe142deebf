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
    """Check top-level string parameters against the model's patterns, as IAM and STS do."""
    checks = _pattern_checks(service, snake)
    if not checks:
        return method

    def checked(params: dict) -> Any:
        for member, label, pattern, text in checks:
            value = params.get(member)
            if isinstance(value, str) and pattern.fullmatch(value) is None:
                raise ServiceError(
                    "ValidationError",
                    f"1 validation error detected: Value '{value}' at '{label}' failed to "
                    f"satisfy constraint: Member must satisfy regular expression pattern: {text}",
                )
        return method(params)

    return checked


@cache
def _pattern_checks(service: str, snake: str) -> tuple[tuple[str, str, re.Pattern[str], str], ...]:
    model_name = operations(service)[snake]
    shape = service_model(service).operation_model(model_name).input_shape
    if shape is None:
        return ()
    checks = []
    for member, member_shape in shape.members.items():
        text = member_shape.metadata.get("pattern")
        if member_shape.type_name != "string" or not text or "PolicyDocument" in member:
            continue
        try:
            pattern = re.compile(text, re.ASCII)
        except re.error:  # Java-only syntax (\p{…}) that Python's re does not speak
            continue
        checks.append((member, member[:1].lower() + member[1:], pattern, text))
    return tuple(checks)
