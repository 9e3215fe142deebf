"""Headless `pipework serve`: one access-log line per request at the chosen verbosity; options."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]


async def _serve(*options: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tui.cli",
        "serve",
        "--port",
        "0",
        *options,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    url = re.search(r"http://\S+", line)
    assert url, line
    return process, url.group(0)


async def _stop(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(process.communicate(), 15)
    return err.decode()


async def test_each_request_is_one_access_log_line() -> None:
    process, url = await _serve("--allow-origin", "http://localhost:3000")
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            await http.post("/", json={}, headers={"x-amz-target": "AmazonSQS.ListQueues"})
            await http.post(
                "/",
                json={},
                headers={"x-amz-target": "AmazonSQS.ListQueues", "origin": "https://evil.test"},
            )
            allowed = await http.post(
                "/",
                json={},
                headers={
                    "x-amz-target": "AmazonSQS.ListQueues",
                    "origin": "http://localhost:3000",
                },
            )
        assert allowed.status_code == 200
    finally:
        log = await _stop(process)
    lines = [line for line in log.splitlines() if "ListQueues" in line or " 403 " in line]
    assert re.search(r"POST sqs ListQueues 200 \d+\.\dms", lines[0])
    assert re.search(r"POST sqs ListQueues 403 \d+\.\dms", lines[1])
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("argv", "level"),
    [
        ([], logging.INFO),
        (["-q"], logging.WARNING),
        (["-qq"], logging.ERROR),
        (["-v"], logging.DEBUG),
        (["--log-level", "warning", "-v"], logging.WARNING),
    ],
)
def test_verbosity_options_pick_the_log_level(argv: list[str], level: int) -> None:
    from engine.wire.serve import log_level
    from tui.cli import build_parser

    assert log_level(build_parser().parse_args(["serve", *argv])) == level
