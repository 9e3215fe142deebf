"""The lab commands beside the AWS operations: help, clock, watch, trace, load, chaos …"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..console import Console


def register_builtins(console: Console) -> None:
    """Register every built-in lab command on `console`."""
    from . import (
        basic,
        chaos,
        clock,
        describe,
        help,
        load,
        observe,
        outbox,
        request,
        serve,
        stacks,
        state,
        watch,
    )

    for module in (
        help,
        clock,
        watch,
        load,
        chaos,
        outbox,
        describe,
        state,
        request,
        serve,
        stacks,
        basic,
    ):
        module.register(console)
    from .iam import register as register_iam  # `iam enforce` and `why`

    register_iam(console)
    observe.register(console)
