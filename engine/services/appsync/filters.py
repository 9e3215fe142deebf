"""Filter objects: GraphQL filter inputs → DynamoDB expressions, and enhanced subscription filters."""

from __future__ import annotations

from typing import Any

_COMPARE = {"eq": "=", "ne": "<>", "le": "<=", "lt": "<", "ge": ">=", "gt": ">"}
SUBSCRIPTION_OPERATORS = {
    "eq",
    "ne",
    "le",
    "lt",
    "ge",
    "gt",
    "contains",
    "notContains",
    "beginsWith",
    "in",
    "notIn",
    "between",
    "attributeExists",
    "containsAny",
}


def to_filter_expression(value: dict[str, Any]) -> dict[str, Any]:
    """`$util.transform.toDynamoDBFilterExpression`: {"expression", "expressionNames", "expressionValues"}."""
    from .templates import typed

    names: dict[str, str] = {}
    values: dict[str, Any] = {}

    def clause(node: dict[str, Any]) -> str:
        parts: list[str] = []
        for key, condition in node.items():
            if key in ("and", "or"):
                joined = f" {key} ".join(f"({clause(c)})" for c in condition)
                parts.append(f"({joined})")
                continue
            if key == "not":
                parts.append(f"(not ({clause(condition)}))")
                continue
            names[f"#{key}"] = key
            for op, operand in condition.items():
                ref = f":{op}_{key}"
                if op in _COMPARE:
                    values[ref] = typed(operand)
                    parts.append(f"(#{key} {_COMPARE[op]} {ref})")
                elif op == "contains":
                    values[ref] = typed(operand)
                    parts.append(f"(contains(#{key},{ref}))")
                elif op == "notContains":
                    values[ref] = typed(operand)
                    parts.append(f"(not contains(#{key},{ref}))")
                elif op == "beginsWith":
                    values[ref] = typed(operand)
                    parts.append(f"(begins_with(#{key},{ref}))")
                elif op == "between":
                    values[f"{ref}_0"], values[f"{ref}_1"] = typed(operand[0]), typed(operand[1])
                    parts.append(f"(#{key} between {ref}_0 and {ref}_1)")
                elif op == "attributeExists":
                    word = "attribute_exists" if operand else "attribute_not_exists"
                    parts.append(f"({word}(#{key}))")
                else:
                    from .templates import ResolverError

                    raise ResolverError(f"Unsupported filter operator {op}", "MappingTemplate")
        return " and ".join(parts)

    return {"expression": clause(value), "expressionNames": names, "expressionValues": values}


def subscription_filter(value: dict[str, Any], ignored: list[str]) -> dict[str, Any]:
    """`util.transform.toSubscriptionFilter`: a filter input as {"filterGroup": [{"filters": …}]}."""
    groups: list[dict[str, Any]] = []
    alternatives = value.get("or")
    for part in alternatives if isinstance(alternatives, list) else [value]:
        filters = []
        for field, condition in part.items():
            if field in ignored or field in ("or", "and"):
                continue
            for op, operand in condition.items():
                filters.append({"fieldName": field, "operator": op, "value": operand})
        for nested in part.get("and", []) if isinstance(part.get("and"), list) else []:
            filters.extend(subscription_filter(nested, ignored)["filterGroup"][0]["filters"])
        groups.append({"filters": filters})
    return {"filterGroup": groups}


def check_subscription_filter(spec: Any) -> str | None:
    """Why an enhanced filter is malformed (None: it is fine). AppSync allows 10 groups of 5."""
    if not isinstance(spec, dict) or not isinstance(spec.get("filterGroup"), list):
        return "Filter must be an object with a filterGroup list."
    if len(spec["filterGroup"]) > 10:
        return "A filter can have at most 10 filter groups."
    for group in spec["filterGroup"]:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list) or not filters:
            return "Each filter group needs a non-empty filters list."
        if len(filters) > 5:
            return "A filter group can have at most 5 filters."
        for item in filters:
            if not isinstance(item, dict) or "fieldName" not in item:
                return "Each filter needs a fieldName."
            if item.get("operator") not in SUBSCRIPTION_OPERATORS:
                return f"Unsupported filter operator: {item.get('operator')}"
    return None


def _lookup(document: Any, path: str) -> tuple[bool, Any]:
    current = document
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return False, None
        current = current[part]
    return True, current


def _passes(item: dict[str, Any], data: Any) -> bool:
    present, actual = _lookup(data, item["fieldName"])
    op, expected = item["operator"], item.get("value")
    if op == "attributeExists":
        return present == bool(expected)
    if op == "eq":
        return present and actual == expected
    if op == "ne":
        return not present or actual != expected
    if not present or actual is None:
        return op in ("notContains", "notIn")
    try:
        if op == "lt":
            return actual < expected
        if op == "le":
            return actual <= expected
        if op == "gt":
            return actual > expected
        if op == "ge":
            return actual >= expected
        if op == "between":
            return expected[0] <= actual <= expected[1]
    except TypeError:
        return False
    if op == "contains":
        return expected in actual if isinstance(actual, (str, list)) else False
    if op == "notContains":
        return expected not in actual if isinstance(actual, (str, list)) else True
    if op == "beginsWith":
        return isinstance(actual, str) and actual.startswith(str(expected))
    if op == "in":
        return actual in expected
    if op == "notIn":
        return actual not in expected
    if op == "containsAny":
        return isinstance(actual, list) and any(e in actual for e in expected)
    return False


def filter_matches(spec: dict[str, Any], data: Any) -> bool:
    """Whether a subscription's enhanced filter lets `data` through (groups OR, filters AND)."""
    return any(
        all(_passes(item, data) for item in group["filters"]) for group in spec["filterGroup"]
    )
