"""The console stays front-end neutral: rich only, never textual or prompt_toolkit."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import asyncio, sys
from engine import Engine, VirtualClock
from tui.console import Console

async def main():
    async with Engine(clock=VirtualClock()) as engine:
        console = Console(engine)
        for line in ("sqs create-queue --queue-name a", "help sqs send-message", "watch", "describe a"):
            await engine.clock.run(console.execute(line))
        console.complete("sqs send-message --queue-url ")
        console.describe_at("sqs send-message", 5)

asyncio.run(main())
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "prompt_toolkit"))
print(",".join(loaded))
"""


def test_console_never_imports_textual_or_prompt_toolkit() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""
