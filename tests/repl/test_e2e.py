"""An end-to-end session of the real `pipework repl` in a pseudo-terminal (pexpect)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

PROMPT = "pipework"


@pytest.fixture
def repl(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), TERM="xterm")
    env["PROMPT_TOOLKIT_NO_CPR"] = "1"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tui.cli", "repl"],
        env=env,
        cwd=str(Path(__file__).resolve().parents[2]),
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 160),
    )
    child.expect(PROMPT)
    yield child
    if child.isalive():
        child.terminate(force=True)


def run(child, line: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    """Send a line, wait for `expected`, then for the next prompt."""
    child.sendline(line)
    child.expect(expected)
    child.expect(PROMPT)


def test_a_session_creates_sends_receives_and_leaves(repl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run(repl, "sqs create-queue --queue-name orders", "123456789012/orders")
    run(
        repl,
        "sqs send-message --queue-url orders --message-body hello-from-pexpect",
        "Sent message",
    )
    run(repl, "sqs receive-message --queue-url orders", "hello-from-pexpect")
    run(repl, "sqs recieve-message", "did you mean receive-message")
    repl.send("sqs list-que")
    repl.sendcontrol("c")  # Ctrl-C cancels the line, the REPL stays
    repl.expect(PROMPT)
    run(repl, "clock", "running at 1")
    repl.sendcontrol("d")  # Ctrl-D leaves
    repl.expect(pexpect.EOF)
    repl.close()
    assert repl.exitstatus == 0
    assert (tmp_path / "data" / "pipework" / "history").exists()


def test_record_writes_a_replayable_script(repl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "rec.pw"
    run(repl, f"record {script}", "Recording to")
    run(repl, "sqs create-queue --queue-name rec", "123456789012/rec")
    repl.sendline("exit")
    repl.expect(pexpect.EOF)
    assert "sqs create-queue --queue-name rec" in script.read_text(encoding="utf-8")
