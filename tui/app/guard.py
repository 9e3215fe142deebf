"""Keeps a failure inside one widget from crashing the app: it is caught, logged and shown."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from textual.widget import Widget

F = TypeVar("F", bound=Callable[..., Any])


def report_failure(widget: Widget, where: str, error: BaseException) -> None:
    """Show a widget failure as an error notification (and in the Textual log)."""
    message = f"{type(widget).__name__}.{where} failed: {type(error).__name__}: {error}"
    widget.log.error(message)
    try:
        widget.app.notify(message, title="Widget error", severity="error", timeout=8)
    except Exception:  # noqa: BLE001 — the app may be closing; the log line is enough then
        pass


def guarded(method: F) -> F:
    """Wrap a widget method (sync or async) so an exception is reported instead of raised."""
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def async_wrapper(self: Widget, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except Exception as error:  # noqa: BLE001 — the whole point is to catch anything
                report_failure(self, method.__name__, error)
                return None

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(method)
    def wrapper(self: Widget, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as error:  # noqa: BLE001 — the whole point is to catch anything
            report_failure(self, method.__name__, error)
            return None

    return wrapper  # type: ignore[return-value]
