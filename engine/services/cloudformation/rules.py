"""Template `Rules`: assertions about parameter values, checked before anything is created."""

from __future__ import annotations

from typing import Any

from engine.errors import ServiceError

from .intrinsics import Resolver, Scope


class RuleResolver(Resolver):
    """The intrinsic functions rules may use beside the condition functions."""

    def __init__(self, scope: Scope) -> None:
        super().__init__(scope)
        self._functions.update(
            {
                "Fn::Contains": self._contains,
                "Fn::EachMemberEquals": self._each_member_equals,
                "Fn::EachMemberIn": self._each_member_in,
                "Fn::RefAll": lambda kind: [],
                "Fn::ValueOf": lambda argument: "",
                "Fn::ValueOfAll": lambda argument: [],
            }
        )

    def _contains(self, argument: Any) -> bool:
        items, value = (self.resolve(item) for item in argument)
        return str(value) in [str(item) for item in items]

    def _each_member_equals(self, argument: Any) -> bool:
        items, value = (self.resolve(item) for item in argument)
        return all(str(item) == str(value) for item in items)

    def _each_member_in(self, argument: Any) -> bool:
        items, allowed = (self.resolve(item) for item in argument)
        return all(str(item) in [str(a) for a in allowed] for item in items)


def check_rules(rules: dict[str, Any], scope: Scope) -> None:
    """Raise AWS's ValidationError naming the first assertion that does not hold."""
    resolver = RuleResolver(scope)
    for rule in (rules or {}).values():
        if not isinstance(rule, dict):
            continue
        condition = rule.get("RuleCondition")
        if condition is not None and not _true(resolver.resolve(condition)):
            continue
        for assertion in rule.get("Assertions") or []:
            if not _true(resolver.resolve(assertion.get("Assert"))):
                raise ServiceError(
                    "ValidationError",
                    assertion.get("AssertDescription") or "Template error: a rule assertion failed",
                )


def _true(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"
