"""Durable mode's write-ahead journal: acknowledged writes committed before the call returns."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from .jsonstream import encode_default
from .store import LabStore


def encode_params(params: dict[str, Any]) -> str:
    """A call's parameters as journal text (bytes tagged as in lab files)."""
    return json.dumps(params, default=encode_default, separators=(",", ":"))


class Journal:
    """Durable mode's write-ahead log: each acknowledged write is committed before it returns.

    Calls arriving together share one commit (group commit): the first schedules the commit
    for the loop's next turn, the others join it.
    """

    #: Services whose writes are journaled (their state is data a caller sent in).
    SERVICES = frozenset({"sqs", "sns", "kinesis", "firehose", "dynamodb", "s3", "events"})
    _READS = (
        "list_",
        "describe_",
        "get_",
        "receive_",
        "query",
        "scan",
        "batch_get_",
        "head_",
        "test_",
        "select_",
        "transact_get_",
        "subscribe_to_shard",
    )

    def __init__(self, store: LabStore | None, *, durable: bool) -> None:
        self.store = store
        self.durable = durable
        #: A write happened since the last checkpoint (what the checkpoint cadence looks at).
        self.changed = False
        self.pending: list[tuple[str, str, str]] = []
        self.waiters: list[asyncio.Future] = []
        self.replaying = False
        #: Called when the whole lab was replaced (`open`, `reset`): the keeper checkpoints,
        #: so journal entries made before it are never replayed onto the new lab.
        self.on_replaced: Callable[[], None] | None = None
        self._scheduled = False

    def lab_replaced(self) -> None:
        """The lab was emptied or opened from a file: keep that at once."""
        self.changed = True
        if self.on_replaced is not None and not self.replaying:
            self.on_replaced()

    def wants(self, service: str, operation: str) -> bool:
        """Whether a call changes state worth keeping (reads are not journaled)."""
        return not operation.startswith(self._READS)

    async def record(self, service: str, operation: str, params: dict[str, Any]) -> None:
        """Note a successful write; in durable mode, return once it is committed."""
        self.changed = True
        if not self.durable or self.replaying or service not in self.SERVICES:
            return
        try:
            text = encode_params(params)
        except (TypeError, ValueError):
            return  # a parameter that is not data (a stream object): the checkpoint keeps it
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self.pending.append((service, operation, text))
        self.waiters.append(waiter)
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self.flush)
        await waiter

    def flush(self) -> None:
        """Commit what is pending and wake its callers."""
        self._scheduled = False
        entries, waiters = self.pending, self.waiters
        self.pending, self.waiters = [], []
        if not entries:
            return
        try:
            assert self.store is not None
            self.store.append(entries)
        except Exception as error:  # the caller learns its write was not kept
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(error)
            return
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
