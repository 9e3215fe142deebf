"""A lab made elsewhere opens with mappings, schedules and pipes paused until `resume`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import Engine, VirtualClock
from tui.console import Console

pytestmark = pytest.mark.timeout(60)

ROLE = "arn:aws:iam::123456789012:role/r"


@pytest.fixture
def run(clock: VirtualClock, eng: Engine):  # type: ignore[no-untyped-def]
    console = Console(eng)

    async def runner(line: str):  # type: ignore[no-untyped-def]
        return await clock.run(console.execute(line))

    yield runner
    console.close()


async def _lab_file(run, tmp_path: Path, *, foreign: bool) -> Path:  # type: ignore[no-untyped-def]
    """A mapping with a message waiting for it, a minutely rule and schedule; then reset."""
    for line in (
        "sqs create-queue --queue-name jobs",
        "sqs create-queue --queue-name ticks",
        "sqs create-queue --queue-name beats",
        f"lambda create-function --function-name worker --runtime python3.12 --role {ROLE} "
        "--handler pipework.demos.echo --code '{}'",
        "lambda create-event-source-mapping --function-name worker --batch-size 1 "
        "--event-source-arn arn:aws:sqs:us-east-1:123456789012:jobs",
        "events put-rule --name tick --schedule-expression 'rate(1 minute)'",
        "events put-targets --rule tick --targets "
        "Id=1,Arn=arn:aws:sqs:us-east-1:123456789012:ticks",
        "scheduler create-schedule --name beat --schedule-expression 'rate(1 minute)' "
        "--flexible-time-window Mode=OFF --target "
        f"Arn=arn:aws:sqs:us-east-1:123456789012:beats,RoleArn={ROLE}",
        "lambda update-event-source-mapping --uuid UUID --no-enabled",
        "sqs send-message --queue-url jobs --message-body job",
    ):
        if "UUID" in line:
            mappings = (await run("lambda list-event-source-mappings")).value
            line = line.replace("UUID", mappings["EventSourceMappings"][0]["UUID"])
        result = await run(line)
        assert result.ok, (line, result.error)
    path = tmp_path / "lab.json"
    assert (await run(f"save {path}")).ok
    data = json.loads(path.read_text())
    # As a crafted file would have it: the mapping enabled with a message waiting for it.
    (mapping,) = data["services"]["lambda"]["mappings"]
    mapping["enabled"] = True
    if foreign:
        data["origin"] = {"machine": "another-machine", "user": "mallory", "host": "elsewhere"}
    path.write_text(json.dumps(data))
    assert (await run("reset")).ok
    return path


async def _counts(run) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {}
    for name in ("jobs", "ticks", "beats"):
        attributes = await run(f"sqs get-queue-attributes --queue-url {name} --attribute-names All")
        values = attributes.value["Attributes"]
        counts[name] = int(values["ApproximateNumberOfMessages"]) + int(
            values["ApproximateNumberOfMessagesNotVisible"]
        )
    return counts


async def test_a_foreign_lab_runs_nothing_until_resume(  # type: ignore[no-untyped-def]
    run, eng: Engine, clock: VirtualClock, tmp_path: Path
) -> None:
    path = await _lab_file(run, tmp_path, foreign=True)
    opened = await run(f"open {path}")
    assert opened.ok and opened.value["paused"] is True
    assert "mallory on elsewhere" in str(opened.output)
    await clock.advance(300)
    # The message waits, and neither the rule nor the schedule fired.
    assert await _counts(run) == {"jobs": 1, "ticks": 0, "beats": 0}
    resumed = await run("resume")
    assert resumed.ok and resumed.value == {"resumed": True}
    await clock.advance(61)
    counts = await _counts(run)
    assert counts["jobs"] == 0 and counts["ticks"] >= 1 and counts["beats"] >= 1
    assert not eng.hold.held


async def test_a_lab_made_here_by_this_user_runs_at_once(  # type: ignore[no-untyped-def]
    run, clock: VirtualClock, tmp_path: Path
) -> None:
    path = await _lab_file(run, tmp_path, foreign=False)
    opened = await run(f"open {path}")
    assert opened.ok and opened.value["paused"] is False
    await clock.advance(61)
    counts = await _counts(run)
    assert counts["jobs"] == 0 and counts["ticks"] >= 1 and counts["beats"] >= 1


async def test_a_file_without_origin_counts_as_foreign(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = await _lab_file(run, tmp_path, foreign=False)
    data = json.loads(path.read_text())
    del data["origin"]
    path.write_text(json.dumps(data))
    assert (await run(f"open {path}")).value["paused"] is True
    assert (await run("resume")).value == {"resumed": True}
    assert (await run("resume")).value == {"resumed": False}


async def test_a_restored_execution_waits_for_resume_too(  # type: ignore[no-untyped-def]
    run, clock: VirtualClock, tmp_path: Path
) -> None:
    definition = json.dumps(
        {
            "StartAt": "Pause",
            "States": {
                "Pause": {"Type": "Wait", "Seconds": 10, "Next": "Done"},
                "Done": {"Type": "Pass", "End": True},
            },
        }
    )
    path = tmp_path / "lab.json"
    assert (
        await run(
            f"stepfunctions create-state-machine --name w --role-arn {ROLE} "
            f"--definition '{definition}'"
        )
    ).ok
    started = await run(
        "stepfunctions start-execution --state-machine-arn "
        "arn:aws:states:us-east-1:123456789012:stateMachine:w"
    )
    arn = started.value["executionArn"]
    assert (await run(f"save {path}")).ok
    data = json.loads(path.read_text())
    data["origin"] = {"machine": "another-machine", "user": "mallory"}
    path.write_text(json.dumps(data))
    assert (await run(f"open {path}")).value["paused"] is True
    await clock.advance(60)
    described = await run(f"stepfunctions describe-execution --execution-arn {arn}")
    assert described.value["status"] == "RUNNING"
    assert (await run("resume")).ok
    await clock.advance(1)
    described = await run(f"stepfunctions describe-execution --execution-arn {arn}")
    assert described.value["status"] == "SUCCEEDED"
