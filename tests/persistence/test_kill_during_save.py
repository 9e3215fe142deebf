"""`kill -9` at any moment of a save leaves the previous good file (or the new one), whole."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import Engine
from engine.persistence.labfile import read_file

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]

# Builds a lab of 10,000 messages (a few MB of JSON), saves once, says so, then saves forever.
SAVER = """
import asyncio, sys
from engine import Engine, VirtualClock
from engine.persistence.labfile import save_file

async def main(path):
    async with Engine(clock=VirtualClock()) as eng:
        sqs = eng.client("sqs")
        url = (await sqs.create_queue(QueueName="big"))["QueueUrl"]
        for start in range(0, 10000, 10):
            await sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": f"message {start + i} " + "x" * 100}
                for i in range(10)])
        save_file(eng, path)
        print("saved", flush=True)
        n = 0
        while True:
            n += 1
            await sqs.send_message(QueueUrl=url, MessageBody=f"more {n}")
            save_file(eng, path)

asyncio.run(main(sys.argv[1]))
"""


def _count(path: Path) -> int:
    engine = Engine()
    document = read_file(path, engine.available_services())
    try:
        # Every message is read back and checked against the schema, not just counted.
        return sum(1 for _ in document.services["sqs"]["queues"][0]["messages"])
    finally:
        document.close()


def test_the_previous_save_always_opens(tmp_path: Path) -> None:
    path = tmp_path / "lab.json"
    rng = random.Random(16)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    counts = []
    for _ in range(3):
        process = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path)],
            env=env,
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == b"saved"
            time.sleep(rng.uniform(0.05, 0.4))  # somewhere in the middle of a later save
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        counts.append(_count(path))
    assert all(count >= 10000 for count in counts)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "lab.json"]
    # A killed save may leave its temporary file behind, never a damaged lab.json.
    assert all(name.startswith(".lab.json.") and name.endswith(".tmp") for name in leftovers)
