"""Resource providers by CloudFormation type name, one module per service family."""

from __future__ import annotations

import importlib
from functools import cache

from .base import Outcome, Provider, Request

#: Modules that define `PROVIDERS`, a tuple of Provider classes.
_MODULES = (
    "messaging",
    "events",
    "streams",
    "compute",
    "workflows",
    "apis",
    "storage",
    "identity",
    "observability",
    "metadata",
    "brokers",
    "video",
    "analytics",
    "graphql",
)

__all__ = ["Outcome", "Provider", "Request", "provider_types"]


@cache
def provider_types() -> dict[str, type[Provider]]:
    """Every provider class by the resource type it handles."""
    from engine.engine import Engine

    available = set(Engine.available_services())
    table: dict[str, type[Provider]] = {}
    for module_name in _MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ModuleNotFoundError as error:
            if error.name == f"{__name__}.{module_name}":
                continue
            raise
        for cls in module.PROVIDERS:
            if cls.requires is None or cls.requires in available:
                table[cls.type_name] = cls
    return table
