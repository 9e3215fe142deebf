"""The engine's HeapKeeper: long-lived lab state frozen out of full collections, and thawed."""

from __future__ import annotations

import gc
import weakref

import pytest

from engine import Engine, VirtualClock
from engine.heap import YOUNG_THRESHOLD, HeapKeeper

pytestmark = pytest.mark.timeout(30)


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_full_collection_freezes_its_survivors() -> None:
    keeper = HeapKeeper()
    keeper.start()
    try:
        kept = [_Cycle() for _ in range(100)]
        gc.collect()
        assert keeper.full_collections >= 1
        assert gc.get_freeze_count() >= len(kept)
        assert keeper.frozen == gc.get_freeze_count()
    finally:
        keeper.stop()
    assert gc.get_freeze_count() == 0


def test_the_young_threshold_is_raised_while_running_and_restored_after() -> None:
    before = gc.get_threshold()
    keeper = HeapKeeper()
    keeper.start()
    try:
        assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
    finally:
        keeper.stop()
    assert gc.get_threshold() == before


def test_thawing_lets_a_complete_collection_reclaim_frozen_cycles() -> None:
    keeper = HeapKeeper()
    keeper.start()
    try:
        cycle = _Cycle()
        alive = weakref.ref(cycle)
        gc.collect()  # survives: frozen now
        del cycle
        gc.collect()
        assert alive() is not None  # a frozen cycle waits
        keeper.thaw()
        gc.collect()
        assert alive() is None
    finally:
        keeper.stop()


def test_every_thaw_every_th_full_collection_is_complete() -> None:
    from engine.heap import THAW_EVERY

    keeper = HeapKeeper()
    keeper.start()
    try:
        for _ in range(THAW_EVERY - keeper.full_collections % THAW_EVERY - 1):
            gc.collect()
        assert gc.get_freeze_count() > 0
        gc.collect()  # the THAW_EVERY-th: thaws instead of freezing
        assert keeper.full_collections % THAW_EVERY == 0
        assert gc.get_freeze_count() == 0
    finally:
        keeper.stop()


async def test_an_engine_keeps_its_heap_and_stops_on_close() -> None:
    async with Engine(clock=VirtualClock()) as eng:
        sqs = eng.client("sqs")
        await sqs.create_queue(QueueName="q")
        gc.collect()
        assert gc.get_freeze_count() > 0
        await eng.reset()
        assert gc.get_freeze_count() == 0
    assert eng.heap._after_collection not in gc.callbacks
    assert gc.get_freeze_count() == 0
