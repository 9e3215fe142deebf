"""The lab file: binary data, deadlines and dedup windows round-trip; a bad file changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import Engine, VirtualClock
from engine.persistence.labfile import read_file, restore, save_file

pytestmark = pytest.mark.timeout(60)


async def _reopened(eng: Engine, path: Path, clock: VirtualClock | None = None) -> Engine:
    """A fresh lab (new engine; the same clock unless given) opened from `path`."""
    fresh = Engine(clock=clock or eng.clock)
    await restore(fresh, read_file(path, fresh.available_services()))
    return fresh


async def test_binary_message_attributes_come_back_as_bytes(eng: Engine, tmp_path: Path) -> None:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="bin"))["QueueUrl"]
    payload = bytes(range(256))
    sent = await sqs.send_message(
        QueueUrl=url,
        MessageBody="b",
        MessageAttributes={"blob": {"DataType": "Binary", "BinaryValue": payload}},
    )
    save_file(eng, tmp_path / "lab.json")
    async with await _reopened(eng, tmp_path / "lab.json") as fresh:
        got = await fresh.client("sqs").receive_message(QueueUrl=url, MessageAttributeNames=["All"])
        message = got["Messages"][0]
        assert message["MessageAttributes"]["blob"]["BinaryValue"] == payload
        assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]


async def test_delays_and_visibility_resume_with_the_time_they_had_left(
    eng: Engine, clock: VirtualClock, tmp_path: Path
) -> None:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    await sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    await sqs.send_message(QueueUrl=url, MessageBody="taken")
    taken = await sqs.receive_message(QueueUrl=url, VisibilityTimeout=100)
    handle = taken["Messages"][0]["ReceiptHandle"]
    await clock.advance(20)  # 40 s of delay and 80 s of invisibility left
    save_file(eng, tmp_path / "lab.json")
    # Opened an hour later: what is kept is the time remaining, not the deadlines.
    clock = VirtualClock(start=clock.now() + 3600)
    async with await _reopened(eng, tmp_path / "lab.json", clock) as fresh:
        client = fresh.client("sqs")
        assert "Messages" not in await client.receive_message(QueueUrl=url)
        await clock.advance(41)
        assert [m["Body"] for m in (await client.receive_message(QueueUrl=url))["Messages"]] == [
            "later"
        ]
        # The old receipt handle still works while the message is in flight.
        await client.change_message_visibility(
            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0
        )
        back = await client.receive_message(QueueUrl=url, AttributeNames=["All"])
        assert back["Messages"][0]["Body"] == "taken"
        assert back["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"


async def test_fifo_deduplication_window_survives(
    eng: Engine, clock: VirtualClock, tmp_path: Path
) -> None:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="o.fifo", Attributes={"FifoQueue": "true"}))["QueueUrl"]
    first = await sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1"
    )
    await clock.advance(100)
    save_file(eng, tmp_path / "lab.json")
    async with await _reopened(eng, tmp_path / "lab.json") as fresh:
        client = fresh.client("sqs")
        again = await client.send_message(
            QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1"
        )
        assert again["MessageId"] == first["MessageId"]
        assert again["SequenceNumber"] == first["SequenceNumber"]
        await clock.advance(201)  # the 5-minute window has passed
        later = await client.send_message(
            QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1"
        )
        assert later["MessageId"] != first["MessageId"]
        assert int(later["SequenceNumber"]) > int(first["SequenceNumber"])


async def _lab_with_queue(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name kept")
    await run("sqs send-message --queue-url kept --message-body hello")
    path = tmp_path / "lab.json"
    assert (await run(f"save {path}")).ok
    return path


@pytest.fixture
def run(clock: VirtualClock, eng: Engine):  # type: ignore[no-untyped-def]
    from tui.console import Console

    console = Console(eng)

    async def runner(line: str):  # type: ignore[no-untyped-def]
        return await clock.run(console.execute(line))

    yield runner
    console.close()


async def _still_there(run) -> None:  # type: ignore[no-untyped-def]
    urls = (await run("sqs list-queues")).value["QueueUrls"]
    assert [u.rsplit("/", 1)[1] for u in urls] == ["kept"]
    got = await run("sqs receive-message --queue-url kept")
    assert got.value["Messages"][0]["Body"] == "hello"


async def test_a_bad_value_names_its_path_and_changes_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = await _lab_with_queue(run, tmp_path)
    data = json.loads(path.read_text())
    for name in ("a", "b", "c"):
        data["services"]["sqs"]["queues"].append({"name": name, "attributes": {}, "messages": []})
    data["services"]["sqs"]["queues"][3]["attributes"]["DelaySeconds"] = {"oops": 1}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = await run(f"open {bad}")
    assert not result.ok
    assert result.error == (
        "open: bad.json: services.sqs.queues[3].attributes.DelaySeconds: expected a number or text"
    )
    await _still_there(run)


async def test_a_bad_message_deep_in_the_file_changes_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = await _lab_with_queue(run, tmp_path)
    data = json.loads(path.read_text())
    data["services"]["sqs"]["queues"].append(
        {
            "name": "z",
            "messages": [{"id": "1", "body": "ok", "sent_at": 1}, {"id": "2", "sent_at": 1}],
        }
    )
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = await run(f"open {bad}")
    assert result.error == "open: bad.json: services.sqs.queues[1].messages[1]: missing body"
    await _still_there(run)


async def test_a_file_that_fails_while_restoring_changes_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = await _lab_with_queue(run, tmp_path)
    data = json.loads(path.read_text())
    # Structurally fine, refused by SQS itself: half a lab must not be left behind.
    data["services"]["sqs"]["queues"].append({"name": "bad name!", "messages": []})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = await run(f"open {bad}")
    assert not result.ok and result.error.startswith("open: bad.json: services.sqs: could not")
    await _still_there(run)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{", "open: bad.json: is not JSON"),
        ("\udcff\x00garbage", "open: bad.json: is not JSON (lexical error"),
        (
            '{"format": "pipework-lab", "version": 2, "services": {"sqs": '
            + "[" * 1000
            + "]" * 1000
            + "}}",
            "open: bad.json: services.sqs[0][0][0][0][0][0]…: nested more than 200 levels deep",
        ),
        ("{}", "open: bad.json: is not a Pipework lab file (made by save)"),
        (
            '{"format": "pipework-lab", "version": 99, "services": {}}',
            "open: bad.json: version: the file is format version 99, written by a newer "
            "Pipework; this build opens versions 1 to 2",
        ),
        (
            '{"format": "pipework-lab", "version": 2, "services": {"ec2": {}}}',
            "open: bad.json: services.ec2: has a member this build does not know",
        ),
        (
            '{"format": "pipework-lab", "version": 2, "services": {"sqs": {"queues": [{"name": '
            '"q", "messages": [{"id": "1", "body": "b", "sent_at": 0, "attributes": {"a": '
            '{"DataType": "Binary", "BinaryValue": {"$b64": "!!"}}}}]}]}}}',
            "open: bad.json: services.sqs.queues[0].messages[0].attributes.a.BinaryValue.$b64: "
            "is not valid base64",
        ),
    ],
    ids=[
        "truncated",
        "binary",
        "deep",
        "not-a-lab",
        "future-version",
        "unknown-service",
        "bad-base64",
    ],
)
async def test_malformed_files_get_one_line(run, tmp_path: Path, text: str, error: str) -> None:  # type: ignore[no-untyped-def]
    await _lab_with_queue(run, tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_bytes(text.encode("utf-8", "surrogateescape"))
    result = await run(f"open {bad}")
    assert not result.ok and result.error.startswith(error), result.error
    assert "\n" not in result.error
    await _still_there(run)


async def test_save_replaces_the_file_atomically(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = await _lab_with_queue(run, tmp_path)
    await run("sqs send-message --queue-url kept --message-body two")
    assert (await run(f"save {path}")).ok
    assert [p.name for p in tmp_path.iterdir()] == ["lab.json"]  # no temporary file left
    assert json.loads(path.read_text())["version"] == 2


async def test_a_version_1_file_still_opens_paused(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old.json"
    old.write_text(
        json.dumps(
            {
                "format": "pipework-lab",
                "version": 1,
                "time": 1767225600.0,
                "services": {
                    "sqs": {
                        "saved_at": 1767225600.0,
                        "queues": [
                            {
                                "name": "legacy",
                                "attributes": {"VisibilityTimeout": "30"},
                                "fifo": False,
                                "tags": {},
                                "policy": None,
                                "messages": [
                                    {
                                        "id": "m1",
                                        "body": "from v1",
                                        "attributes": {},
                                        "system_attributes": None,
                                        "sent_at": 1767225590.0,
                                        "receive_count": 0,
                                        "group_id": None,
                                        "dedup_id": None,
                                        "dead_letter_source": None,
                                    }
                                ],
                            }
                        ],
                    }
                },
            }
        )
    )
    opened = await run(f"open {old}")
    assert opened.ok and opened.value["paused"] is True  # no origin: made who knows where
    got = await run("sqs receive-message --queue-url legacy")
    assert got.value["Messages"][0]["Body"] == "from v1"


async def test_sns_fifo_deduplication_and_sequence_survive(
    eng: Engine, clock: VirtualClock, tmp_path: Path
) -> None:
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true"}))["TopicArn"]
    first = await sns.publish(
        TopicArn=topic, Message="x", MessageGroupId="g", MessageDeduplicationId="d1"
    )
    save_file(eng, tmp_path / "lab.json")
    async with await _reopened(eng, tmp_path / "lab.json") as fresh:
        client = fresh.client("sns")
        again = await client.publish(
            TopicArn=topic, Message="x", MessageGroupId="g", MessageDeduplicationId="d1"
        )
        assert again == {**first, "ResponseMetadata": again["ResponseMetadata"]}
        other = await client.publish(
            TopicArn=topic, Message="y", MessageGroupId="g", MessageDeduplicationId="d2"
        )
        assert int(other["SequenceNumber"]) > int(first["SequenceNumber"])
