"""The lab file's schema: the envelope, each service's structure, and the bulky arrays' items.

Validation runs on the whole file before anything in the current lab changes. Errors name the JSON
path inside the file (`services.sqs.queues[3].attributes.DelaySeconds: expected a number`).
Schemas are compiled with fastjsonschema: a million messages validate in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastjsonschema

from .jsonstream import FileFormatError, json_path

FORMAT = "pipework-lab"
#: 1: the first format (no origin, no executions). 2: origin, bytes as {"$b64"}, SQS message
#: deadlines as remaining seconds, FIFO deduplication, Step Functions executions.
VERSION = 2
OLDEST_VERSION = 1

_STR = {"type": "string"}
_NUM = {"type": "number"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_OBJ = {"type": "object"}
_ARR = {"type": "array"}
_OPT_STR = {"type": ["string", "null"]}
_OPT_NUM = {"type": ["number", "null"]}
_STR_MAP = {"type": "object", "additionalProperties": _STR}


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


_MESSAGE_ATTRIBUTE = _obj(
    {"DataType": _STR},
    {"StringValue": _STR, "BinaryValue": {}, "StringListValues": _ARR, "BinaryListValues": _ARR},
)

SQS_MESSAGE = _obj(
    {"id": _STR, "body": _STR, "sent_at": _NUM},
    {
        "attributes": {"type": ["object", "null"], "additionalProperties": _MESSAGE_ATTRIBUTE},
        "system_attributes": {"type": ["object", "null"]},
        "receive_count": _INT,
        "receive_generation": _INT,
        "first_receive_at": _OPT_NUM,
        "received_at": _NUM,
        "group_id": _OPT_STR,
        "dedup_id": _OPT_STR,
        "sequence_number": _OPT_STR,
        "dead_letter_source": _OPT_STR,
        "trace_id": _OPT_STR,
        "state": {"enum": ["visible", "delayed", "in_flight"]},
        "remaining": _NUM,
    },
)

_SQS_ATTRIBUTES = {
    "type": "object",
    "properties": {
        name: {"type": ["number", "string"], "pattern": r"^-?[0-9]+$"}
        for name in (
            "DelaySeconds",
            "MaximumMessageSize",
            "MessageRetentionPeriod",
            "ReceiveMessageWaitTimeSeconds",
            "VisibilityTimeout",
            "KmsDataKeyReusePeriodSeconds",
        )
    },
    "additionalProperties": {"type": ["string", "number", "boolean"]},
}

SQS = _obj(
    {
        "queues": {
            "type": "array",
            "items": _obj(
                {"name": _STR},
                {
                    "attributes": _SQS_ATTRIBUTES,
                    "fifo": _BOOL,
                    "tags": _STR_MAP,
                    "policy": {},
                    "messages": _ARR,
                    "dedup": {
                        "type": "array",
                        "items": {
                            "type": "array",
                            "items": [_STR, _NUM, _STR, _OPT_STR],
                            "minItems": 4,
                        },
                    },
                },
            ),
        }
    },
    {"saved_at": _NUM},
)

KINESIS_RECORD = {
    "type": "array",
    "items": [_STR, _NUM, _STR, _STR, _BOOL],
    "minItems": 5,
}

KINESIS = _obj(
    {
        "streams": {
            "type": "array",
            "items": _obj(
                {"name": _STR, "arn": _STR, "shards": {"type": "array", "items": _OBJ}},
                {"tags": _STR_MAP, "consumers": _ARR, "retention_hours": _INT},
            ),
        }
    }
)

STEPFUNCTIONS = _obj(
    {"stateMachines": {"type": "array", "items": _obj({"name": _STR, "definition": _STR})}},
    {
        "activities": {"type": "array", "items": _STR},
        "executions": {
            "type": "array",
            "items": _obj(
                {"arn": _STR, "name": _STR, "machine_arn": _STR, "status": _STR, "started": _NUM},
                {"history": {"type": ["array", "null"]}, "resume": {"type": ["object", "null"]}},
            ),
        },
    },
)

S3 = _obj(
    {
        "buckets": {
            "type": "array",
            "items": _obj(
                {"name": _STR},
                {
                    "objects": {
                        "type": "array",
                        "items": _obj({"key": _STR, "body": _STR, "version_id": _OPT_STR}),
                    }
                },
            ),
        }
    }
)

DYNAMODB = _obj({"tables": {"type": "array", "items": _obj({"name": _STR})}})

LAMBDA = _obj(
    {},
    {
        "functions": {
            "type": "array",
            "items": _obj({"name": _STR, "latest": _obj({"handler": _STR}, {"runtime": _OPT_STR})}),
        },
        "mappings": {
            "type": "array",
            "items": _obj({"uuid": _STR, "source_arn": _STR, "function_name": _STR}),
        },
    },
)

SNS = _obj({}, {"topics": {"type": "array", "items": _obj({"name": _STR, "fifo": _BOOL})}})

SERVICES: dict[str, dict[str, Any]] = {
    "sqs": SQS,
    "sns": SNS,
    "kinesis": KINESIS,
    "stepfunctions": STEPFUNCTIONS,
    "s3": S3,
    "dynamodb": DYNAMODB,
    "lambda": LAMBDA,
}

ORIGIN = _obj({"machine": _STR, "user": _STR}, {"host": _STR})


def lab_schema(known_services: list[str]) -> dict[str, Any]:
    """The whole file: envelope, origin and one section per emulated service."""
    return {
        "type": "object",
        "required": ["format", "version", "services"],
        "properties": {
            "format": {"const": FORMAT},
            "version": _INT,
            "time": _NUM,
            "origin": ORIGIN,
            "ids_seed": _INT,
            "services": {
                "type": "object",
                "properties": {name: SERVICES.get(name, _OBJ) for name in known_services},
                "additionalProperties": False,
            },
        },
    }


#: ijson prefixes of the bulky arrays (read lazily) → the schema of one item.
BULK = {
    "services.sqs.queues.item.messages": SQS_MESSAGE,
    "services.kinesis.streams.item.shards.item.records": KINESIS_RECORD,
}

_WORDS = {
    "number": "a number",
    "integer": "an integer",
    "string": "text",
    "object": "an object",
    "array": "a list",
    "boolean": "true or false",
    "null": "null",
}


def _explain(error: fastjsonschema.JsonSchemaValueException) -> str:
    rule, definition = error.rule, error.rule_definition
    if rule == "type":
        kinds = definition if isinstance(definition, list) else [definition]
        return "expected " + " or ".join(_WORDS.get(k, k) for k in kinds)
    if rule == "required":
        return "missing " + ", ".join(str(k) for k in definition)
    if rule == "const":
        return f"expected {definition!r}"
    if rule == "enum":
        return "expected one of " + ", ".join(repr(v) for v in definition)
    if rule == "additionalProperties":
        return "has a member this build does not know"
    if rule == "pattern":
        return "expected a whole number"
    if rule == "minItems":
        return f"expected at least {definition} entries"
    return error.message.split(" ", 1)[-1]


def _path_of(error: fastjsonschema.JsonSchemaValueException) -> list[Any]:
    parts: list[Any] = []
    for part in (error.path or [])[1:]:
        parts.append(int(part) if isinstance(part, str) and part.isdigit() else part)
    return parts


def compile_check(schema: dict[str, Any]) -> Callable[[Any, list[Any]], None]:
    """A checker for one value found at a path: raises FileFormatError naming the path."""
    validate = fastjsonschema.compile(schema)

    def check(value: Any, base: list[Any]) -> None:
        try:
            validate(value)
        except fastjsonschema.JsonSchemaValueException as error:
            inner = _path_of(error)
            where = [*base, *inner]
            detail = _explain(error)
            if error.rule == "additionalProperties" and isinstance(value, dict):
                where = _unknown_member(value, where, schema)
            elif error.rule == "required":
                found = _at(value, inner)
                if isinstance(found, dict):
                    missing = [key for key in error.rule_definition if key not in found]
                    detail = "missing " + ", ".join(missing)
            raise FileFormatError(json_path(where), detail) from None

    return check


def _at(value: Any, parts: list[Any]) -> Any:
    for part in parts:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _unknown_member(value: Any, where: list[Any], schema: dict[str, Any]) -> list[Any]:
    """Point at the unknown service rather than at `services`."""
    if where == ["services"] and isinstance(value.get("services"), dict):
        known = schema["properties"]["services"]["properties"]
        for name in value["services"]:
            if name not in known:
                return ["services", name]
    return where
