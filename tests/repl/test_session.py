"""REPL pieces that need no terminal: validation, recording, settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_toolkit.document import Document
from prompt_toolkit.validation import ValidationError

from tui.console import Console
from tui.repl.session import LineValidator, Recorder
from tui.repl.settings import Settings


async def test_validator_refuses_malformed_json(console: Console) -> None:
    with pytest.raises(ValidationError, match="Invalid JSON"):
        LineValidator(console).validate(Document("sqs tag-queue --queue-url q --tags '{\"a\": }'"))


async def test_validator_lets_unfinished_json_continue(console: Console) -> None:
    LineValidator(console).validate(Document('sqs tag-queue --queue-url q --tags \'{"a":'))


async def test_recorder_writes_successful_commands(console: Console, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    path = tmp_path / "session.pw"
    recorder.file = path.open("w", encoding="utf-8")
    recorder.path = str(path)
    for line in ("sqs create-queue --queue-name a", "sqs nope", "expect QueueUrl"):
        recorder.write(line, await clock.run(console.execute(line)))
    recorder.close()
    assert path.read_text(encoding="utf-8").splitlines() == [
        "sqs create-queue --queue-name a",
        "expect QueueUrl",
    ]


def test_settings_fall_back_on_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"output": "xml", "speed": -1, "vi_mode": true}', encoding="utf-8")
    settings = Settings.load(path)
    assert (settings.output, settings.speed, settings.vi_mode) == (None, 1.0, True)


async def test_toolbar_counts_one_resource_in_the_singular(eng, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tui.repl.session import Repl

    repl = Repl(eng, Settings(), tmp_path)
    await clock.run(repl.console.execute("sqs create-queue --queue-name a"))
    status = "".join(text for _, text in repl.toolbar())
    assert "│ 1 resource │" in status
    repl.console.close()
