"""Names, ARNs, validation helpers and boto3-shaped descriptions of Lambda resources."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from engine.errors import ServiceError

from .models import Alias, Function, FunctionVersion

_FUNCTION_REF = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:)?(?:(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9-_]+)"
    r"(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$"
)
_ROLE = re.compile(r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
_ROLE_PATTERN_TEXT = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
_ENV_NAME = re.compile(r"^[a-zA-Z]([a-zA-Z0-9_])+$")

#: Variables the runtime sets that a function may not override.
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
ENVIRONMENT_LIMIT = 4096


def invalid(message: str) -> ServiceError:
    """InvalidParameterValueException (400)."""
    return ServiceError("InvalidParameterValueException", message)


def not_found(message: str) -> ServiceError:
    """ResourceNotFoundException (404)."""
    return ServiceError("ResourceNotFoundException", message, status_code=404)


def conflict(message: str) -> ServiceError:
    """ResourceConflictException (409)."""
    return ServiceError("ResourceConflictException", message, status_code=409)


_parsed_refs: dict[str, tuple[str, str | None]] = {}


def parse_function_ref(text: str) -> tuple[str, str | None]:
    """A FunctionName (name, partial or full ARN, maybe qualified) → (name, qualifier)."""
    parsed = _parsed_refs.get(text)
    if parsed is not None:
        return parsed
    match = _FUNCTION_REF.match(text)
    if match is None:
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{text}' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?"
            r"(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?",
        )
    parsed = match["name"], match["qualifier"]
    if len(_parsed_refs) >= 4096:  # a bounded memo: names repeat, the regex is the cost
        _parsed_refs.clear()
    _parsed_refs[text] = parsed
    return parsed


def check_role(role: str) -> None:
    """AWS's pattern check of an execution role ARN."""
    if not _ROLE.match(role):
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{role}' at 'role' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {_ROLE_PATTERN_TEXT}",
        )


def check_environment(variables: dict[str, str]) -> None:
    """Reserved names, name pattern and the 4 KB total AWS enforces."""
    reserved = sorted(name for name in variables if name in RESERVED_VARIABLES)
    if reserved:
        raise invalid(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            f"for modification. Reserved keys used in this request: {', '.join(reserved)}"
        )
    for name in variables:
        if not _ENV_NAME.match(name):
            raise ServiceError(
                "ValidationException",
                "1 validation error detected: Value at 'environment.variables' failed to satisfy "
                "constraint: Map keys must satisfy constraint: [Member must satisfy regular "
                "expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]",
            )
    import json

    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode()) > ENVIRONMENT_LIMIT:
        raise invalid(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided exceeded the 4KB limit. String measured: " + measured
        )


def timestamp_text(epoch: float) -> str:
    """FunctionConfiguration.LastModified: 2026-01-01T00:00:00.000+0000."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def configuration(function: Function, version: FunctionVersion) -> dict:
    """FunctionConfiguration as GetFunctionConfiguration returns it."""
    arn = function.arn if version.version == "$LATEST" else f"{function.arn}:{version.version}"
    config: dict = {
        "FunctionName": function.name,
        "FunctionArn": arn,
        "Runtime": version.runtime,
        "Role": version.role,
        "Handler": version.handler,
        "CodeSize": version.code_size,
        "Description": version.description,
        "Timeout": version.timeout,
        "MemorySize": version.memory,
        "LastModified": version.last_modified,
        "CodeSha256": version.code_sha256,
        "Version": version.version,
        "TracingConfig": {"Mode": version.tracing_mode},
        "RevisionId": version.revision_id,
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": list(version.architectures),
        "EphemeralStorage": {"Size": version.ephemeral_storage},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "RuntimeVersionConfig": {
            "RuntimeVersionArn": f"arn:aws:lambda:{arn.split(':')[3]}::runtime:" + "0" * 64
        },
        "LoggingConfig": {"LogFormat": version.log_format, "LogGroup": function.logs.group},
    }
    if version.environment:
        config["Environment"] = {"Variables": dict(version.environment)}
    if version.dead_letter_arn:
        config["DeadLetterConfig"] = {"TargetArn": version.dead_letter_arn}
    return config


def alias_description(alias: Alias) -> dict:
    """AliasConfiguration."""
    described: dict = {
        "AliasArn": alias.arn,
        "Name": alias.name,
        "FunctionVersion": alias.version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.additional:
        described["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.additional)}
    return described
