"""Keeps Python's cyclic garbage collector from rescanning a lab's long-lived state.

A big lab (10,000 rules, 1,000 subscriptions, a million queued messages) is a large heap of
objects that live as long as their resource. CPython's collector rescans every tracked object
on each full collection, so per-message cost grows with what the lab holds even though
nothing in it is garbage. The keeper moves objects that survived a full collection into the
collector's permanent generation (`gc.freeze()`), so the next full collection scans only what
arrived since: long-lived state is frozen on the collector's own cadence, after bulk set-up
and as the lab grows. Objects freed by reference counting are still freed at once; only
reference cycles among frozen objects wait, until the keeper thaws the heap (every
`THAW_EVERY` full collections, on `reset` and on `close`) so a complete collection reclaims
them.
"""

from __future__ import annotations

import gc
from typing import Any

#: Young-generation threshold: a lab allocates a few short-lived containers per hop (params,
#: results, envelopes), and CPython's default of 700 runs a young collection every few
#: messages. 10,000 keeps young collections rare while each still scans only young objects.
YOUNG_THRESHOLD = 10_000
#: Every this many full collections the frozen heap is thawed first, so garbage cycles among
#: long-lived objects (a deleted resource's) are reclaimed by one complete collection.
THAW_EVERY = 16


class HeapKeeper:
    """Tunes the collector for one engine and freezes what survives full collections.

    The collector is one per process, so keepers of engines alive at the same time share it:
    the last one to stop restores the threshold and thaws the heap.
    """

    #: Keepers started and not yet stopped in this process.
    _active_count = 0

    def __init__(self) -> None:
        self.full_collections = 0
        self.frozen = 0
        self._previous_threshold = gc.get_threshold()
        self._active = False

    def start(self) -> None:
        """Raise the young threshold and freeze survivors of each full collection."""
        if self._active:
            return
        self._active = True
        HeapKeeper._active_count += 1
        young, middle, old = gc.get_threshold()
        if young < YOUNG_THRESHOLD:
            gc.set_threshold(YOUNG_THRESHOLD, middle, old)
        gc.callbacks.append(self._after_collection)

    def stop(self) -> None:
        """Stop freezing, thaw the heap and restore the collector's threshold."""
        if not self._active:
            return
        self._active = False
        HeapKeeper._active_count -= 1
        if self._after_collection in gc.callbacks:
            gc.callbacks.remove(self._after_collection)
        if HeapKeeper._active_count:
            return
        gc.unfreeze()
        if gc.get_threshold()[0] == YOUNG_THRESHOLD:
            gc.set_threshold(*self._previous_threshold)

    def thaw(self) -> None:
        """Give frozen objects back to the collector (after resources were dropped)."""
        gc.unfreeze()

    def _after_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info.get("generation") != 2:
            return
        self.full_collections += 1
        if HeapKeeper._active_count > 1 and gc.callbacks[-1] != self._after_collection:
            return  # another engine's keeper does it for this collection
        if self.full_collections % THAW_EVERY == 0:
            # The next full collection sees everything once more.
            gc.unfreeze()
            return
        gc.freeze()
        self.frozen = gc.get_freeze_count()
