"""Trace aggregation: per-second rates, owners of sub-resources, flags, counter histories."""

from __future__ import annotations

from engine import VirtualClock
from engine.trace import TraceBus
from tui.app.trace_stats import CounterHistory, EdgeCounterRates, TraceStats

TOPIC = "arn:aws:sns:us-east-1:123456789012:t"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:q"
DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"


async def test_rates_are_events_per_simulated_second() -> None:
    clock = VirtualClock(start=0.0)
    bus = TraceBus(clock)
    stats = TraceStats(bus, window=5)
    for _ in range(50):
        bus.emit("sent", "sqs", QUEUE, message_id="m")
        await clock.advance(0.1)
    stats.drain()
    assert stats.node_rate(QUEUE, clock.now()) == 10.0
    assert stats.node_rate(QUEUE, clock.now() + 60) == 0.0


async def test_a_subscription_event_counts_on_its_topic_edge() -> None:
    clock = VirtualClock(start=0.0)
    bus = TraceBus(clock)
    stats = TraceStats(bus, window=5)
    stats.set_nodes(frozenset({TOPIC, QUEUE}))
    for _ in range(10):
        bus.emit("delivered", "sns", f"{TOPIC}:sub-1", endpoint=QUEUE)
    stats.drain()
    assert stats.edge_rate(TOPIC, QUEUE, clock.now()) == 2.0
    assert stats.owner(f"{TOPIC}:sub-1") == TOPIC


async def test_dead_lettering_flags_the_edge_and_the_node() -> None:
    clock = VirtualClock(start=0.0)
    bus = TraceBus(clock)
    stats = TraceStats(bus)
    stats.set_nodes(frozenset({QUEUE, DLQ}))
    bus.emit("dead-lettered", "sqs", QUEUE, dead_letter_queue=DLQ)
    stats.drain()
    assert stats.edge_flag(QUEUE, DLQ, clock.now()) == "dead-letter"
    assert stats.node_flag(QUEUE, clock.now()) == "dead-letter"
    assert stats.node_flag(DLQ, clock.now()) is None


async def test_drain_returns_only_the_newest_events_but_counts_all() -> None:
    clock = VirtualClock(start=0.0)
    bus = TraceBus(clock)
    stats = TraceStats(bus)
    for n in range(500):
        bus.emit("sent", "sqs", QUEUE, message_id=str(n))
    batch = stats.drain(keep_events=40)
    assert batch.total == 500
    assert [e.message_id for e in batch.events][-1] == "499"
    assert len(batch.events) == 40


async def test_closing_stops_listening() -> None:
    bus = TraceBus(VirtualClock())
    stats = TraceStats(bus)
    assert bus.enabled
    stats.close()
    assert not bus.enabled


def test_counter_history_samples_once_per_simulated_second() -> None:
    history = CounterHistory(length=3)
    assert history.sample({"q": {"visible": 1}}, 10.2)
    assert not history.sample({"q": {"visible": 2}}, 10.9)
    for second, value in ((11, 3), (12, 4), (13, 5)):
        history.sample({"q": {"visible": value}}, second)
    assert history.series("q", "visible") == [3.0, 4.0, 5.0]


def test_edge_counter_rates_follow_the_counter_growth() -> None:
    rates = EdgeCounterRates(window=5)
    key = (TOPIC, QUEUE, "subscription")
    assert rates.rate(key, {"delivered": 0}, 0.0) == 0.0
    assert rates.rate(key, {"delivered": 50}, 5.0) == 10.0


async def test_a_traced_hop_no_edge_explains_becomes_an_observed_edge() -> None:
    clock = VirtualClock(start=0.0)
    bus = TraceBus(clock)
    stats = TraceStats(bus)
    function = "arn:aws:lambda:us-east-1:123456789012:function:f"
    stats.set_nodes(frozenset({QUEUE, function, TOPIC}), frozenset({(QUEUE, function)}))
    bus.emit("received", "sqs", QUEUE, trace_id="t1")
    bus.emit("invoked", "lambda", function, trace_id="t1")
    bus.emit("published", "sns", TOPIC, trace_id="t1")
    stats.drain()
    assert stats.observed == {(function, TOPIC)}
    assert stats.edge_rate(function, TOPIC, clock.now()) > 0


async def test_a_flood_is_sampled_but_keeps_rates_and_flags() -> None:
    clock = VirtualClock(start=0.0)
    bus = TraceBus(clock)
    stats = TraceStats(bus, window=5)
    for _ in range(10_000):
        bus.emit("sent", "sqs", QUEUE)
    bus.emit("dead-lettered", "sqs", QUEUE, dead_letter_queue=DLQ)
    batch = stats.drain()
    assert batch.total == 10_001
    assert stats.node_rate(QUEUE, clock.now()) == 2000.0  # 10,000 arrivals over 5 s
    assert stats.node_flag(QUEUE, clock.now()) == "dead-letter"


async def test_reading_a_shared_recorder_adds_no_listener_and_leaves_it_recording() -> None:
    bus = TraceBus(VirtualClock())
    recorder = bus.record()
    stats = TraceStats(bus, recorder=recorder)
    assert len(bus._sinks) == 1
    bus.emit("sent", "sqs", QUEUE, message_id="m1")
    assert [e.message_id for e in stats.take()] == ["m1"]
    stats.close()
    assert bus.enabled and len(recorder.events) == 1


async def test_take_returns_only_events_recorded_since_the_last_take() -> None:
    bus = TraceBus(VirtualClock())
    bus.record()
    bus.emit("sent", "sqs", QUEUE, message_id="before")
    stats = TraceStats(bus, recorder=bus._sinks[0])
    bus.emit("sent", "sqs", QUEUE, message_id="m1")
    bus.emit("sent", "sqs", QUEUE, message_id="m2")
    assert [e.message_id for e in stats.take()] == ["m1", "m2"]
    assert stats.take() == []


async def test_events_that_left_the_recorder_untaken_are_counted_as_dropped() -> None:
    bus = TraceBus(VirtualClock())
    stats = TraceStats(bus, buffer=3)
    for n in range(5):
        bus.emit("sent", "sqs", QUEUE, message_id=str(n))
    batch = stats.drain()
    assert [e.message_id for e in batch.events] == ["2", "3", "4"]
    assert batch.dropped == 2
