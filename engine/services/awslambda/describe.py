"""Names, ARNs, validation helpers and boto3-shaped descriptions of Lambda resources."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from engine.errors import ServiceError

from .models import Alias, Function, FunctionVersion

_FUNCTION_REF = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:)?"
    r"(?:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9-_.]+)"
    r"(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$"
)
#: botocore's pattern of NamespacedFunctionName, quoted in AWS's validation messages.
_FUNCTION_REF_PATTERN_TEXT = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)
#: The longest function name (the last part of a FunctionName ARN).
NAME_LIMIT = 64
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


def user_error(code: str, message: str, status_code: int = 400) -> ServiceError:
    """A Lambda error the caller caused: AWS marks those `"Type": "User"` in the body."""
    return ServiceError(code, message, status_code=status_code, extra={"Type": "User"})


def invalid(message: str) -> ServiceError:
    """InvalidParameterValueException (400)."""
    return user_error("InvalidParameterValueException", message)


def not_found(message: str) -> ServiceError:
    """ResourceNotFoundException (404)."""
    return user_error("ResourceNotFoundException", message, 404)


def conflict(message: str) -> ServiceError:
    """ResourceConflictException (409)."""
    return user_error("ResourceConflictException", message, 409)


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
            + _FUNCTION_REF_PATTERN_TEXT,
        )
    parsed = match["name"], match["qualifier"]
    if len(_parsed_refs) >= 4096:  # a bounded memo: names repeat, the regex is the cost
        _parsed_refs.clear()
    _parsed_refs[text] = parsed
    return parsed


def check_name_length(name: str) -> None:
    """CreateFunction's limit on the name itself (AWS answers InvalidParameterValueException)."""
    if len(name) > NAME_LIMIT:
        raise invalid(
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy "
            f"constraint: Member must have length less than or equal to {NAME_LIMIT}"
        )


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


#: What CreateFunction and the Update* calls answer: the change has begun, not finished.
CREATING = "creating"
UPDATING = "updating"
_BEING_CREATED = "The function is being created."


def configuration(
    function: Function,
    version: FunctionVersion,
    phase: str | None = None,
    qualifier: str | None = None,
) -> dict:
    """FunctionConfiguration as GetFunctionConfiguration returns it.

    `phase` is CREATING for CreateFunction's answer (State Pending) and UPDATING for an update's
    (LastUpdateStatus InProgress); the lab finishes both at once, so later reads show them done.
    A read through a qualifier (`$LATEST`, an alias) reports the ARN qualified with it.
    """
    if qualifier:
        arn = f"{function.arn}:{qualifier}"
    elif version.version == "$LATEST":
        arn = function.arn
    else:
        arn = f"{function.arn}:{version.version}"
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
    if phase == CREATING:
        del config["LastUpdateStatus"]
        config["State"] = "Pending"
        config["StateReason"] = _BEING_CREATED
        config["StateReasonCode"] = "Creating"
    elif phase == UPDATING:
        config["LastUpdateStatus"] = "InProgress"
        config["LastUpdateStatusReason"] = _BEING_CREATED
        config["LastUpdateStatusReasonCode"] = "Creating"
    if version.log_format == "JSON":
        config["LoggingConfig"]["ApplicationLogLevel"] = version.app_log_level
        config["LoggingConfig"]["SystemLogLevel"] = version.system_log_level
    if version.environment or version.environment_set:
        config["Environment"] = {"Variables": dict(version.environment)}
    if version.dead_letter_arn:
        config["DeadLetterConfig"] = {"TargetArn": version.dead_letter_arn}
    return config


#: Members a ListFunctions item leaves out (AWS reports them only for one function).
_NOT_LISTED = ("State", "LastUpdateStatus", "RuntimeVersionConfig")


def listed(config: dict) -> dict:
    """A FunctionConfiguration as ListFunctions and ListVersionsByFunction show it."""
    for key in _NOT_LISTED:
        config.pop(key, None)
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
