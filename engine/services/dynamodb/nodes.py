"""The syntax tree of DynamoDB expressions, after placeholders are resolved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: One step of a document path: an attribute/map key (str) or a list index (int).
PathElement = str | int


@dataclass(slots=True, frozen=True)
class Path:
    """A document path such as a.b[2].c, with #names already replaced by real names."""

    elements: tuple[PathElement, ...]

    def shown(self) -> str:
        """AWS's spelling in overlap messages: [a, b, [2]]."""
        parts = [f"[{e}]" if isinstance(e, int) else e for e in self.elements]
        return "[" + ", ".join(parts) + "]"


@dataclass(slots=True, frozen=True)
class Value:
    """A :placeholder's AttributeValue."""

    name: str
    value: dict[str, Any] = field(hash=False, compare=False)


@dataclass(slots=True, frozen=True)
class Size:
    """size(path): the length of a string or binary, or the element count of a collection."""

    path: Path


@dataclass(slots=True, frozen=True)
class Compare:
    """left op right, op one of = <> < <= > >=."""

    op: str
    left: Any
    right: Any


@dataclass(slots=True, frozen=True)
class Between:
    """operand BETWEEN low AND high (inclusive)."""

    operand: Any
    low: Any
    high: Any


@dataclass(slots=True, frozen=True)
class In:
    """operand IN (a, b, …)."""

    operand: Any
    choices: tuple[Any, ...]


@dataclass(slots=True, frozen=True)
class Function:
    """A condition function: attribute_exists, attribute_not_exists, attribute_type, begins_with, contains."""

    name: str
    args: tuple[Any, ...]


@dataclass(slots=True, frozen=True)
class And:
    """Both conditions hold."""

    left: Any
    right: Any


@dataclass(slots=True, frozen=True)
class Or:
    """Either condition holds."""

    left: Any
    right: Any


@dataclass(slots=True, frozen=True)
class Not:
    """The condition does not hold."""

    operand: Any


# -- update expressions ------------------------------------------------------------------
@dataclass(slots=True, frozen=True)
class Arithmetic:
    """left + right or left - right (numbers only)."""

    op: str
    left: Any
    right: Any


@dataclass(slots=True, frozen=True)
class ListAppend:
    """list_append(a, b): the elements of a then those of b."""

    first: Any
    second: Any


@dataclass(slots=True, frozen=True)
class IfNotExists:
    """if_not_exists(path, fallback): the path's value, or the fallback when it is absent."""

    path: Path
    fallback: Any


@dataclass(slots=True, frozen=True)
class UpdateAction:
    """One action of an UpdateExpression: SET, REMOVE, ADD or DELETE on a path."""

    verb: str
    path: Path
    operand: Any = None


@dataclass(slots=True)
class Placeholders:
    """The request's #names and :values, and which of them expressions used."""

    names: dict[str, str]
    values: dict[str, dict[str, Any]]
    used_names: set[str] = field(default_factory=set)
    used_values: set[str] = field(default_factory=set)
