"""AWS Identity and Access Management."""

from __future__ import annotations

from typing import Any

__all__ = ["SERVICE"]


def __getattr__(name: str) -> Any:
    # Other services import `enforcement` from this package on every start; the IAM service
    # itself (its store, managed policies and simulation) loads only when the lab first uses IAM.
    if name == "SERVICE":
        from .service import IamService

        return IamService
    raise AttributeError(name)
