"""The check kinds lessons use: Kinesis lag rows, failing expressions, read-only lab commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Engine, VirtualClock
from lessons.checks import check_passes
from lessons.model import Check, LessonError, load_catalogue, load_lesson
from tui.console import Console

#: The curriculum of issue 10: every lesson present must carry its title's opening words.
CURRICULUM = {
    1: "Application integration",
    2: "Queues",
    3: "Poison messages",
    4: "FIFO queues",
    5: "Delay queues and long polling",
    6: "Pub/sub with SNS",
    7: "SNS message filtering",
    8: "The event bus",
    9: "EventBridge input transformation",
    10: "Streams",
    11: "Falling behind",
    12: "Firehose",
    13: "API Gateway: routes and integrations",
    14: "API Gateway: API keys",
    15: "State machines",
    16: "Resilient workflows",
    17: "Orchestration vs choreography",
    18: "Retries and idempotency",
    19: "Capstone",
    20: "Saga with compensation",
    21: "Transactional outbox",
    22: "Poison records",
    23: "Request-reply",
    24: "Competing consumers",
    25: "Circuit breaker",
    26: "Permissions",
    30: "Exchanges and routing keys",
    31: "Lift and shift",
    28: "Kafka on MSK",
    29: "Kinesis vs Kafka vs SQS",
}


def test_lessons_follow_the_curriculum() -> None:
    catalogue = load_catalogue()
    for lesson in catalogue.lessons:
        if lesson.number not in CURRICULUM:
            continue  # lessons 27+ belong to other issues
        assert lesson.title.startswith(CURRICULUM[lesson.number]), lesson.slug
        assert 3 <= len(lesson.steps) <= 6 or lesson.number <= 5, lesson.slug


async def test_lag_check_reads_the_streams_consumer_lag() -> None:
    clock = VirtualClock()
    async with Engine(clock=clock) as engine:
        console = Console(engine)
        behind = Check(lag="clicks", expect="[?records_behind > `0`]")
        assert not await check_passes(console, behind)  # no such stream yet
        for line in (
            "kinesis create-stream --stream-name clicks --shard-count 1",
            "kinesis put-record --stream-name clicks --partition-key a --data aGk=",
            "kinesis put-record --stream-name clicks --partition-key a --data aGk=",
        ):
            assert (await clock.run(console.execute(line))).ok
        assert not await check_passes(console, behind)  # nobody reads yet: no lag rows
        await console.execute(
            "ITER=$(kinesis get-shard-iterator --stream-name clicks --shard-id shardId-000000000000"
            " --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text)"
        )
        assert (await console.execute("kinesis get-records --shard-iterator $ITER --limit 1")).ok
        assert await check_passes(console, behind)
        caught_up = Check(lag="clicks", expect="[?records_behind == `0`]")
        assert not await check_passes(console, caught_up)
        console.close()


async def test_a_check_whose_expression_cannot_apply_is_simply_not_met() -> None:
    async with Engine(clock=VirtualClock()) as engine:
        console = Console(engine)
        await console.execute("sqs create-queue --queue-name q")
        await console.execute("sqs send-message --queue-url q --message-body hi")
        # contains() on a missing field is a JMESPath type error: the check fails, nothing raises.
        check = Check(trace="sent", where="contains(detail.missing, 'x')")
        assert not await check_passes(console, check)
        command = Check(command="sqs get-queue-url --queue-name q", expect="contains(Nope, 'x')")
        assert not await check_passes(console, command)
        console.close()


def _write_lesson(folder: Path, check: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lesson.toml").write_text(
        f"number = 1\ntitle = 'x'\n[[steps]]\nid = 'a'\ntext = 't'\nchecks = [{check}]\n"
    )
    return folder


def test_a_lag_check_needs_an_expectation(tmp_path: Path) -> None:
    with pytest.raises(LessonError) as error:
        load_lesson(_write_lesson(tmp_path, "{lag = 'clicks'}"))
    assert "a lag check needs 'expect'" in str(error.value)


def test_a_check_has_exactly_one_kind(tmp_path: Path) -> None:
    with pytest.raises(LessonError) as error:
        load_lesson(_write_lesson(tmp_path, "{lag = 'clicks', trace = 'put', expect = '@'}"))
    assert "exactly one of 'command', 'trace' or 'lag'" in str(error.value)


def test_outbox_is_a_read_only_check_command(tmp_path: Path) -> None:
    lesson = load_lesson(
        _write_lesson(tmp_path, "{command = 'outbox a@example.com', expect = '@'}")
    )
    assert lesson.steps[0].checks[0].command == "outbox a@example.com"


@pytest.mark.parametrize(
    "command",
    [
        "kinesis get-records --shard-iterator x",
        "stepfunctions get-activity-task --activity-arn a",
        "apigateway test-invoke-method --rest-api-id a --resource-id b --http-method GET",
        "sqs receive-message --queue-url q",
    ],
)
def test_commands_that_change_the_lab_are_refused_as_checks(tmp_path: Path, command: str) -> None:
    with pytest.raises(LessonError) as error:
        load_lesson(_write_lesson(tmp_path, f"{{command = '{command}', expect = '@'}}"))
    assert "only read the lab" in str(error.value)


def test_testing_an_event_pattern_is_a_read_only_check(tmp_path: Path) -> None:
    check = "{command = 'events test-event-pattern --event-pattern p --event e', expect = 'Result'}"
    assert load_lesson(_write_lesson(tmp_path, check)).steps[0].checks[0].expect == "Result"


async def test_a_trace_resource_may_be_named_when_its_arn_ends_in_an_id() -> None:
    async with Engine(clock=VirtualClock()) as engine:
        console = Console(engine)
        check = Check(trace="created", resource="catalog")
        assert not await check_passes(console, check)
        assert (await console.execute("apigateway create-rest-api --name catalog")).ok
        assert await check_passes(console, check)  # the event's resource is …/restapis/<id>
        console.close()


async def test_a_check_comparing_a_number_with_text_is_simply_not_met() -> None:
    async with Engine(clock=VirtualClock()) as engine:
        console = Console(engine)
        await console.execute("sqs create-queue --queue-name q")
        check = Check(command="sqs list-queues", expect='length(QueueUrls) > `"a"`')
        assert not await check_passes(console, check)
        console.close()
