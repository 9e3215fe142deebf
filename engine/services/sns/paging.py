"""Pagination as SNS does it: 100 items a page and an opaque NextToken."""

from __future__ import annotations

import base64
from typing import TypeVar

from .errors import invalid

T = TypeVar("T")
PAGE_SIZE = 100


def page(items: list[T], token: str | None, size: int = PAGE_SIZE) -> tuple[list[T], str | None]:
    """The page of `items` that `token` points at, and the token of the next page (or None)."""
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("sns:"))
        except ValueError:
            raise invalid("NextToken") from None
        if start < 0 or start > len(items):
            raise invalid("NextToken")
    end = start + size
    following = (
        base64.urlsafe_b64encode(f"sns:{end}".encode()).decode() if end < len(items) else None
    )
    return items[start:end], following
