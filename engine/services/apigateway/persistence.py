"""Save/open for API Gateway: its dataclass resources as tagged JSON-able data, and back.

Dataclasses become `{"$type": name, field: value …}`, dicts `{"$map": {…}}` (so their keys never
clash with a tag), tuples `{"$tuple": […]}`, sets `{"$set": […]}` and datetimes `{"$time": iso}`.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any


def to_data(value: Any) -> Any:
    """`value` (resources, collections of them, plain values) as JSON-able data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"$type": type(value).__name__}
        for item in dataclasses.fields(value):
            out[item.name] = to_data(getattr(value, item.name))
        return out
    if isinstance(value, dict):
        return {"$map": {str(k): to_data(v) for k, v in value.items()}}
    if isinstance(value, list):
        return [to_data(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [to_data(v) for v in value]}
    if isinstance(value, set):
        return {"$set": sorted(to_data(v) for v in value)}
    if isinstance(value, datetime):
        return {"$time": value.isoformat()}
    return value


def from_data(data: Any, classes: dict[str, type]) -> Any:
    """Rebuild what `to_data` produced; `classes` names the dataclasses it may contain."""
    if isinstance(data, list):
        return [from_data(v, classes) for v in data]
    if not isinstance(data, dict):
        return data
    if "$type" in data:
        cls = classes[data["$type"]]
        values = {k: from_data(v, classes) for k, v in data.items() if k != "$type"}
        return cls(**values)
    if "$map" in data:
        return {k: from_data(v, classes) for k, v in data["$map"].items()}
    if "$tuple" in data:
        return tuple(from_data(v, classes) for v in data["$tuple"])
    if "$set" in data:
        return {from_data(v, classes) for v in data["$set"]}
    if "$time" in data:
        return datetime.fromisoformat(data["$time"])
    raise ValueError(f"unrecognised saved data: {sorted(data)[:3]}")


def classes_of(module: Any) -> dict[str, type]:
    """Every dataclass defined in `module`, by name."""
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type) and dataclasses.is_dataclass(value)
    }
