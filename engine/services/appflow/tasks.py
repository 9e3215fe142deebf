"""AppFlow's tasks compiled into one record pipeline: which fields are pulled (Projection), which
records pass (Filter, Validate), and how each output record is built (Map, Map_all, Arithmetic,
Merge, then Mask and Truncate on the result)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import eq, ge, gt, itemgetter, le, lt, ne
from typing import Any

from ...errors import ServiceError

Record = dict[str, Any]
_NUMBER_TYPES = {"double", "int", "integer", "long", "float", "currency", "percent", "decimal"}
#: What Validate does with a record that fails its check (AppFlow's VALIDATION_ACTION values).
VALIDATION_ACTIONS = ("DropRecord", "TerminateFlow", "NoOp")


class ValidationTerminated(Exception):
    """A Validate task with TerminateFlow met a bad record: the run ends in Error."""


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _comparable(value: Any, data_type: str) -> Any:
    """A task property or a record value in the form the comparison needs."""
    kind = data_type.lower()
    if kind in _NUMBER_TYPES:
        return _number(value)
    if kind in ("datetime", "date", "timestamp") and value is not None:
        from .saas.base import epoch_of

        try:
            return epoch_of(value)
        except ValueError:
            return None
    if kind == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    return value if value is None or isinstance(value, str) else str(value)


def _convert(value: Any, data_type: str) -> Any:
    """A mapped value converted to the destination data type (where it says one)."""
    if value is None or not data_type:
        return value
    kind = data_type.lower()
    if kind in ("int", "integer", "long"):
        number = _number(value)
        return None if number is None else int(number)
    if kind in ("double", "float", "currency", "percent", "decimal"):
        return _number(value)
    if kind == "boolean":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if kind in ("string", "textarea", "email", "phone", "url", "picklist", "id", "reference"):
        return (
            value
            if isinstance(value, str)
            else json.dumps(value)
            if isinstance(value, (dict, list))
            else str(value)
        )
    return value


def _operator(task: dict, connector_key: str) -> str:
    operators = task.get("connectorOperator") or {}
    if not operators:
        return "NO_OP"
    value = operators.get(connector_key)
    if value is None:
        value = next(iter(operators.values()))
    return value


@dataclass(slots=True)
class Pipeline:
    """The compiled tasks of one flow."""

    projection: list[str] | None = None  # source fields pulled (None: all)
    checks: list[Callable[[Record], bool]] = field(default_factory=list)  # Filter/Validate
    mappings: list[tuple[str, str, str]] = field(default_factory=list)  # (source, dest, type)
    map_all_exclude: set[str] | None = None  # Map_all: every field but these
    builders: list[Callable[[Record, Record], None]] = field(default_factory=list)
    finishers: list[Callable[[Record], None]] = field(default_factory=list)  # Mask, Truncate
    dropped: int = 0

    def run(self, records: list[Record]) -> list[Record]:
        """The output records for a batch of source records (ValidationTerminated may end it)."""
        builders, finishers = self.builders, self.finishers
        exclude = self.map_all_exclude
        simple = [(s, d) for s, d, t in self.mappings if not t]
        typed = [(s, d, t) for s, d, t in self.mappings if t]
        dests = tuple(d for _, d in simple)
        pick = itemgetter(*(s for s, _ in simple)) if len(simple) > 1 else None
        passes = _all_of(self.checks)
        out: list[Record] = []
        append = out.append
        for record in records:
            if passes is not None and not passes(record):
                self.dropped += 1
                continue
            if exclude is not None:
                result = {k: v for k, v in record.items() if k not in exclude}
                for source, dest in simple:
                    result[dest] = record.get(source)
            elif pick is not None:
                try:
                    result = dict(zip(dests, pick(record), strict=True))
                except KeyError:  # a record without one of the fields: map it field by field
                    result = {dest: record.get(source) for source, dest in simple}
            else:
                result = {dest: record.get(source) for source, dest in simple}
            for source, dest, kind in typed:
                result[dest] = _convert(record.get(source), kind)
            for build in builders:
                build(record, result)
            for finish in finishers:
                finish(result)
            append(result)
        return out


def _all_of(checks: list[Callable[[Record], bool]]) -> Callable[[Record], bool] | None:
    """One predicate for all the checks (None when there are none)."""
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda record: all(check(record) for check in checks)


def compile_tasks(tasks: list[dict], connector_key: str, fields: set[str] | None) -> Pipeline:
    """Check every task against AppFlow's rules and compile them (ValidationException if wrong)."""
    pipeline = Pipeline()
    for task in tasks:
        kind = task["taskType"]
        sources = list(task.get("sourceFields") or [])
        dest = task.get("destinationField") or (sources[0] if sources else "")
        props = dict(task.get("taskProperties") or {})
        operator = _operator(task, connector_key)
        if fields is not None and kind != "Map_all":
            unknown = [s for s in sources if s not in fields]
            if unknown and kind not in ("Mask", "Truncate"):
                raise _invalid(
                    f"Invalid source field(s) {', '.join(unknown)} for task type {kind}: "
                    "the source object has no such field"
                )
        if kind == "Filter":
            _compile_filter(pipeline, sources, operator, props)
        elif kind == "Map":
            if len(sources) != 1:
                raise _invalid("A Map task needs exactly one source field")
            pipeline.mappings.append((sources[0], dest, props.get("DESTINATION_DATA_TYPE", "")))
        elif kind == "Map_all":
            try:
                excluded = json.loads(props.get("EXCLUDE_SOURCE_FIELDS_LIST", "[]"))
            except ValueError:
                raise _invalid(
                    "EXCLUDE_SOURCE_FIELDS_LIST must be a JSON list of field names"
                ) from None
            pipeline.map_all_exclude = set(excluded if isinstance(excluded, list) else [])
        elif kind == "Validate":
            _compile_validate(pipeline, sources, operator, props)
        elif kind == "Mask":
            pipeline.finishers.append(_mask(dest, operator, props))
        elif kind == "Truncate":
            length = props.get("TRUNCATE_LENGTH", "")
            if not length.isdigit():
                raise _invalid("A Truncate task needs TRUNCATE_LENGTH, a whole number")
            pipeline.finishers.append(_truncate(dest, int(length)))
        elif kind == "Arithmetic":
            pipeline.builders.append(_arithmetic(sources, dest, operator, props))
        elif kind == "Merge":
            pipeline.builders.append(_merge(sources, dest, props))
        elif kind == "Passthrough":
            pipeline.mappings.append((sources[0], dest, "")) if sources else None
        else:
            raise _invalid(f"Task type {kind} is not supported by the lab's AppFlow")
    return pipeline


def _compile_filter(pipeline: Pipeline, sources: list[str], operator: str, props: dict) -> None:
    if operator == "PROJECTION":
        pipeline.projection = sources
        return
    if len(sources) != 1:
        raise _invalid(f"A Filter task with {operator} needs exactly one source field")
    name = sources[0]
    data_type = props.get("DATA_TYPE", "string")
    if operator == "BETWEEN":
        if "LOWER_BOUND" not in props or "UPPER_BOUND" not in props:
            raise _invalid("A BETWEEN filter needs LOWER_BOUND and UPPER_BOUND")
        low = _comparable(props["LOWER_BOUND"], data_type)
        high = _comparable(props["UPPER_BOUND"], data_type)

        def between(r: Record) -> bool:
            v = _comparable(r.get(name), data_type)
            return v is not None and low is not None and low <= v <= high

        pipeline.checks.append(between)
        return
    if operator in ("EQUAL_TO", "NOT_EQUAL_TO") and "VALUES" in props and "VALUE" not in props:
        values = {_comparable(v.strip(), data_type) for v in props["VALUES"].split(",")}
        negate = operator == "NOT_EQUAL_TO"
        pipeline.checks.append(lambda r: (_comparable(r.get(name), data_type) in values) != negate)
        return
    if "VALUE" not in props:
        raise _invalid(f"A Filter task with {operator} needs a VALUE task property")
    wanted = _comparable(props["VALUE"], data_type)
    if operator == "CONTAINS":
        text = str(props["VALUE"])
        pipeline.checks.append(lambda r: r.get(name) is not None and text in str(r.get(name)))
        return
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "EQUAL_TO": eq,
        "NOT_EQUAL_TO": ne,
        "LESS_THAN": lt,
        "GREATER_THAN": gt,
        "LESS_THAN_OR_EQUAL_TO": le,
        "GREATER_THAN_OR_EQUAL_TO": ge,
    }
    if operator not in compare:
        raise _invalid(f"Operator {operator} is not valid for a Filter task")
    test = compare[operator]
    if wanted is None and operator not in ("EQUAL_TO", "NOT_EQUAL_TO"):
        raise _invalid(f"VALUE {props['VALUE']!r} is not a valid {data_type}")

    numeric = data_type.lower() in _NUMBER_TYPES

    def check(r: Record) -> bool:
        v = r.get(name)
        if numeric and (v.__class__ is float or v.__class__ is int):
            return test(v, wanted)  # the common case: a number already
        v = _comparable(v, data_type)
        if v is None:
            return operator == "NOT_EQUAL_TO" and wanted is not None
        try:
            return test(v, wanted)
        except TypeError:
            return False

    pipeline.checks.append(check)


_VALIDATORS: dict[str, Callable[[Any], bool]] = {
    "VALIDATE_NON_NULL": lambda v: v is not None and v != "",
    "VALIDATE_NON_ZERO": lambda v: _number(v) is not None and _number(v) != 0,
    "VALIDATE_NON_NEGATIVE": lambda v: _number(v) is not None and _number(v) >= 0,  # type: ignore[operator]
    "VALIDATE_NUMERIC": lambda v: _number(v) is not None,
}


def _compile_validate(pipeline: Pipeline, sources: list[str], operator: str, props: dict) -> None:
    if operator not in _VALIDATORS:
        raise _invalid(f"Operator {operator} is not valid for a Validate task")
    action = props.get("VALIDATION_ACTION", "DropRecord")
    if action not in VALIDATION_ACTIONS:
        raise _invalid(
            f"VALIDATION_ACTION must be one of {', '.join(VALIDATION_ACTIONS)}, not {action!r}"
        )
    valid = _VALIDATORS[operator]
    if action == "NoOp":
        return

    def check(r: Record) -> bool:
        for name in sources:
            if not valid(r.get(name)):
                if action == "TerminateFlow":
                    raise ValidationTerminated(
                        f"Validation failed for field {name} ({operator}) in record "
                        f"{json.dumps(r, default=str)[:200]}"
                    )
                return False
        return True

    pipeline.checks.append(check)


def _mask(dest: str, operator: str, props: dict) -> Callable[[Record], None]:
    mask = props.get("MASK_VALUE", "*")[:1] or "*"
    if operator == "MASK_ALL":

        def all_(r: Record) -> None:
            v = r.get(dest)
            if v is not None:
                r[dest] = mask * len(str(v))

        return all_
    if operator not in ("MASK_FIRST_N", "MASK_LAST_N"):
        raise _invalid(f"Operator {operator} is not valid for a Mask task")
    length = props.get("MASK_LENGTH", "")
    if not length.isdigit():
        raise _invalid(f"{operator} needs MASK_LENGTH, a whole number")
    n = int(length)
    first = operator == "MASK_FIRST_N"

    def part(r: Record) -> None:
        v = r.get(dest)
        if v is None:
            return
        text = str(v)
        k = min(n, len(text))
        r[dest] = mask * k + text[k:] if first else text[: len(text) - k] + mask * k

    return part


def _truncate(dest: str, length: int) -> Callable[[Record], None]:
    def cut(r: Record) -> None:
        v = r.get(dest)
        if isinstance(v, str) and len(v) > length:
            r[dest] = v[:length]

    return cut


def _arithmetic(
    sources: list[str], dest: str, operator: str, props: dict
) -> Callable[[Record, Record], None]:
    ops: dict[str, Callable[[float, float], float | None]] = {
        "ADDITION": lambda a, b: a + b,
        "SUBTRACTION": lambda a, b: a - b,
        "MULTIPLICATION": lambda a, b: a * b,
        "DIVISION": lambda a, b: a / b if b else None,
    }
    if operator not in ops:
        raise _invalid(f"Operator {operator} is not valid for an Arithmetic task")
    order = [
        f.strip() for f in props.get("MATH_OPERATION_FIELDS_ORDER", "").split(",") if f.strip()
    ]
    names = order or sources
    if len(names) != 2:
        raise _invalid("An Arithmetic task needs two source fields")
    if not dest or dest in sources and not props.get("DESTINATION_DATA_TYPE"):
        dest = dest or "_".join(names)
    op = ops[operator]
    a_name, b_name = names

    def compute(source: Record, result: Record) -> None:
        a, b = _number(source.get(a_name)), _number(source.get(b_name))
        result[dest] = None if a is None or b is None else op(a, b)

    return compute


_PLACEHOLDER = re.compile(r"\$\{(\w+)\}|\{(\w+)\}")


def _merge(sources: list[str], dest: str, props: dict) -> Callable[[Record, Record], None]:
    if len(sources) < 2:
        raise _invalid("A Merge task needs at least two source fields")
    template = props.get("CONCAT_FORMAT")
    if not dest or dest == sources[0]:
        dest = "_".join(sources)

    def merge(source: Record, result: Record) -> None:
        if template:
            result[dest] = _PLACEHOLDER.sub(
                lambda m: str(source.get(m.group(1) or m.group(2)) or ""), template
            )
        else:
            result[dest] = " ".join(
                str(source.get(s)) for s in sources if source.get(s) is not None
            )

    return merge
