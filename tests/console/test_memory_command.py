"""`memory`: the lab's resident memory and what it holds, read from the engine."""

from __future__ import annotations

import pytest

from .conftest import plain

pytestmark = pytest.mark.timeout(60)


async def test_memory_counts_messages_and_falls_back_after_delete(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name orders")
    for _ in range(3):
        await run("sqs send-message --queue-url orders --message-body hi")
    result = await run("memory")
    assert result.ok
    assert result.value["holdings"]["messages"] == 3
    assert result.value["holdings"]["queues"] == 1
    assert result.value["resident_bytes"] > 0
    text = plain(result.output)
    assert "messages" in text and "MiB" in text
    await run("sqs delete-queue --queue-url orders")
    after = await run("memory collect")
    assert after.value["holdings"]["messages"] == 0


async def test_memory_refuses_unknown_arguments(run) -> None:  # type: ignore[no-untyped-def]
    result = await run("memory everything")
    assert not result.ok
    assert "usage: memory" in (result.error or "")
