"""The lab store: checkpoints restore, a paused lab stays paused, `pipework lab list/delete`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import Engine, VirtualClock
from engine.persistence.keeper import KeptLab
from engine.persistence.labfile import read_file, restore
from engine.persistence.store import StoreError, lab_path, list_labs
from tui.cli import main as cli

pytestmark = pytest.mark.timeout(60)


async def test_a_kept_lab_comes_back_with_its_data(tmp_path: Path) -> None:
    clock = VirtualClock()
    async with Engine(clock=clock) as eng, KeptLab(eng, "work", tmp_path) as kept:
        assert kept.created
        sqs = eng.client("sqs")
        url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
        await sqs.send_message(QueueUrl=url, MessageBody="kept", DelaySeconds=30)
        assert kept.journal is not None and kept.journal.changed
    async with (
        Engine(clock=VirtualClock(start=clock.now())) as eng,
        KeptLab(eng, "work", tmp_path) as kept,
    ):
        assert not kept.created and not eng.hold.held
        sqs = eng.client("sqs")
        assert "Messages" not in await sqs.receive_message(QueueUrl=url)
        await eng.clock.advance(30)
        assert (await sqs.receive_message(QueueUrl=url))["Messages"][0]["Body"] == "kept"
    assert [lab["name"] for lab in list_labs(tmp_path)] == ["work"]


async def test_a_paused_lab_stays_paused_through_checkpoints(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.json"
    foreign.write_text(
        json.dumps(
            {
                "format": "pipework-lab",
                "version": 2,
                "origin": {"machine": "m", "user": "mallory"},
                "services": {"sqs": {"queues": [{"name": "q", "messages": []}]}},
            }
        )
    )
    async with Engine(clock=VirtualClock()) as eng, KeptLab(eng, "borrowed", tmp_path):
        await restore(eng, read_file(foreign, eng.available_services()))
        assert eng.hold.held
    async with Engine(clock=VirtualClock()) as eng, KeptLab(eng, "borrowed", tmp_path):
        assert eng.hold.held and "mallory" in eng.hold.reason  # saving here did not trust it
        eng.hold.release()
    async with Engine(clock=VirtualClock()) as eng, KeptLab(eng, "borrowed", tmp_path):
        assert not eng.hold.held  # resumed here: checkpoints now carry this machine's origin


def test_lab_names_are_checked(tmp_path: Path) -> None:
    for bad in ("", "../x", "a/b", ".hidden", "x" * 65):
        with pytest.raises(StoreError):
            lab_path(tmp_path, bad)


def test_lab_list_and_delete_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIPEWORK_DATA_DIR", str(tmp_path))
    assert cli(["lab", "list"]) == 0
    assert "No kept labs yet" in capsys.readouterr().out
    script = tmp_path / "s.pw"
    script.write_text("sqs create-queue --queue-name kept\n")
    assert cli(["run", str(script), "--lab", "mine"]) == 0
    assert cli(["lab", "list"]) == 0
    assert "\nmine\t" in capsys.readouterr().out
    script.write_text("sqs get-queue-url --queue-name kept\n")
    assert cli(["run", str(script), "--lab", "mine"]) == 0  # the queue was kept
    assert cli(["lab", "delete", "mine"]) == 0
    assert cli(["lab", "delete", "mine"]) == 1
    assert "no kept lab named 'mine'" in capsys.readouterr().err
    assert cli(["run", str(script), "--lab", "../etc"]) == 2
    with pytest.raises(SystemExit):
        cli(["run", str(script), "--durable"])  # --durable needs --lab


async def test_opening_a_file_into_a_kept_lab_is_kept_at_once(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps(
            {
                "format": "pipework-lab",
                "version": 2,
                "services": {"sqs": {"queues": [{"name": "from-file", "messages": []}]}},
            }
        )
    )
    async with (
        Engine(clock=VirtualClock()) as eng,
        KeptLab(eng, "w", tmp_path, durable=True, interval=3600),
    ):
        await eng.client("sqs").create_queue(QueueName="before")
        await restore(eng, read_file(other, eng.available_services()))
        await eng.client("sqs").create_queue(QueueName="after")
        # A crash now: the store must not replay "before" onto the opened lab.
        kept_store = eng.journal.store
        snapshot_gen = kept_store.generation()
        assert kept_store.journal_length() == 1 and snapshot_gen is not None
    async with Engine(clock=VirtualClock()) as eng, KeptLab(eng, "w", tmp_path):
        names = sorted(
            u.rsplit("/", 1)[1] for u in (await eng.client("sqs").list_queues())["QueueUrls"]
        )
        assert names == ["after", "from-file"]


def test_a_damaged_store_gets_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIPEWORK_DATA_DIR", str(tmp_path))
    (tmp_path / "labs").mkdir()
    (tmp_path / "labs" / "broken.sqlite").write_bytes(b"not a database at all" * 100)
    assert cli(["--lab", "broken", "-c", "sqs list-queues"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("pipework: ") and "not a Pipework lab store" in error
    assert "\n" not in error
    assert cli(["lab", "list"]) == 0
    assert "broken\t" in capsys.readouterr().out
    assert cli(["lab", "delete", "broken"]) == 0
