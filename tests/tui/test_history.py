"""The command history file shared with the REPL (prompt_toolkit's FileHistory format)."""

from __future__ import annotations

from pathlib import Path

from tui.app.history import append_history, load_history


def test_history_round_trips_in_file_history_format(tmp_path: Path) -> None:
    path = tmp_path / "history"
    append_history("sqs list-queues", path)
    append_history("line one\nline two", path)
    assert load_history(path) == ["sqs list-queues", "line one\nline two"]
    assert "+sqs list-queues" in path.read_text()


def test_a_missing_history_file_is_an_empty_history(tmp_path: Path) -> None:
    assert load_history(tmp_path / "nothing") == []


def test_the_history_file_is_the_repl_one_in_the_data_dir(tmp_path: Path, monkeypatch) -> None:
    from tui.app.history import history_path

    monkeypatch.setenv("PIPEWORK_DATA_DIR", str(tmp_path))
    assert history_path() == tmp_path / "history"
