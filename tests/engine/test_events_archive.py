"""EventBridge archives and replays on the virtual clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from engine import Engine, ServiceError, VirtualClock

BUS = "arn:aws:events:us-east-1:123456789012:event-bus/default"


async def _setup(eng: Engine) -> str:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    events = eng.client("events")
    await events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
    await events.put_targets(
        Rule="r", Targets=[{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}]
    )
    await events.create_archive(
        ArchiveName="a", EventSourceArn=BUS, EventPattern='{"source": ["shop"]}'
    )
    return url


async def _put(eng: Engine, source: str = "shop") -> None:
    await eng.client("events").put_events(
        Entries=[{"Source": source, "DetailType": "Order", "Detail": "{}"}]
    )


async def _drain(eng: Engine, url: str) -> list[dict]:
    sqs = eng.client("sqs")
    result = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    for message in result.get("Messages", []):
        await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in result.get("Messages", [])]


async def test_archive_keeps_only_matching_events(eng: Engine, clock: VirtualClock) -> None:
    await _setup(eng)
    await _put(eng)
    await _put(eng, "other")
    described = await eng.client("events").describe_archive(ArchiveName="a")
    assert described["EventCount"] == 1
    assert described["State"] == "ENABLED"


async def test_replay_resends_the_window_with_replay_name(eng: Engine, clock: VirtualClock) -> None:
    url = await _setup(eng)
    start = datetime.fromtimestamp(clock.now(), UTC)
    await _put(eng)
    await clock.advance(10)
    assert len(await _drain(eng, url)) == 1
    events = eng.client("events")
    started = await events.start_replay(
        ReplayName="again",
        EventSourceArn="arn:aws:events:us-east-1:123456789012:archive/a",
        EventStartTime=start,
        EventEndTime=datetime.fromtimestamp(clock.now(), UTC),
        Destination={"Arn": BUS},
    )
    assert started["State"] == "STARTING"
    await clock.advance(1)
    (replayed,) = await _drain(eng, url)
    assert replayed["replay-name"] == "again"
    await clock.advance(1)
    assert (await events.describe_replay(ReplayName="again"))["State"] == "COMPLETED"


async def test_replay_window_must_go_forward(eng: Engine, clock: VirtualClock) -> None:
    await _setup(eng)
    moment = datetime.fromtimestamp(clock.now(), UTC)
    with pytest.raises(ServiceError) as caught:
        await eng.client("events").start_replay(
            ReplayName="x",
            EventSourceArn="arn:aws:events:us-east-1:123456789012:archive/a",
            EventStartTime=moment,
            EventEndTime=moment,
            Destination={"Arn": BUS},
        )
    assert caught.value.message.endswith("EventStartTime must be before EventEndTime.")


async def test_replay_to_another_bus_is_refused(eng: Engine, clock: VirtualClock) -> None:
    await _setup(eng)
    other = (await eng.client("events").create_event_bus(Name="other"))["EventBusArn"]
    with pytest.raises(ServiceError) as caught:
        await eng.client("events").start_replay(
            ReplayName="x",
            EventSourceArn="arn:aws:events:us-east-1:123456789012:archive/a",
            EventStartTime=datetime(2025, 1, 1, tzinfo=UTC),
            EventEndTime=datetime(2026, 1, 1, tzinfo=UTC),
            Destination={"Arn": other},
        )
    assert caught.value.message.endswith("Cross event bus replay is not permitted.")


async def test_retention_drops_old_events(eng: Engine, clock: VirtualClock) -> None:
    await _setup(eng)
    await eng.client("events").update_archive(ArchiveName="a", RetentionDays=1)
    await _put(eng)
    await clock.advance(86400 + 1)
    assert (await eng.client("events").describe_archive(ArchiveName="a"))["EventCount"] == 0


async def test_duplicate_archive_is_refused(eng: Engine) -> None:
    await _setup(eng)
    with pytest.raises(ServiceError) as caught:
        await eng.client("events").create_archive(ArchiveName="a", EventSourceArn=BUS)
    assert caught.value.code == "ResourceAlreadyExistsException"
    assert caught.value.message == "Archive a already exists."


async def test_cancel_replay_stops_it_before_it_runs(eng: Engine, clock: VirtualClock) -> None:
    url = await _setup(eng)
    await _put(eng)
    await clock.advance(1)
    await _drain(eng, url)
    events = eng.client("events")
    await events.start_replay(
        ReplayName="x",
        EventSourceArn="arn:aws:events:us-east-1:123456789012:archive/a",
        EventStartTime=datetime(2025, 1, 1, tzinfo=UTC),
        EventEndTime=datetime.fromtimestamp(clock.now(), UTC),
        Destination={"Arn": BUS},
    )
    assert (await events.cancel_replay(ReplayName="x"))["State"] == "CANCELLING"
    await clock.advance(5)
    assert await _drain(eng, url) == []
    assert (await events.describe_replay(ReplayName="x"))["State"] == "CANCELLED"
