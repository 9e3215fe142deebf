"""Who is calling: the access key id of the current engine call (set by the wire endpoint).

In-process clients carry no key and act as the lab's admin root identity; a request over the wire
carries the key it was signed with, and `acting_as(key)` lets tests and lessons do the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: The access key id the current call was signed with (None: the lab's own admin root).
caller_access_key: ContextVar[str | None] = ContextVar("pipework_caller_access_key", default=None)
#: The `service:Operation` of the HTTP request being answered (SDKs fill idempotency tokens, raw
#: HTTP may not); tasks the call starts inherit it, so readers compare it with their own operation.
caller_over_wire: ContextVar[str | None] = ContextVar("pipework_caller_over_wire", default=None)
#: The region the current call was signed for (None: in-process, the engine's own region).
caller_region: ContextVar[str | None] = ContextVar("pipework_caller_region", default=None)


def current_access_key() -> str | None:
    """The access key id of the call running in this task, or None for the lab itself."""
    return caller_access_key.get()


def over_wire(service: str, operation: str) -> bool:
    """Whether `service:operation` running in this task is an HTTP request (not an in-process call)."""
    return caller_over_wire.get() == f"{service}:{operation}"


@contextmanager
def acting_as(access_key_id: str | None) -> Iterator[None]:
    """Run the calls inside the block as the holder of `access_key_id`."""
    token = caller_access_key.set(access_key_id)
    try:
        yield
    finally:
        caller_access_key.reset(token)
