"""What a resource provider is: create, update and delete one resource type through the lab's APIs."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from engine.errors import ServiceError
from engine.model import service_model

if TYPE_CHECKING:
    from engine.client import Client
    from engine.engine import Engine

_NAME_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(slots=True)
class Request:
    """One resource operation: its logical id, resolved properties and what exists already."""

    logical_id: str
    stack_name: str
    properties: dict[str, Any]
    physical_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)
    stack_id: str = ""
    tags: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class Outcome:
    """What a create or update made: the physical id (what Ref returns) and Fn::GetAtt values."""

    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)


class Provider(ABC):
    """Creates, updates and deletes resources of one type by calling the lab's own services.

    The physical id is what `Ref` returns; `attributes` are what `Fn::GetAtt` reads. `update`
    is called only for changes that do not need replacement (create-only properties are
    handled by the engine, which creates a new resource and deletes the old one).
    """

    type_name: ClassVar[str] = ""
    #: The property that names the resource (a generated name is used when it is absent).
    name_property: ClassVar[str | None] = None
    name_max: ClassVar[int] = 64
    #: The lab service the provider needs (the type is unrecognized while it is not emulated).
    requires: ClassVar[str | None] = None
    name_lower: ClassVar[bool] = False

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def client(self, service: str) -> Client:
        """The lab's public client for `service`."""
        return self.engine.client(service)

    async def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Call `service`'s `operation` (snake_case) with the params its input shape accepts."""
        shape = input_shape(service, operation)
        accepted = conform(shape, {k: v for k, v in params.items() if v is not None})
        return await getattr(self.client(service), operation)(**accepted)

    def arn(self, service: str, resource: str) -> str:
        """An ARN in the lab's region and account."""
        return f"arn:aws:{service}:{self.engine.region}:{self.engine.account_id}:{resource}"

    # -- the three operations --------------------------------------------------------------
    @abstractmethod
    async def create(self, request: Request) -> Outcome:
        """Make the resource."""

    async def update(self, request: Request) -> Outcome:
        """Change the resource in place; the default replaces what update cannot reach."""
        await self.delete(request)
        return await self.create(request)

    async def delete(self, request: Request) -> None:
        """Remove the resource (a resource that is already gone is not an error)."""

    # -- helpers -----------------------------------------------------------------------------
    def name(self, request: Request, *, suffix: str = "") -> str:
        """The resource's name: its name property, or one made as CloudFormation makes them."""
        if self.name_property:
            given = request.properties.get(self.name_property)
            if given:
                return str(given)
        return self.generated_name(request, suffix=suffix)

    def generated_name(self, request: Request, *, suffix: str = "") -> str:
        """`{stack}-{logical id}-{13 random characters}`, cut to fit the type's limit."""
        choice = self.engine.ids._random.choice
        token = "".join(choice(_NAME_ALPHABET) for _ in range(13))
        room = self.name_max - len(token) - len(suffix) - 2
        stack, logical = request.stack_name, request.logical_id
        if len(stack) + len(logical) > room:
            stack = stack[: max(room // 2, room - len(logical))]
            logical = logical[: max(0, room - len(stack))]
        name = f"{stack}-{logical}-{token}{suffix}"
        return name.lower() if self.name_lower else name


@cache
def input_shape(service: str, operation: str) -> Any:
    """The input shape of an operation (snake_case), from botocore's model."""
    from botocore import xform_name

    model = service_model(service)
    for name in model.operation_names:
        if xform_name(name) == operation:
            return model.operation_model(name).input_shape
    raise KeyError(f"{service} has no operation {operation}")


_TRUE = ("true", "1", "yes")


def conform(shape: Any, value: Any) -> Any:
    """`value` shaped for the API: members the API lacks dropped, scalars in the shape's type.

    CloudFormation's resource schemas carry properties the API has no member for (and accept
    "5" for a number, "true" for a boolean); the API call gets only what it understands.
    """
    if shape is None:
        return value
    kind = shape.type_name
    try:
        if kind == "structure":
            if not isinstance(value, dict) or shape.metadata.get("document"):
                return value
            return {
                k: conform(shape.members[k], v)
                for k, v in value.items()
                if k in shape.members and v is not None
            }
        if kind == "list":
            return [conform(shape.member, v) for v in value] if isinstance(value, list) else value
        if kind == "map":
            return (
                {k: conform(shape.value, v) for k, v in value.items()}
                if isinstance(value, dict)
                else value
            )
        if kind in ("integer", "long") and isinstance(value, str):
            return int(float(value))
        if kind in ("float", "double") and isinstance(value, str):
            return float(value)
        if kind == "boolean" and isinstance(value, str):
            return value.lower() in _TRUE
        if kind == "string" and isinstance(value, (bool, int, float)):
            return stringify(value)
    except (TypeError, ValueError):
        return value
    return value


def lower_camel(properties: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's PascalCase property names in API Gateway's lowerCamelCase."""
    return {key[:1].lower() + key[1:]: value for key, value in properties.items()}


async def ignore_missing(call: Any, *codes: str) -> None:
    """Await `call`, treating "it is gone already" errors as done."""
    try:
        await call
    except ServiceError as error:
        gone = codes or (
            "ResourceNotFoundException",
            "NotFoundException",
            "NotFound",
            "NoSuchBucket",
            "AWS.SimpleQueueService.NonExistentQueue",
            "QueueDoesNotExist",
            "StateMachineDoesNotExist",
        )
        if error.code not in gone:
            raise


def json_text(value: Any) -> str:
    """A property that AWS takes as JSON text but templates may give as an object."""
    return value if isinstance(value, str) else json.dumps(value)


def tag_list(
    properties: dict[str, Any], key: str = "Tags", stack: Request | None = None
) -> list[dict[str, str]]:
    """Tags as a list of {Key, Value}; with `stack`, also the tags CloudFormation itself puts on
    what a stack creates (aws:cloudformation:stack-name, logical-id, stack-id, the stack's tags)."""
    tags = properties.get(key) or []
    if isinstance(tags, dict):
        own = [{"Key": k, "Value": str(v)} for k, v in tags.items()]
    else:
        own = [{"Key": t["Key"], "Value": str(t["Value"])} for t in tags]
    if stack is None or not stack.stack_id:
        return own
    given = {t["Key"] for t in own}
    added = [
        {"Key": "aws:cloudformation:stack-name", "Value": stack.stack_name},
        {"Key": "aws:cloudformation:logical-id", "Value": stack.logical_id},
        {"Key": "aws:cloudformation:stack-id", "Value": stack.stack_id},
        *({"Key": t["Key"], "Value": t["Value"]} for t in stack.tags if t["Key"] not in given),
    ]
    return added + own


def tag_map(
    properties: dict[str, Any], key: str = "Tags", stack: Request | None = None
) -> dict[str, str]:
    """Tags as a {key: value} map (with `stack`, CloudFormation's own tags too)."""
    return {t["Key"]: t["Value"] for t in tag_list(properties, key, stack)}


def pick(properties: dict[str, Any], *names: str) -> dict[str, Any]:
    """The given properties that are present, under the same names."""
    return {name: properties[name] for name in names if name in properties}


def stringify(value: Any) -> str:
    """A scalar as the string an attributes map carries."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return (
        value
        if isinstance(value, str)
        else json.dumps(value)
        if isinstance(value, (dict, list))
        else str(value)
    )
