"""Save and open of a lab with 1,000,000 SQS messages: time and peak memory against the lab's own.

Run: `python benchmarks/persistence.py [--quick]`. Prints one JSON object. Memory is resident set
size from /proc (peak via VmHWM, reset through /proc/self/clear_refs before each phase). Opening
runs in a fresh process so that the lab's own memory and the peak are measured from the same
baseline. Floor in the same run: `json.dump` of the same messages as one list (what a naive save
builds), timed and measured the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Engine, VirtualClock  # noqa: E402
from engine.persistence.labfile import read_file, restore, save_file  # noqa: E402

TARGETS = {"peak_over_lab_memory": 2.0}


def _status(field: str) -> float:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    try:
        with open(f"/proc/{os.getpid()}/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


async def _fill(eng: Engine, count: int) -> None:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="big"))["QueueUrl"]
    entries = [{"Id": str(i), "MessageBody": "y" * 100} for i in range(10)]
    for _ in range(count // 10):
        await sqs.send_message_batch(QueueUrl=url, Entries=entries)


async def _save(count: int, path: Path) -> dict:
    gc.collect()
    baseline = _status("VmRSS")
    async with Engine(clock=VirtualClock()) as eng:
        await _fill(eng, count)
        gc.collect()
        lab = _status("VmRSS") - baseline
        _reset_peak()
        before = _status("VmRSS")
        started = time.perf_counter()
        save_file(eng, path)
        seconds = time.perf_counter() - started
        peak = _status("VmHWM") - before
        # Floor: what building the file as one string costs (the old save did this).
        messages = eng.service("sqs").dump()
        _reset_peak()
        floor_before = _status("VmRSS")
        started = time.perf_counter()
        text = json.dumps(messages)
        floor_seconds = time.perf_counter() - started
        floor_peak = _status("VmHWM") - floor_before
        del text, messages
    return {
        "lab_mb": round(lab, 1),
        "save_seconds": round(seconds, 2),
        "save_extra_peak_mb": round(peak, 1),
        "save_peak_over_lab": round((lab + peak) / lab, 2),
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "floor_json_dumps_seconds": round(floor_seconds, 2),
        "floor_json_dumps_extra_peak_mb": round(floor_peak, 1),
    }


async def _open(path: Path) -> dict:
    gc.collect()
    _reset_peak()
    baseline = _status("VmRSS")
    async with Engine(clock=VirtualClock()) as eng:
        started = time.perf_counter()
        await restore(eng, read_file(path, eng.available_services()))
        seconds = time.perf_counter() - started
        peak = _status("VmHWM") - baseline
        gc.collect()
        lab = _status("VmRSS") - baseline
        attributes = await eng.client("sqs").get_queue_attributes(
            QueueUrl="big", AttributeNames=["ApproximateNumberOfMessages"]
        )
        count = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
    return {
        "open_seconds": round(seconds, 2),
        "open_lab_mb": round(lab, 1),
        "open_peak_mb": round(peak, 1),
        "open_peak_over_lab": round(peak / lab, 2),
        "messages_opened": count,
    }


def main(quick: bool) -> dict:
    """Save in this process, open in a fresh one, and report both."""
    count = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lab.json"
        saved = asyncio.run(_save(count, path))
        opened = json.loads(
            subprocess.run(
                [sys.executable, __file__, "--open-only", str(path)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
    return {
        "benchmark": "persistence",
        "messages": count,
        **saved,
        **opened,
        "targets": TARGETS,
        "note": "shared 2-core machine; RSS includes allocator slack",
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 messages")
    parser.add_argument("--open-only", metavar="FILE", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.open_only:
        print(json.dumps(asyncio.run(_open(Path(options.open_only)))))
    else:
        print(json.dumps(main(options.quick), indent=2))
