"""Evaluating parsed expressions against items: conditions, update actions and projections."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from engine.errors import ServiceError

from .nodes import (
    And,
    Arithmetic,
    Between,
    Compare,
    Function,
    IfNotExists,
    In,
    ListAppend,
    Not,
    Or,
    Path,
    Size,
    UpdateAction,
    Value,
)
from .values import (
    NUMBER_CONTEXT,
    SET_TYPES,
    TYPES,
    Item,
    copy_value,
    format_number,
    type_of,
    values_equal,
)

_ORDERED_TYPES = ("S", "N", "B")
_TYPE_WORDS = {
    "S": "STRING",
    "N": "NUMBER",
    "B": "BINARY",
    "BOOL": "BOOLEAN",
    "NULL": "NULL",
    "L": "LIST",
    "M": "MAP",
    "SS": "STRING_SET",
    "NS": "NUMBER_SET",
    "BS": "BINARY_SET",
}


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


# -- reading paths ---------------------------------------------------------------------------
def resolve(item: Item, path: Path) -> dict[str, Any] | None:
    """The AttributeValue at `path` in `item`, or None when the path leads nowhere."""
    elements = path.elements
    current = item.get(elements[0])  # type: ignore[arg-type]
    for element in elements[1:]:
        if current is None:
            return None
        if isinstance(element, int):
            inner = current.get("L")
            if inner is None or element >= len(inner):
                return None
            current = inner[element]
        else:
            inner = current.get("M")
            if inner is None:
                return None
            current = inner.get(element)
    return current


def operand_value(item: Item, operand: Any) -> dict[str, Any] | None:
    """The AttributeValue an operand (path, :value or size()) stands for, or None."""
    if isinstance(operand, Value):
        return operand.value
    if isinstance(operand, Path):
        return resolve(item, operand)
    if isinstance(operand, Size):
        target = resolve(item, operand.path)
        if target is None:
            return None
        kind, inner = next(iter(target.items()))
        if kind == "S":
            # The Developer Guide counts a string's size in bytes (UTF-8).
            return {"N": str(len(inner.encode()))}
        if kind in ("B", "SS", "NS", "BS", "L", "M"):
            return {"N": str(len(inner))}
        return None
    raise TypeError(f"not an operand: {operand!r}")


# -- conditions --------------------------------------------------------------------------------
def _ordered(left: dict | None, right: dict | None) -> tuple[Any, Any] | None:
    """Both values as comparable Python values when they share an ordered type, else None."""
    if left is None or right is None:
        return None
    kind = type_of(left)
    if kind != type_of(right) or kind not in _ORDERED_TYPES:
        return None
    if kind == "N":
        return Decimal(left["N"]), Decimal(right["N"])
    return left[kind], right[kind]


def _compare(op: str, left: dict | None, right: dict | None) -> bool:
    if op == "=":
        return left is not None and right is not None and values_equal(left, right)
    if op == "<>":
        return left is None or right is None or not values_equal(left, right)
    pair = _ordered(left, right)
    if pair is None:
        return False
    a, b = pair
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def evaluate(item: Item, node: Any) -> bool:
    """Whether the condition `node` holds for `item` (an empty dict when there is no item)."""
    if isinstance(node, Compare):
        return _compare(node.op, operand_value(item, node.left), operand_value(item, node.right))
    if isinstance(node, And):
        return evaluate(item, node.left) and evaluate(item, node.right)
    if isinstance(node, Or):
        return evaluate(item, node.left) or evaluate(item, node.right)
    if isinstance(node, Not):
        return not evaluate(item, node.operand)
    if isinstance(node, Between):
        value = operand_value(item, node.operand)
        return _compare(">=", value, operand_value(item, node.low)) and _compare(
            "<=", value, operand_value(item, node.high)
        )
    if isinstance(node, In):
        value = operand_value(item, node.operand)
        if value is None:
            return False
        return any(_compare("=", value, operand_value(item, c)) for c in node.choices)
    if isinstance(node, Function):
        return _function(item, node)
    raise TypeError(f"not a condition: {node!r}")


def _function(item: Item, node: Function) -> bool:
    name = node.name
    first = operand_value(item, node.args[0])
    if name == "attribute_exists":
        return first is not None
    if name == "attribute_not_exists":
        return first is None
    second = operand_value(item, node.args[1])
    if name == "attribute_type":
        wanted = second.get("S") if second is not None else None
        if wanted not in TYPES:
            raise _invalid(
                f"Invalid ConditionExpression: Invalid attribute type name found; type: {wanted}, "
                "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
            )
        return first is not None and type_of(first) == wanted
    if first is None or second is None:
        return False
    kind, inner = next(iter(first.items()))
    other_kind, other = next(iter(second.items()))
    if name == "begins_with":
        return kind == other_kind and kind in ("S", "B") and inner.startswith(other)
    # contains: substring, set membership, or list element.
    if kind in ("S", "B"):
        return other_kind == kind and other in inner
    if kind in SET_TYPES:
        if other_kind != SET_TYPES[kind]:
            return False
        if kind == "NS":
            return Decimal(other) in {Decimal(v) for v in inner}
        return other in inner
    if kind == "L":
        return any(values_equal(element, second) for element in inner)
    return False


# -- updates -------------------------------------------------------------------------------------
def _wrong_type() -> ServiceError:
    return _invalid("An operand in the update expression has an incorrect data type")


def _bad_path() -> ServiceError:
    return _invalid("The document path provided in the update expression is invalid for update")


def check_update_operands(actions: list[UpdateAction]) -> None:
    """Reject ADD/DELETE operands of a type those actions never take (before touching items)."""
    for action in actions:
        if action.verb not in ("ADD", "DELETE") or action.operand.value is None:
            continue
        kind = type_of(action.operand.value)
        allowed = ("N", "SS", "NS", "BS") if action.verb == "ADD" else ("SS", "NS", "BS")
        if kind not in allowed:
            raise _invalid(
                "Invalid UpdateExpression: Incorrect operand type for operator or function; "
                f"operator: {action.verb}, operand type: {_TYPE_WORDS[kind]}, "
                f"typeSet: ALLOWED_FOR_{action.verb}_OPERAND"
            )


def _set_value(item: Item, node: Any) -> dict[str, Any]:
    if isinstance(node, Value):
        return node.value
    if isinstance(node, Path):
        value = resolve(item, node)
        if value is None:
            raise _invalid(
                "The provided expression refers to an attribute that does not exist in the item"
            )
        return value
    if isinstance(node, IfNotExists):
        value = resolve(item, node.path)
        return value if value is not None else _set_value(item, node.fallback)
    if isinstance(node, ListAppend):
        first = _set_value(item, node.first)
        second = _set_value(item, node.second)
        if type_of(first) != "L" or type_of(second) != "L":
            raise _wrong_type()
        return {"L": [*first["L"], *second["L"]]}
    if isinstance(node, Arithmetic):
        left = _set_value(item, node.left)
        right = _set_value(item, node.right)
        if type_of(left) != "N" or type_of(right) != "N":
            raise _wrong_type()
        return {"N": _arithmetic(node.op, Decimal(left["N"]), Decimal(right["N"]))}
    raise TypeError(f"not an update operand: {node!r}")


def _arithmetic(op: str, a: Decimal, b: Decimal) -> str:
    try:
        result = NUMBER_CONTEXT.add(a, b) if op == "+" else NUMBER_CONTEXT.subtract(a, b)
    except InvalidOperation:
        raise _invalid(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        ) from None
    return format_number(result)


def apply_update(item: Item, actions: list[UpdateAction]) -> Item:
    """A new item: `item` with the actions applied (operands read from the original item)."""
    # AWS evaluates every operand against the item as it was before the update.
    planned: list[tuple[UpdateAction, dict[str, Any] | None]] = []
    for action in actions:
        if action.verb == "SET":
            planned.append((action, copy_value(_set_value(item, action.operand))))
        elif action.verb in ("ADD", "DELETE"):
            planned.append((action, _add_or_delete(item, action)))
        else:
            planned.append((action, None))
    result = {name: copy_value(value) for name, value in item.items()}
    removals: list[Path] = []
    for action, value in planned:
        if action.verb == "REMOVE":
            removals.append(action.path)
        elif value is None:
            _remove(result, action.path)
        else:
            _assign(result, action.path, value)
    # Remove list elements from the highest index down so earlier indexes stay valid.
    removals.sort(key=lambda p: [(-e if isinstance(e, int) else 0) for e in p.elements])
    for path in removals:
        _remove(result, path)
    return result


def _add_or_delete(item: Item, action: UpdateAction) -> dict[str, Any] | None:
    operand = action.operand.value
    kind = type_of(operand)
    current = resolve(item, action.path)
    if action.verb == "ADD":
        if current is None:
            return copy_value(operand)
        if type_of(current) != kind:
            raise _wrong_type()
        if kind == "N":
            return {"N": _arithmetic("+", Decimal(current["N"]), Decimal(operand["N"]))}
        merged = list(current[kind])
        known = _members(kind, merged)
        for member in operand[kind]:
            marker = Decimal(member) if kind == "NS" else member
            if marker not in known:
                known.add(marker)
                merged.append(member)
        return {kind: merged}
    if current is None:
        return None
    if type_of(current) != kind:
        raise _wrong_type()
    dropped = _members(kind, operand[kind])
    kept = [m for m in current[kind] if (Decimal(m) if kind == "NS" else m) not in dropped]
    return {kind: kept} if kept else None


def _members(kind: str, members: list) -> set:
    return {Decimal(m) for m in members} if kind == "NS" else set(members)


def _container(item: Item, path: Path) -> Any:
    """The map dict or list that holds the last element of `path`, or None."""
    if len(path.elements) == 1:
        return item
    parent = resolve(item, Path(path.elements[:-1]))
    if parent is None:
        return None
    last = path.elements[-1]
    if isinstance(last, int):
        return parent.get("L")
    return parent.get("M")


def _assign(item: Item, path: Path, value: dict[str, Any]) -> None:
    holder = _container(item, path)
    last = path.elements[-1]
    if holder is None:
        raise _bad_path()
    if isinstance(last, int):
        if not isinstance(holder, list):
            raise _bad_path()
        if last < len(holder):
            holder[last] = value
        else:
            holder.append(value)
    else:
        if not isinstance(holder, dict):
            raise _bad_path()
        holder[last] = value


def _remove(item: Item, path: Path) -> None:
    holder = _container(item, path)
    last = path.elements[-1]
    if holder is None:
        # The parent is missing or is not a map/list: AWS refuses the path.
        raise _bad_path()
    if isinstance(last, int):
        if isinstance(holder, list) and last < len(holder):
            del holder[last]
    elif isinstance(holder, dict):
        holder.pop(last, None)


def touched_top_level(actions: list[UpdateAction]) -> set[str]:
    """Top-level attribute names the actions change (for key checks and UPDATED_* returns)."""
    return {str(action.path.elements[0]) for action in actions}


# -- projections --------------------------------------------------------------------------------
def project(item: Item, paths: list[Path]) -> Item:
    """The parts of `item` the projection paths name, keeping their nesting."""
    tree: dict[Any, Any] = {}
    for path in paths:
        value = resolve(item, path)
        if value is None:
            continue
        node = tree
        elements = path.elements
        for element, following in zip(elements, elements[1:], strict=False):
            kind = "L" if isinstance(following, int) else "M"
            node = node.setdefault(element, {"__kind__": kind})
        node[elements[-1]] = copy_value(value)
    return {name: _build(sub) for name, sub in tree.items()}


def _build(node: Any) -> dict[str, Any]:
    if "__kind__" not in node:
        return node
    kind = node["__kind__"]
    children = {k: v for k, v in node.items() if k != "__kind__"}
    if kind == "L":
        return {"L": [_build(children[i]) for i in sorted(children)]}
    return {"M": {k: _build(v) for k, v in children.items()}}
