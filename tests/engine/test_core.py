"""The engine core: clocks, trace, validation from botocore's model, errors."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from engine import Engine, RealClock, ServiceError, VirtualClock
from engine.faults import FaultInjector
from engine.ids import Ids
from engine.model import validator


async def test_virtual_clock_fires_timers_in_order_and_settles() -> None:
    clock = VirtualClock(start=100.0)
    fired: list[tuple[str, float]] = []
    clock.call_later(5, lambda: fired.append(("b", clock.now())))
    clock.call_later(2, lambda: fired.append(("a", clock.now())))
    await clock.advance(3)
    assert fired == [("a", 102.0)]
    assert clock.now() == 103.0
    await clock.advance(10)
    assert fired == [("a", 102.0), ("b", 105.0)]
    assert clock.now() == 113.0


async def test_work_caused_by_a_timer_happens_at_that_timer_time() -> None:
    clock = VirtualClock(start=0.0)
    seen: list[float] = []

    async def worker() -> None:
        await clock.sleep(10)
        seen.append(clock.now())
        await clock.sleep(5)
        seen.append(clock.now())

    task = asyncio.create_task(worker())
    await clock.advance(60)
    assert seen == [10.0, 15.0]
    assert task.done()


async def test_a_year_long_sleep_costs_no_real_time() -> None:
    clock = VirtualClock()
    done = asyncio.Event()

    async def sleeper() -> None:
        await clock.sleep(365 * 86400)
        done.set()

    asyncio.create_task(sleeper())
    await clock.advance(365 * 86400)
    assert done.is_set()


async def test_virtual_clock_run_jumps_when_idle() -> None:
    clock = VirtualClock(start=0.0)

    async def slow() -> str:
        await clock.sleep(20)
        return "done"

    assert await clock.run(slow()) == "done"
    assert clock.now() == 20.0


async def test_clock_refuses_to_go_backwards() -> None:
    with pytest.raises(ValueError):
        await VirtualClock().advance(-1)


async def test_cancelled_timer_does_not_fire() -> None:
    clock = VirtualClock()
    fired = []
    timer = clock.call_later(1, fired.append, 1)
    timer.cancel()
    await clock.advance(2)
    assert fired == []


async def test_clock_timeout_raises_on_simulated_time() -> None:
    clock = VirtualClock(start=0.0)

    async def never() -> None:
        await asyncio.Event().wait()

    async def guarded() -> None:
        await clock.timeout(3, never())

    task = asyncio.create_task(guarded())
    await clock.advance(5)
    with pytest.raises(TimeoutError):
        task.result()


async def test_real_clock_pause_resume_and_speed() -> None:
    clock = RealClock(speed=1000.0, start=0.0)
    fired = asyncio.Event()
    clock.call_later(50, fired.set)  # 50 simulated seconds = 50 ms real
    await asyncio.wait_for(fired.wait(), timeout=2)
    clock.pause()
    frozen = clock.now()
    await asyncio.sleep(0.02)
    assert clock.now() == frozen and clock.paused
    clock.resume()
    clock.set_speed(2.0)
    assert clock.speed == 2.0
    await clock.advance(100)
    assert clock.now() >= frozen + 100


def test_ids_are_deterministic() -> None:
    assert Ids(7).uuid() == Ids(7).uuid()
    assert Ids(7).uuid() != Ids(8).uuid()
    uuid = Ids(1).uuid()
    assert uuid[14] == "4" and len(uuid) == 36


def test_validator_reports_like_botocore() -> None:
    check = validator("sqs", "SendMessage")
    check({"QueueUrl": "q", "MessageBody": "x"})
    with pytest.raises(ServiceError) as missing:
        check({"QueueUrl": "q"})
    assert missing.value.code == "ParamValidationError"
    assert 'Missing required parameter in input: "MessageBody"' in missing.value.message
    with pytest.raises(ServiceError) as unknown:
        check({"QueueUrl": "q", "MessageBody": "x", "Bogus": 1})
    assert 'Unknown parameter in input: "Bogus"' in unknown.value.message
    with pytest.raises(ServiceError) as wrong_type:
        check({"QueueUrl": "q", "MessageBody": 5})
    assert "Invalid type for parameter MessageBody" in wrong_type.value.message


def test_validator_applies_server_side_maximums_and_enums() -> None:
    check = validator("kinesis", "PutRecord")
    with pytest.raises(ServiceError) as too_long:
        check({"StreamName": "s" * 129, "Data": b"x", "PartitionKey": "k"})
    assert too_long.value.code == "ValidationException"
    assert "at 'streamName' failed to satisfy constraint" in too_long.value.message
    enum_check = validator("kinesis", "GetShardIterator")
    with pytest.raises(ServiceError) as bad_enum:
        enum_check({"StreamName": "s", "ShardId": "x", "ShardIteratorType": "SIDEWAYS"})
    assert "enum value set" in bad_enum.value.message


async def test_unknown_service_and_operation() -> None:
    async with Engine(clock=VirtualClock()) as eng:
        with pytest.raises(ValueError, match="Unknown service"):
            eng.client("no-such-service")


async def test_trace_costs_nothing_without_listeners_and_buffers_when_subscribed() -> None:
    async with Engine(clock=VirtualClock()) as eng:
        assert eng.trace.enabled is False
        with eng.trace.subscribe(maxlen=2) as sub:
            assert eng.trace.enabled
            for index in range(3):
                eng.trace.emit("sent", "sqs", "arn:q", message_id=str(index))
            assert sub.dropped == 1
            assert [e.message_id for e in sub.drain()] == ["1", "2"]
        assert eng.trace.enabled is False


async def test_trace_recorder_follows_a_journey_by_trace_id() -> None:
    async with Engine(clock=VirtualClock()) as eng:
        recorder = eng.trace.record()
        eng.trace.emit("published", "sns", "arn:t", message_id="m1", trace_id="T")
        eng.trace.emit("sent", "sqs", "arn:q", message_id="m2", trace_id="T")
        eng.trace.emit("sent", "sqs", "arn:q", message_id="m3", trace_id="U")
        assert [e.message_id for e in recorder.journey("m1")] == ["m1", "m2"]


async def test_trace_event_keeps_its_fields_and_plain_data_form() -> None:
    async with Engine(clock=VirtualClock(start=50.0)) as eng:
        recorder = eng.trace.record()
        eng.trace.emit("sent", "sqs", "arn:q", message_id="m1", trace_id="T", body="hi")
        (event,) = recorder.events
        assert (event.seq, event.time, event.kind, event.service, event.resource) == (
            1,
            50.0,
            "sent",
            "sqs",
            "arn:q",
        )
        assert event.as_dict() == {
            "seq": 1,
            "time": 50.0,
            "kind": "sent",
            "service": "sqs",
            "resource": "arn:q",
            "message_id": "m1",
            "trace_id": "T",
            "detail": {"body": "hi"},
        }


async def test_a_service_event_reaches_recorders_and_subscriptions_alike() -> None:
    async with Engine(clock=VirtualClock()) as eng:
        recorder = eng.trace.record()
        with eng.trace.subscribe() as sub:
            eng.service("sqs").emit("sent", "arn:q", message_id="m1", delay_seconds=0)
            [seen] = sub.drain()
        assert recorder.events[-1] is seen
        assert seen.service == "sqs" and seen.detail == {"delay_seconds": 0}
        assert eng.trace.last_seq == seen.seq


async def test_a_stopped_recorder_receives_nothing_more() -> None:
    async with Engine(clock=VirtualClock()) as eng:
        recorder = eng.trace.record()
        eng.trace.emit("sent", "sqs", "arn:q")
        eng.trace.stop_recording(recorder)
        assert eng.trace.enabled is False
        eng.trace.emit("sent", "sqs", "arn:q")
        assert len(recorder.events) == 1


def test_fault_injector_validates_and_is_seeded() -> None:
    faults = FaultInjector(seed=3)
    with pytest.raises(ValueError):
        faults.configure("orders", duplicate=2.0)
    with pytest.raises(ValueError):
        faults.configure("orders", nonsense=0.1)
    faults.configure("orders", duplicate=0.5)
    arn = "arn:aws:sqs:us-east-1:123456789012:orders"
    assert faults.policy_for(arn).duplicate == 0.5
    assert faults.policy_for("arn:aws:sqs:us-east-1:123456789012:other") is None
    rolls = [faults.roll(0.5) for _ in range(20)]
    again = FaultInjector(seed=3)
    again.configure("orders", duplicate=0.5)
    assert rolls == [again.roll(0.5) for _ in range(20)]


def test_engine_imports_no_terminal_library() -> None:
    code = (
        "import sys, engine, engine.engine, engine.model, engine.trace\n"
        "bad = [m for m in ('rich', 'textual', 'prompt_toolkit') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
