"""EventBridge's errors in AWS's words, and the name checks botocore's model leaves to the server."""

from __future__ import annotations

import re

from ...errors import ServiceError

NAME_PATTERN = r"[\.\-_A-Za-z0-9]+"
BUS_NAME_PATTERN = r"[/\.\-_A-Za-z0-9]+"
_NAME = re.compile(NAME_PATTERN)
_BUS_NAME = re.compile(BUS_NAME_PATTERN)


def validation(message: str) -> ServiceError:
    """ValidationException with `message`."""
    return ServiceError("ValidationException", message)


def not_found(message: str) -> ServiceError:
    """ResourceNotFoundException with `message`."""
    return ServiceError("ResourceNotFoundException", message)


def already_exists(message: str) -> ServiceError:
    """ResourceAlreadyExistsException with `message`."""
    return ServiceError("ResourceAlreadyExistsException", message)


def bus_not_found(name: str) -> ServiceError:
    """The event bus does not exist."""
    return not_found(f"Event bus {name} does not exist.")


def rule_not_found(name: str, bus_name: str) -> ServiceError:
    """The rule does not exist on that bus."""
    return not_found(f"Rule {name} does not exist on EventBus {bus_name}.")


def check_patterns(checks: list[tuple[str | None, str, str]]) -> None:
    """Raise AWS's ValidationException for values that break their model regex.

    Each check is (value or None, AWS's path of the parameter, "name" or "bus").
    """
    problems: list[str] = []
    for value, path, kind in checks:
        if value is None:
            continue
        regex, text = (_BUS_NAME, BUS_NAME_PATTERN) if kind == "bus" else (_NAME, NAME_PATTERN)
        if regex.fullmatch(value) is None:
            problems.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {text}"
            )
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise validation(f"{count} validation {noun} detected: " + "; ".join(problems))
