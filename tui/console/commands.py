"""The AWS CLI's view of botocore's models: kebab-case operations and `--options` per operation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from botocore import xform_name
from botocore.model import Shape

from engine.model import operation_model, service_model

#: Options every service command accepts, as the AWS CLI spells them, with what they do.
GLOBAL_OPTIONS: dict[str, str] = {
    "--query": "JMESPath query applied to the result before it is shown",
    "--output": "output format: json, table, text or yaml",
    "--cli-input-json": "read the operation's parameters from JSON (text or file://)",
    "--cli-binary-format": "how blob values are read: base64 (default) or raw-in-base64-out",
}

OUTPUT_FORMATS = ("json", "table", "text", "yaml")

#: Options the AWS CLI renames (awscli/customizations/argrename.py), for the services here:
#: (service, operation or "*", member) → the CLI's option name.
ARGUMENT_RENAMES: dict[tuple[str, str, str], str] = {
    ("sns", "Subscribe", "Endpoint"): "--notification-endpoint",
    ("apigateway", "CreateRestApi", "Version"): "--api-version",
    ("apigatewayv2", "CreateApi", "Version"): "--api-version",
    ("apigatewayv2", "UpdateApi", "Version"): "--api-version",
    ("stepfunctions", "SendTaskSuccess", "output"): "--task-output",
    ("schemas", "*", "Version"): "--schema-version",
}

#: Options the AWS CLI adds for a member nested one level down (`--zip-file` → `Code.ZipFile`).
NESTED_OPTIONS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("lambda", "CreateFunction"): {"--zip-file": ("Code", "ZipFile")},
    ("lambda", "PublishLayerVersion"): {"--zip-file": ("Content", "ZipFile")},
}

#: The AWS CLI's command names that differ from boto3's service names.
SERVICE_ALIASES: dict[str, str] = {"s3api": "s3"}
BINARY_FORMATS = ("base64", "raw-in-base64-out")


@dataclass(slots=True, frozen=True)
class Argument:
    """One `--option` of an operation: the input member it sets and the member's shape."""

    cli_name: str  # "--queue-url"
    member: str  # "QueueUrl"
    shape: Shape
    required: bool
    negated: bool = False  # True for the `--no-flag` spelling of a boolean

    @property
    def is_flag(self) -> bool:
        """Whether the option takes no value (a boolean member)."""
        return self.shape.type_name == "boolean"

    @property
    def takes_many(self) -> bool:
        """Whether the option swallows several words (`--attribute-names A B C`)."""
        return self.shape.type_name == "list"


def kebab(name: str) -> str:
    """The AWS CLI's kebab-case spelling of a model name (`ReceiveMessage` → `receive-message`)."""
    return xform_name(name, "-")


@cache
def operation_table(service: str) -> dict[str, str]:
    """kebab-case operation → the model's operation name, for one service."""
    return {kebab(op): op for op in service_model(service).operation_names}


@cache
def arguments(service: str, operation: str) -> dict[str, Argument]:
    """Every `--option` of one operation (model name), booleans also as `--no-option`."""
    shape = operation_model(service, operation).input_shape
    if shape is None:
        return {}
    required = set(shape.required_members)
    table: dict[str, Argument] = {}
    for member, member_shape in shape.members.items():
        cli = (
            ARGUMENT_RENAMES.get((service, operation, member))
            or ARGUMENT_RENAMES.get((service, "*", member))
            or "--" + kebab(member)
        )
        table[cli] = Argument(cli, member, member_shape, member in required)
        if member_shape.type_name == "boolean":
            negated = "--no-" + kebab(member)
            table[negated] = Argument(negated, member, member_shape, False, negated=True)
    for cli, (outer, inner) in NESTED_OPTIONS.get((service, operation), {}).items():
        # The member is dotted (`Code.ZipFile`); the parser nests the value under `outer`.
        inner_shape = shape.members[outer].members[inner]
        table[cli] = Argument(cli, f"{outer}.{inner}", inner_shape, False)
    return table


@cache
def required_arguments(service: str, operation: str) -> tuple[str, ...]:
    """The `--options` an operation cannot run without, in model order."""
    return tuple(a.cli_name for a in arguments(service, operation).values() if a.required)


def type_label(shape: Shape) -> str:
    """A short human name for a shape's type (`string`, `list of string`, `map`, `structure`)."""
    kind = shape.type_name
    if kind == "list":
        return f"list of {type_label(shape.member)}"
    if kind == "map":
        return f"map of {type_label(shape.key)} to {type_label(shape.value)}"
    if kind == "string" and shape.enum:
        return "one of " + "|".join(shape.enum[:6]) + ("|…" if len(shape.enum) > 6 else "")
    if kind == "structure" and shape.metadata.get("document"):
        return "JSON document"
    return kind
