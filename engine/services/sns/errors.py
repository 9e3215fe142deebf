"""SNS's error shapes: AWS's codes, statuses and message wording."""

from __future__ import annotations

import json
import re

from engine.errors import ServiceError


def invalid(reason: str) -> ServiceError:
    """InvalidParameter with AWS's "Invalid parameter: …" prefix."""
    return ServiceError("InvalidParameter", f"Invalid parameter: {reason}")


def invalid_raw(message: str) -> ServiceError:
    """InvalidParameter whose message AWS gives without the usual prefix."""
    return ServiceError("InvalidParameter", message)


def not_found(message: str) -> ServiceError:
    """NotFound (HTTP 404), e.g. "Topic does not exist"."""
    return ServiceError("NotFound", message, status_code=404)


def attribute_value_invalid(name: str, value: str) -> ServiceError:
    """ParameterValueInvalid for a message attribute."""
    return ServiceError("ParameterValueInvalid", value.replace("{name}", name))


def check_arn(arn: str, parameter: str) -> list[str]:
    """The ARN's colon-separated parts, or AWS's error for a malformed one."""
    if not arn:
        raise invalid(f"{parameter} Reason: no value for required parameter")
    parts = arn.split(":")
    if len(parts) < 6:
        raise invalid(f"{parameter} Reason: An ARN must have at least 6 elements, not {len(parts)}")
    return parts


_TOKEN = re.compile(r"[A-Za-z0-9_$-]+")
_SOURCE = "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); "


def parse_json(text: str, attribute: str) -> object:
    """Parse an attribute's JSON, raising AWS's (Jackson-worded) parse error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise invalid(
            f"{attribute}: failed to parse JSON. {jackson_message(text, error)}"
        ) from None


def jackson_message(text: str, error: json.JSONDecodeError) -> str:
    """AWS's JSON parser (Jackson) wording for the error Python's parser found."""
    pos = error.pos
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    if pos >= len(text):
        return f"Unexpected end-of-input{_SOURCE}line: {line}, column: {column}]"
    char = text[pos]
    if error.msg.startswith("Expecting property name"):
        what = "was expecting double-quote to start field name"
        return f"Unexpected character ('{char}' (code {ord(char)})): {what}{_SOURCE}line: {line}, column: {column}]"
    token = _TOKEN.match(text, pos)
    if token and (char.isalpha() or char == "_"):
        word = token.group(0)
        expecting = (
            "was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
        )
        end_column = column + len(word)
        return (
            f"Unrecognized token '{word}': {expecting}{_SOURCE}line: {line}, column: {end_column}]"
        )
    return (
        f"Unexpected character ('{char}' (code {ord(char)})): expected a valid value"
        f"{_SOURCE}line: {line}, column: {column}]"
    )
