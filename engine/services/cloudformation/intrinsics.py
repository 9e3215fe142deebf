"""Intrinsic functions and pseudo parameters: Ref, Fn::GetAtt, Fn::Sub … resolved against a stack."""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.errors import ServiceError


class _NoValue:
    """`AWS::NoValue`: the property it stands for is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()
#: What a change set shows for a value known only once the resource it names exists.
KNOWN_AFTER_APPLY = "{{changeSet:KNOWN_AFTER_APPLY}}"

PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)
#: Availability zones per region (Fn::GetAZs); other regions get a, b and c.
_AZ_LETTERS = {"us-east-1": "abcdef", "us-west-2": "abcd", "ap-northeast-1": "acd"}
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def template_error(message: str) -> ServiceError:
    """AWS's ValidationError for a template that cannot be evaluated."""
    return ServiceError("ValidationError", f"Template error: {message}")


def availability_zones(region: str) -> list[str]:
    """The region's availability zones, as Fn::GetAZs lists them."""
    return [f"{region}{letter}" for letter in _AZ_LETTERS.get(region, "abc")]


@dataclass(slots=True)
class Scope:
    """What intrinsic functions read: pseudo parameters, parameters, mappings, conditions, resources."""

    region: str
    account_id: str
    stack_name: str
    stack_id: str
    parameters: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    condition_definitions: dict[str, Any] = field(default_factory=dict)
    resource_ids: frozenset[str] = frozenset()
    notification_arns: list[str] = field(default_factory=list)
    #: logical id → Ref value (raise KeyError while unknown).
    ref: Callable[[str], Any] = lambda logical_id: KNOWN_AFTER_APPLY
    #: (logical id, attribute) → value.
    get_att: Callable[[str, str], Any] = lambda logical_id, name: KNOWN_AFTER_APPLY
    #: export name → value.
    import_value: Callable[[str], Any] = lambda name: KNOWN_AFTER_APPLY
    language_extensions: bool = False
    _conditions: dict[str, bool] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)

    @property
    def partition(self) -> str:
        """The partition of the region (aws, aws-cn, aws-us-gov)."""
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    @property
    def url_suffix(self) -> str:
        """The domain suffix of the partition's endpoints."""
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def pseudo(self, name: str) -> Any:
        """A pseudo parameter's value."""
        return {
            "AWS::AccountId": self.account_id,
            "AWS::NotificationARNs": list(self.notification_arns),
            "AWS::NoValue": NO_VALUE,
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::StackId": self.stack_id,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": self.url_suffix,
        }[name]

    def condition(self, name: str) -> bool:
        """The value of condition `name` (evaluated once)."""
        known = self._conditions.get(name)
        if known is not None:
            return known
        if name not in self.condition_definitions:
            raise template_error(f"unresolved condition dependency {name} in Fn::If")
        if name in self._evaluating:
            raise ServiceError(
                "ValidationError", f"Template error: circular condition dependency {name}"
            )
        self._evaluating.add(name)
        value = Resolver(self).resolve(self.condition_definitions[name])
        self._evaluating.discard(name)
        if not isinstance(value, bool):
            value = str(value).lower() == "true"
        self._conditions[name] = value
        return value


class Resolver:
    """Evaluates a template fragment against a scope: every intrinsic function, recursively."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Split": self._split,
            "Fn::Select": self._select,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::And": self._and,
            "Fn::Or": self._or,
            "Fn::Not": self._not,
            "Condition": lambda name: self.scope.condition(name),
            "Fn::FindInMap": self._find_in_map,
            "Fn::ImportValue": lambda name: self.scope.import_value(self.resolve(name)),
            "Fn::GetAZs": lambda region: availability_zones(
                self.resolve(region) or self.scope.region
            ),
            "Fn::Base64": lambda value: base64.b64encode(
                str(self.resolve(value)).encode()
            ).decode(),
            "Fn::Cidr": self._cidr,
            "Fn::Length": self._length,
            "Fn::ToJsonString": self._to_json_string,
        }

    # -- walking ----------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated and AWS::NoValue removed."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                function = self._functions.get(key)
                if function is not None:
                    return function(argument)
            result = {}
            for key, item in value.items():
                resolved = self.resolve(item)
                if resolved is not NO_VALUE:
                    result[key] = resolved
            return result
        if isinstance(value, list):
            return [r for r in (self.resolve(item) for item in value) if r is not NO_VALUE]
        return value

    # -- functions --------------------------------------------------------------------------
    def _ref(self, name: Any) -> Any:
        name = self.resolve(name) if isinstance(name, dict) else name
        if not isinstance(name, str):
            raise template_error("Ref requires a string argument")
        scope = self.scope
        if name in scope.parameters:
            return scope.parameters[name]
        if name in PSEUDO_PARAMETERS:
            return scope.pseudo(name)
        if name in scope.resource_ids:
            return scope.ref(name)
        raise ServiceError(
            "ValidationError",
            f"Template format error: Unresolved resource dependencies [{name}] in the Resources "
            "block of the template",
        )

    def _get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if (
            not isinstance(argument, list)
            or len(argument) != 2
            or not argument[0]
            or not argument[1]
        ):
            raise template_error(
                "every Fn::GetAtt object requires two non-empty parameters, the resource name "
                "and the resource attribute"
            )
        logical_id, attribute = argument[0], self.resolve(argument[1])
        return self.scope.get_att(logical_id, str(attribute))

    def _sub(self, argument: Any) -> Any:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            text, variables = argument[0], self.resolve(argument[1])
        else:
            raise template_error(
                "One or more Fn::Sub intrinsic functions don't specify expected arguments. "
                "Specify a string as first argument, and an optional second argument to specify "
                "a mapping of values to replace in the string"
            )
        text = self.resolve(text)
        if not isinstance(text, str):
            raise template_error("Fn::Sub requires a string as its first argument")
        return substitute(text, lambda name: self._sub_value(name, variables))

    def _sub_value(self, name: str, variables: dict) -> str:
        if name in variables:
            return _text(variables[name])
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            if logical_id in self.scope.resource_ids:
                return _text(self.scope.get_att(logical_id, attribute))
        return _text(self._ref(name))

    def _join(self, argument: Any) -> str:
        if not isinstance(argument, list) or len(argument) != 2:
            raise template_error(
                "every Fn::Join object requires two parameters, (1) a string delimiter and (2) "
                "a list of strings to be joined or a function that returns a list of strings "
                "(such as Fn::GetAZs) to be joined."
            )
        delimiter = self.resolve(argument[0])
        items = self.resolve(argument[1])
        if isinstance(items, str) and _unknown(items):
            return KNOWN_AFTER_APPLY
        if not isinstance(items, list):
            raise template_error("Fn::Join requires a list of strings to join")
        if _unknown(items):
            # A change set shows a join with any part not yet known as wholly unknown (Fn::Sub,
            # by contrast, keeps its literal text around the unknown part).
            return KNOWN_AFTER_APPLY
        return str(delimiter).join(_text(item) for item in items)

    def _split(self, argument: Any) -> list[str]:
        if not isinstance(argument, list) or len(argument) != 2:
            raise template_error(
                "every Fn::Split object requires two parameters, (1) a string delimiter and (2) "
                "a string to be split or a function that returns a string to be split."
            )
        delimiter, text = self.resolve(argument[0]), self.resolve(argument[1])
        if _unknown(text):
            return KNOWN_AFTER_APPLY
        return str(text).split(str(delimiter))

    def _select(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise template_error(
                "Fn::Select requires a list argument with two elements: an integer index and a list"
            )
        index, items = self.resolve(argument[0]), self.resolve(argument[1])
        if _unknown(items) or _unknown(index):
            return KNOWN_AFTER_APPLY
        if isinstance(items, str):
            items = [item.strip() for item in items.split(",")]
        try:
            position = int(index)
        except (TypeError, ValueError):
            raise template_error("Fn::Select requires an integer index") from None
        if not isinstance(items, list) or not 0 <= position < len(items):
            raise template_error(f"Fn::Select cannot select nonexistent value at index {index}")
        return items[position]

    def _if(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise template_error("every Fn::If object requires three parameters")
        chosen = argument[1] if self.scope.condition(argument[0]) else argument[2]
        return self.resolve(chosen)

    def _equals(self, argument: Any) -> bool:
        if not isinstance(argument, list) or len(argument) != 2:
            raise template_error("every Fn::Equals object requires a list of 2 string parameters.")
        left, right = (self.resolve(item) for item in argument)
        return _text(left) == _text(right)

    def _and(self, argument: Any) -> bool:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise template_error("every Fn::And object requires a list of 2 to 10 conditions")
        return all(self._truth(item) for item in argument)

    def _or(self, argument: Any) -> bool:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise template_error("every Fn::Or object requires a list of 2 to 10 conditions")
        return any(self._truth(item) for item in argument)

    def _not(self, argument: Any) -> bool:
        if not isinstance(argument, list) or len(argument) != 1:
            raise template_error("every Fn::Not object requires one parameter")
        return not self._truth(argument[0])

    def _truth(self, value: Any) -> bool:
        result = self.resolve(value)
        return result if isinstance(result, bool) else str(result).lower() == "true"

    def _find_in_map(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise template_error("every Fn::FindInMap object requires three parameters")
        names = [self.resolve(item) for item in argument[:3]]
        if any(_unknown(name) for name in names):
            return KNOWN_AFTER_APPLY
        try:
            return self.scope.mappings[names[0]][names[1]][names[2]]
        except (KeyError, TypeError):
            if (
                len(argument) == 4
                and isinstance(argument[3], dict)
                and "DefaultValue" in argument[3]
            ):
                return self.resolve(argument[3]["DefaultValue"])
            raise template_error(
                f"Unable to get mapping for {'::'.join(map(str, names))}"
            ) from None

    def _cidr(self, argument: Any) -> list[str]:
        if not isinstance(argument, list) or len(argument) != 3:
            raise template_error("every Fn::Cidr object requires three parameters")
        block, count, bits = (self.resolve(item) for item in argument)
        try:
            network = ipaddress.ip_network(str(block), strict=False)
            prefix = network.max_prefixlen - int(bits)
            subnets = network.subnets(new_prefix=prefix)
            return [str(next(subnets)) for _ in range(int(count))]
        except (ValueError, StopIteration):
            raise template_error(f"Fn::Cidr cannot split {block} into {count} blocks") from None

    def _length(self, argument: Any) -> int:
        items = self.resolve(argument)
        if _unknown(items):
            return KNOWN_AFTER_APPLY
        if not isinstance(items, list):
            raise template_error("Fn::Length requires a list")
        return len(items)

    def _to_json_string(self, argument: Any) -> str:
        return json.dumps(self.resolve(argument), separators=(",", ":"))


def substitute(text: str, value_of: Callable[[str], str]) -> str:
    """Fn::Sub's substitution: `${Name}` replaced, `${!Literal}` kept as `${Literal}`."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        return value_of(name.strip())

    return _SUB_VARIABLE.sub(replace, text)


def _unknown(value: Any) -> bool:
    """Whether a value is (or contains) one only known once resources exist."""
    if isinstance(value, str):
        return KNOWN_AFTER_APPLY in value
    if isinstance(value, list):
        return any(_unknown(item) for item in value)
    return False


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    if isinstance(value, (dict)):
        return json.dumps(value)
    return str(value)
