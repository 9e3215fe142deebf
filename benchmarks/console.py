"""Console benchmark: completion latency with 1,000 live resources, and command throughput.

Prints one JSON object: completion timings (first use, then median and p99 of warm calls, ms) for the contexts a person
types in, the floor measured in the same run (listing the topology's names alone, which any
live-name completion must at least do), the parse+execute rate of a cheap command, and targets.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

# Run as a script, this folder is first on sys.path and benchmarks/tui.py would shadow `tui`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from engine import Engine, VirtualClock  # noqa: E402
from tui.console import Console  # noqa: E402

RESOURCES = 1_000
TARGET_MS = 50.0
REPEATS = 60


def _timed(fn, repeats: int = REPEATS) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
    }


async def main() -> dict:
    clock = VirtualClock()
    async with Engine(clock=clock) as engine:
        console = Console(engine)
        sqs = engine.client("sqs")
        for i in range(RESOURCES):
            await sqs.create_queue(QueueName=f"queue-{i:04d}")
        contexts = {
            "first_word": "s",
            "operation": "sqs rec",
            "option": "sqs send-message --queue-url queue-0001 --",
            "queue_name_prefix": "sqs send-message --queue-url queue-09",
            "queue_name_fuzzy": "sqs send-message --queue-url q99",
            "enum_value": "sqs receive-message --queue-url q --message-system-attribute-names ",
            "describe_at": None,
        }
        results: dict[str, dict[str, float]] = {}
        for name, text in contexts.items():
            if text is None:
                line = "sqs send-message --queue-url queue-0001 --delay-seconds 5"
                call = lambda line=line: console.describe_at(line, 45)  # noqa: E731
            else:
                call = lambda text=text: console.complete(text)  # noqa: E731
            cold = _timed(call, 1)[0]  # first use loads botocore's models for the context
            results[name] = {"cold_ms": round(cold, 3), **_summary(_timed(call))}

        def uncached() -> None:  # what the first Tab after a command costs
            console._names_cache = None
            console.complete("sqs send-message --queue-url queue-09")

        results["queue_name_after_a_command"] = {"cold_ms": 0.0, **_summary(_timed(uncached))}
        floor = _summary(_timed(lambda: [n.name for n in engine.topology().nodes]))

        lines = 2_000
        start = time.perf_counter()
        for _ in range(lines):
            await console.execute("sqs get-queue-url --queue-name queue-0500")
        execute_rate = lines / (time.perf_counter() - start)
        console.close()
    worst = max(r["p99_ms"] for r in results.values())
    worst_cold = max(r["cold_ms"] for r in results.values())
    return {
        "benchmark": "console",
        "resources": RESOURCES,
        "completion": results,
        "floor_topology_names": floor,
        "worst_completion_p99_ms": worst,
        "worst_cold_ms": worst_cold,
        "execute_per_second": round(execute_rate),
        "targets": {"completion_ms": TARGET_MS},
        "meets_target": worst < TARGET_MS,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main()), indent=2))
