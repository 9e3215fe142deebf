"""AppSync schemas on graphql-core: AppSync's scalars and directives, types, introspection.

graphql-core is imported here only, and this module only when an API's schema is first built.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from ipaddress import ip_network
from typing import Any

import graphql
from graphql import (
    GraphQLError,
    GraphQLScalarType,
    GraphQLSchema,
    build_ast_schema,
    parse,
    print_ast,
)
from graphql.language import DefinitionNode

#: The directives AppSync defines; a schema may use them without declaring them.
DIRECTIVES = """
directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION
directive @aws_api_key on FIELD_DEFINITION | OBJECT
directive @aws_iam on FIELD_DEFINITION | OBJECT
directive @aws_oidc on FIELD_DEFINITION | OBJECT
directive @aws_lambda on FIELD_DEFINITION | OBJECT
directive @aws_cognito_user_pools(cognito_groups: [String]) on FIELD_DEFINITION | OBJECT
directive @aws_auth(cognito_groups: [String]) on FIELD_DEFINITION
"""

#: The auth directives and the authentication type each one allows.
AUTH_DIRECTIVES = {
    "aws_api_key": "API_KEY",
    "aws_iam": "AWS_IAM",
    "aws_oidc": "OPENID_CONNECT",
    "aws_lambda": "AWS_LAMBDA",
    "aws_cognito_user_pools": "AMAZON_COGNITO_USER_POOLS",
    "aws_auth": "AMAZON_COGNITO_USER_POOLS",
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s().-]{3,}$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")


def _text(kind: str, check: Any) -> GraphQLScalarType:
    """A string scalar whose values must pass `check` (AppSync rejects malformed ones)."""

    def parse_value(value: Any) -> Any:
        if not isinstance(value, str) or not check(value):
            raise GraphQLError(f"Can't serialize value: Invalid {kind} value '{value}'")
        return value

    def parse_literal(node: Any, _variables: Any = None) -> Any:
        value = getattr(node, "value", None)
        if not isinstance(node, graphql.StringValueNode):
            raise GraphQLError(f"Invalid {kind} literal")
        return parse_value(value)

    return GraphQLScalarType(
        kind, serialize=parse_value, parse_value=parse_value, parse_literal=parse_literal
    )


def _is(parser: Any) -> Any:
    def check(text: str) -> bool:
        try:
            parser(text)
        except ValueError:
            return False
        return True

    return check


def _datetime(text: str) -> bool:
    return _is(lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")))(text) and (
        text.endswith("Z") or "+" in text[10:] or "-" in text[10:]
    )


def _json_scalar() -> GraphQLScalarType:
    """AWSJSON: a JSON text in variables and literals, a JSON text in results."""

    def serialize(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

    def parse_value(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            json.loads(value)
        except ValueError:
            raise GraphQLError(f"Variable 'AWSJSON' has an invalid value: {value}") from None
        return value

    def parse_literal(node: Any, _variables: Any = None) -> Any:
        if not isinstance(node, graphql.StringValueNode):
            raise GraphQLError("Invalid AWSJSON literal")
        return parse_value(node.value)

    return GraphQLScalarType(
        "AWSJSON", serialize=serialize, parse_value=parse_value, parse_literal=parse_literal
    )


def _timestamp() -> GraphQLScalarType:
    def parse_value(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise GraphQLError(f"Invalid AWSTimestamp value '{value}'")
        return value

    def parse_literal(node: Any, _variables: Any = None) -> int:
        if not isinstance(node, graphql.IntValueNode):
            raise GraphQLError("Invalid AWSTimestamp literal")
        return int(node.value)

    return GraphQLScalarType(
        "AWSTimestamp", serialize=parse_value, parse_value=parse_value, parse_literal=parse_literal
    )


def appsync_scalars() -> dict[str, GraphQLScalarType]:
    """AppSync's scalar types by name."""
    return {
        "AWSDate": _text("AWSDate", _is(lambda t: date.fromisoformat(t.rstrip("Z")))),
        "AWSTime": _text("AWSTime", _is(lambda t: time.fromisoformat(t.rstrip("Z")))),
        "AWSDateTime": _text("AWSDateTime", _datetime),
        "AWSTimestamp": _timestamp(),
        "AWSEmail": _text("AWSEmail", lambda t: bool(_EMAIL.match(t))),
        "AWSJSON": _json_scalar(),
        "AWSURL": _text("AWSURL", lambda t: bool(_URL.match(t))),
        "AWSPhone": _text("AWSPhone", lambda t: bool(_PHONE.match(t))),
        "AWSIPAddress": _text("AWSIPAddress", _is(lambda t: ip_network(t, strict=False))),
    }


_SCALAR_SDL = "".join(f"scalar {name}\n" for name in appsync_scalars())
_BUILTIN_NAMES = {*appsync_scalars(), "aws_subscribe", *AUTH_DIRECTIVES}


class SchemaError(Exception):
    """The SDL does not make a valid AppSync schema (the message says where)."""


class Schema:
    """A built schema: the executable graphql-core schema and the SDL definitions it came from."""

    def __init__(self, sdl: str) -> None:
        try:
            document = parse(sdl)
        except GraphQLError as error:
            raise SchemaError(_describe(error)) from None
        self.definitions: list[DefinitionNode] = [
            d for d in document.definitions if _name(d) not in _BUILTIN_NAMES
        ]
        try:
            full = parse(_SCALAR_SDL + DIRECTIVES + sdl)
            schema = build_ast_schema(full)
        except (GraphQLError, TypeError) as error:
            raise SchemaError(_describe(error)) from None
        errors = graphql.validate_schema(schema)
        if errors:
            raise SchemaError("; ".join(_describe(e) for e in errors))
        for name, scalar in appsync_scalars().items():
            built = schema.type_map[name]
            assert isinstance(built, GraphQLScalarType)
            built.serialize = scalar.serialize  # type: ignore[method-assign]
            built.parse_value = scalar.parse_value  # type: ignore[method-assign]
            built.parse_literal = scalar.parse_literal  # type: ignore[method-assign]
        self.graphql: GraphQLSchema = schema
        self.subscriptions = _subscriptions(schema)

    @property
    def type_count(self) -> int:
        """How many types the SDL defines."""
        return len(self.definitions)

    def type_names(self) -> list[str]:
        """The names of the types the SDL defines, in order."""
        return [n for d in self.definitions if (n := _name(d))]

    def definition(self, name: str) -> DefinitionNode | None:
        """The SDL definition of type `name`."""
        for d in self.definitions:
            if _name(d) == name:
                return d
        return None

    def type_sdl(self, name: str) -> str:
        """One type's definition as SDL."""
        node = self.definition(name)
        return print_ast(node) if node is not None else ""

    def type_json(self, name: str) -> str:
        """One type as AppSync's JSON format (its introspection entry)."""
        for entry in self.introspection()["data"]["__schema"]["types"]:
            if entry["name"] == name:
                return json.dumps(entry)
        return "{}"

    def sdl(self, include_directives: bool = True) -> str:
        """The schema as SDL (AppSync keeps directives unless asked not to)."""
        nodes = self.definitions
        if not include_directives:
            nodes = [_without_directives(n) for n in nodes]
        return "\n\n".join(print_ast(n) for n in nodes) + "\n"

    def introspection(self) -> dict[str, Any]:
        """The standard introspection result, as a GraphQL response."""
        return {"data": graphql.introspection_from_schema(self.graphql)}


def sdl_with(definitions: list[DefinitionNode]) -> str:
    """SDL text from definitions."""
    return "\n\n".join(print_ast(d) for d in definitions) + "\n"


def parse_definition(text: str) -> DefinitionNode:
    """One type definition from SDL text (SchemaError when it is not exactly one)."""
    try:
        document = parse(text)
    except GraphQLError as error:
        raise SchemaError(_describe(error)) from None
    if len(document.definitions) != 1:
        raise SchemaError("The definition must contain exactly one type.")
    return document.definitions[0]


def definition_name(node: DefinitionNode) -> str:
    """A definition's type name."""
    return _name(node) or ""


def _name(node: Any) -> str | None:
    name = getattr(node, "name", None)
    return name.value if name is not None else None


def _without_directives(node: Any) -> Any:
    from graphql.language import REMOVE, Visitor, visit

    class Strip(Visitor):
        def enter_directive(self, *_args: Any) -> Any:
            return REMOVE

    return visit(node, Strip())


def _describe(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error)
    return message.split("\n")[0]


def _subscriptions(schema: GraphQLSchema) -> dict[str, list[str]]:
    """Mutation field → the subscription fields whose `@aws_subscribe` names it."""
    out: dict[str, list[str]] = {}
    subscription = schema.subscription_type
    if subscription is None:
        return out
    for name, field in subscription.fields.items():
        node = field.ast_node
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value != "aws_subscribe":
                continue
            for argument in directive.arguments:
                value = argument.value
                for item in getattr(value, "values", None) or [value]:
                    mutation = getattr(item, "value", None)
                    if isinstance(mutation, str):
                        out.setdefault(mutation, []).append(name)
    return out
