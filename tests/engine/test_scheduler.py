"""EventBridge Scheduler: at(), rate() and cron() schedules on the virtual clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from engine import Engine, ServiceError, VirtualClock

ROLE = "arn:aws:iam::123456789012:role/scheduler"
OFF = {"Mode": "OFF"}


async def _queue(eng: Engine) -> tuple[str, str]:
    url = (await eng.client("sqs").create_queue(QueueName="q"))["QueueUrl"]
    return url, "arn:aws:sqs:us-east-1:123456789012:q"


async def _bodies(eng: Engine, url: str) -> list[str]:
    sqs = eng.client("sqs")
    result = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    for message in result.get("Messages", []):
        await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [m["Body"] for m in result.get("Messages", [])]


async def test_one_time_schedule_fires_once_in_its_time_zone(
    eng: Engine, clock: VirtualClock
) -> None:
    url, arn = await _queue(eng)
    await eng.client("scheduler").create_schedule(
        Name="once",
        ScheduleExpression="at(2026-01-01T09:00:00)",
        ScheduleExpressionTimezone="Europe/Paris",
        FlexibleTimeWindow=OFF,
        Target={"Arn": arn, "RoleArn": ROLE, "Input": '{"at": "<aws.scheduler.scheduled-time>"}'},
    )
    await clock.advance(8 * 3600 - 1)
    assert await _bodies(eng, url) == []
    await clock.advance(1)
    assert [json.loads(b) for b in await _bodies(eng, url)] == [{"at": "2026-01-01T08:00:00Z"}]
    await clock.advance(86400)
    assert await _bodies(eng, url) == []


async def test_rate_schedule_repeats(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng)
    await eng.client("scheduler").create_schedule(
        Name="tick",
        ScheduleExpression="rate(10 minutes)",
        FlexibleTimeWindow=OFF,
        Target={"Arn": arn, "RoleArn": ROLE, "Input": "ping"},
    )
    await clock.advance(3600)
    assert len(await _bodies(eng, url)) == 6


async def test_flexible_window_delays_within_the_window(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng)
    await eng.client("scheduler").create_schedule(
        Name="flex",
        ScheduleExpression="cron(0 12 * * ? *)",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 30},
        Target={"Arn": arn, "RoleArn": ROLE, "Input": "{}"},
    )
    await clock.advance(12 * 3600 - 1)
    assert await _bodies(eng, url) == []
    await clock.advance(30 * 60 + 1)
    assert len(await _bodies(eng, url)) == 1


async def test_completed_schedule_is_deleted_when_asked(eng: Engine, clock: VirtualClock) -> None:
    _, arn = await _queue(eng)
    scheduler = eng.client("scheduler")
    await scheduler.create_schedule(
        Name="once",
        ScheduleExpression="at(2026-01-01T00:05:00)",
        FlexibleTimeWindow=OFF,
        ActionAfterCompletion="DELETE",
        Target={"Arn": arn, "RoleArn": ROLE, "Input": "{}"},
    )
    await clock.advance(600)
    assert (await scheduler.list_schedules())["Schedules"] == []


async def test_bus_target_gets_source_and_detail_type(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng)
    events = eng.client("events")
    await events.put_rule(Name="r", EventPattern='{"source": ["my.scheduler"]}')
    await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    await eng.client("scheduler").create_schedule(
        Name="to-bus",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow=OFF,
        Target={
            "Arn": "arn:aws:events:us-east-1:123456789012:event-bus/default",
            "RoleArn": ROLE,
            "Input": '{"k": 1}',
            "EventBridgeParameters": {"Source": "my.scheduler", "DetailType": "Tick"},
        },
    )
    await clock.advance(60)
    (body,) = await _bodies(eng, url)
    assert json.loads(body)["detail"] == {"k": 1}


async def test_end_date_stops_the_schedule(eng: Engine, clock: VirtualClock) -> None:
    url, arn = await _queue(eng)
    await eng.client("scheduler").create_schedule(
        Name="short",
        ScheduleExpression="rate(1 minute)",
        EndDate=datetime(2026, 1, 1, 0, 3, tzinfo=UTC),
        FlexibleTimeWindow=OFF,
        Target={"Arn": arn, "RoleArn": ROLE, "Input": "{}"},
    )
    await clock.advance(600)
    assert len(await _bodies(eng, url)) == 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ScheduleExpression": "rate(1 minutes)"}, "Invalid Schedule Expression rate(1 minutes)."),
        ({"ScheduleExpressionTimezone": "Mars/Olympus"}, "Invalid timezone Mars/Olympus."),
        (
            {"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}},
            "MaximumWindowInMinutes must be provided when Mode is FLEXIBLE.",
        ),
    ],
)
async def test_bad_schedules_are_refused(eng: Engine, changes: dict, message: str) -> None:
    params = {
        "Name": "bad",
        "ScheduleExpression": "rate(1 minute)",
        "FlexibleTimeWindow": OFF,
        "Target": {"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": ROLE},
        **changes,
    }
    scheduler = eng.client("scheduler")
    with pytest.raises(ServiceError) as caught:
        await scheduler.create_schedule(**params)
    assert caught.value.message == message
    assert (await scheduler.list_schedules())["Schedules"] == []


async def test_get_schedule_shows_default_retry_policy(eng: Engine) -> None:
    scheduler = eng.client("scheduler")
    await scheduler.create_schedule(
        Name="s",
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": ROLE},
    )
    got = await scheduler.get_schedule(Name="s")
    assert got["Target"]["RetryPolicy"] == {
        "MaximumEventAgeInSeconds": 86400,
        "MaximumRetryAttempts": 185,
    }
    assert got["Arn"] == "arn:aws:scheduler:us-east-1:123456789012:schedule/default/s"


async def test_dump_and_load_restore_schedules(eng: Engine) -> None:
    scheduler = eng.client("scheduler")
    await scheduler.create_schedule_group(Name="ops")
    await scheduler.create_schedule(
        Name="s",
        GroupName="ops",
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": ROLE},
    )
    saved = eng.service("scheduler").dump()
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.service("scheduler").load(saved)
        got = await fresh.client("scheduler").get_schedule(Name="s", GroupName="ops")
    assert got["ScheduleExpression"] == "rate(1 hour)"
