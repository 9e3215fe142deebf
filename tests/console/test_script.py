"""Scripts: comments, expect, multi-line values, exit status and the failing line's number."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from tui.console.script import iter_commands, run_script


async def run_text(text: str, **options: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = await run_script(text, name="demo.pw", stdout=out, stderr=err, **options)
    return status, out.getvalue(), err.getvalue()


def test_iter_commands_skips_comments_and_joins_json() -> None:
    text = '# a comment\n\nsqs tag-queue --queue-url q --tags \'{\n  "a": "1"\n}\'\nclock show\n'
    commands = list(iter_commands(text))
    assert [n for n, _ in commands] == [3, 6]
    assert commands[0][1].endswith("}'")


def test_backslash_continues_a_line() -> None:
    assert list(iter_commands("clock \\\n  advance 5s\n")) == [(1, "clock    advance 5s")]


async def test_a_passing_script_exits_zero() -> None:
    status, _, err = await run_text(
        "sqs create-queue --queue-name a\nexpect QueueUrl\nsqs list-queues\n"
        "expect length(QueueUrls) == `1`\n"
    )
    assert status == 0 and err == ""


async def test_first_failing_expect_is_named_with_its_line() -> None:
    status, _, err = await run_text("sqs create-queue --queue-name a\n\nexpect QueueUrls\nexit\n")
    assert status == 1 and err.startswith("demo.pw:3: expect failed: QueueUrls was null")


async def test_first_failing_command_is_named_with_its_line() -> None:
    status, _, err = await run_text("# start\nsqs delete-queue --queue-url nowhere\n")
    assert status == 1 and err.startswith("demo.pw:2: An error occurred (")


async def test_echo_prints_each_command() -> None:
    status, out, _ = await run_text("clock show\n", echo=True)
    assert status == 0 and out.startswith("$ clock show")


async def test_a_day_of_virtual_time_is_instant() -> None:
    status, out, _ = await run_text("clock advance 1d\nexpect epoch == `1767312000`\n")
    assert status == 0


def test_cli_run_exit_status(tmp_path: Path) -> None:
    script = tmp_path / "s.pw"
    script.write_text("sqs create-queue --queue-name a\nexpect QueueUrls\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "run", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and f"{script}:2: expect failed" in done.stderr


def test_cli_one_shot(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "-c",
            "sqs create-queue --queue-name a; sqs list-queues",
            "--output",
            "text",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert (
        done.stdout.splitlines()[-1]
        == "QUEUEURLS\thttps://sqs.us-east-1.amazonaws.com/123456789012/a"
    )


def test_repl_reads_a_script_from_a_pipe(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "repl"],
        input="sqs create-queue --queue-name piped\nexpect QueueUrl\nexpect nothing\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "<stdin>:3: expect failed" in done.stderr


async def test_expect_comparing_a_number_with_text_is_one_clear_line(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name cmp")
    await run("sqs list-queues")
    result = await run("expect length(QueueUrls) > `0a`")
    assert not result.ok
    assert "Internal error" not in (result.error or "")
    assert result.error.startswith("expect: bad JMESPath expression")


async def test_a_query_that_cannot_be_evaluated_is_one_clear_line(run) -> None:  # type: ignore[no-untyped-def]
    await run("sqs create-queue --queue-name cmp")
    result = await run("sqs list-queues --query 'length(QueueUrls) > `\"a\"`'")
    assert not result.ok
    assert (result.error or "").startswith("--query: ")


async def test_an_echoed_run_ends_with_a_summary_line() -> None:
    status, out, _ = await run_text(
        "sqs create-queue --queue-name a\nexpect QueueUrl\nsqs list-queues\n"
        "expect length(QueueUrls) == `1`\n",
        echo=True,
    )
    assert status == 0
    assert out.rstrip().splitlines()[-1] == "4 commands, 2 expects held"


async def test_a_failed_comparison_says_what_each_side_produced() -> None:
    status, out, err = await run_text(
        "sqs create-queue --queue-name a\nsqs list-queues\nexpect length(QueueUrls) == `2`\n",
        echo=True,
    )
    assert status == 1
    assert (
        "expect failed: length(QueueUrls) == `2` was false (left side was 1, right side 2)" in err
    )
    assert (
        out.rstrip().splitlines()[-1] == "stopped at line 3: 3 commands, 0 expects held, 1 failed"
    )


def test_cli_run_echoes_by_default_and_quiet_hides_it(tmp_path: Path) -> None:
    script = tmp_path / "s.pw"
    script.write_text("sqs create-queue --queue-name a\nexpect QueueUrl\n", encoding="utf-8")
    runs = {}
    for flags in ((), ("--quiet",)):
        runs[flags] = subprocess.run(
            [sys.executable, "-m", "tui.cli", "run", str(script), *flags],
            capture_output=True,
            text=True,
            timeout=60,
        )
    loud, quiet = runs[()], runs[("--quiet",)]
    assert loud.returncode == quiet.returncode == 0
    assert loud.stdout.startswith("$ sqs create-queue --queue-name a")
    assert "$ expect QueueUrl" in loud.stdout
    assert loud.stdout.rstrip().endswith("2 commands, 1 expect held")
    assert "$ " not in quiet.stdout and "expect held" not in quiet.stdout
    assert "QueueUrl" in quiet.stdout
