"""Lambda BatchInvoke: sibling resolvers of a list gather into one invocation (up to maxBatchSize).

The first field of a batch waits for the event loop to run its siblings (which only enqueue),
then sends every payload as one list; the function answers a list in the same order, and each
answer goes back to its field. A batch never waits on the clock: it closes when the siblings
have enqueued, as AppSync closes a batch when the parent list has been fanned out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

#: Loop turns the first field waits for its siblings to enqueue.
_GATHER_TURNS = 3


class Batches:
    """Open batches by key (API, resolver); one invocation per closed batch."""

    def __init__(self) -> None:
        self._open: dict[Any, list[tuple[Any, asyncio.Future]]] = {}

    async def submit(
        self,
        key: Any,
        size: int,
        payload: Any,
        invoke: Callable[[list[Any]], Awaitable[Any]],
    ) -> Any:
        """This payload's answer, from a batched invocation of up to `size` payloads."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        waiting = self._open.get(key)
        if waiting is not None:
            waiting.append((payload, future))
            return await future
        waiting = self._open[key] = [(payload, future)]
        for _ in range(_GATHER_TURNS):
            await asyncio.sleep(0)  # let the siblings enqueue (no simulated time passes)
        del self._open[key]
        for start in range(0, len(waiting), size):
            chunk = waiting[start : start + size]
            try:
                answers = await invoke([p for p, _ in chunk])
                if not isinstance(answers, list) or len(answers) != len(chunk):
                    raise BatchMismatch(len(chunk), answers)
            except Exception as error:  # every field of the chunk fails alike
                for _, pending in chunk:
                    if not pending.done():
                        pending.set_exception(error)
                continue
            for (_, pending), answer in zip(chunk, answers, strict=True):
                if not pending.done():
                    pending.set_result(answer)
        return await future


class BatchMismatch(Exception):
    """The function's answer is not a list as long as the batch."""

    def __init__(self, expected: int, answer: Any) -> None:
        got = len(answer) if isinstance(answer, list) else type(answer).__name__
        super().__init__(
            f"The BatchInvoke response must be a list of {expected} results, got {got}."
        )
