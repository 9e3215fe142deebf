"""Flat where users scale: per-message cost across three orders of magnitude of lab size.

Run: `python benchmarks/scaling.py [--rounds N] [--only DIM ...] [--keeper-off]`. Prints one
JSON object and exits 1 when any dimension's cost at its largest size is more than 2× its cost
at its smallest (the suite's tests never run it).

Every size of a dimension is its own child process holding one lab of that size, so each
measures its own heap (Python's cyclic collector scans a whole process: a big lab beside a
small one in one process would tax both alike and hide the effect). The parent asks the
children for timed rounds in turn, so other load on the machine falls on every size alike,
and compares CPU seconds per unit of work. Every step goes through the engine's public
clients (`eng.client(...)`), with the collector on:

- `queue_depth`: send_batch(10) → receive(10) → delete_batch on a queue holding N messages;
- `rules`: put_events of events that each match exactly 2 of N rules (drawn from the rules'
  own field values, see matching.py), delivered to SQS and drained, per event;
- `subscriptions`: SNS publish to a topic with N filtered SQS subscriptions, per delivered
  message (each publish matches one subscription's filter);
- `shards`: Kinesis PutRecord over N shards, 100 partition keys (per-shard limits off: at
  one shard AWS's 1,000 records/s would be the figure, not the lab's). PutRecords of 100 is
  not the dimension: spread over more shards a batch is split into more per-shard appends
  (≈ 3.5× the per-record cost at 500 shards than at 1), which is batching lost, not a
  per-message path growing with the shard count;
- `executions`: a STANDARD one-Pass-state execution, started and described, beside N
  finished executions;
- `trace_size`: send → receive → delete with a trace recorder holding N events.

`--keeper-off` stops each lab's HeapKeeper (engine/heap.py) to show what freezing long-lived
state is worth: compare the `rules` and `subscriptions` ratios with and without it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from engine import Engine  # noqa: E402

LIMIT = 2.0
SIZES: dict[str, tuple[int, ...]] = {
    "queue_depth": (100, 1_000, 10_000, 100_000),
    "rules": (10, 100, 1_000, 10_000),
    "subscriptions": (1, 10, 100, 1_000),
    "shards": (1, 10, 100, 500),
    "executions": (10, 100, 1_000, 10_000),
    "trace_size": (100, 1_000, 10_000, 100_000),
}
UNITS = {
    "queue_depth": "message",
    "rules": "event",
    "subscriptions": "delivered message",
    "shards": "record",
    "executions": "execution",
    "trace_size": "message",
}


# -- the labs (each runs in its own child process) -----------------------------------------


async def _queue(eng: Engine, name: str) -> tuple[str, str]:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    got = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, got["Attributes"]["QueueArn"]


async def _drain(eng: Engine, url: str) -> int:
    sqs = eng.client("sqs")
    drained = 0
    while True:
        got = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        messages = got.get("Messages", [])
        if not messages:
            return drained
        drained += len(messages)
        await sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )


async def _cycle(eng: Engine, url: str, batches: int) -> int:
    """send_batch(10) → receive(10) → delete_batch, `batches` times; messages moved."""
    sqs = eng.client("sqs")
    entries = [{"Id": str(i), "MessageBody": "x" * 100} for i in range(10)]
    for _ in range(batches):
        await sqs.send_message_batch(QueueUrl=url, Entries=entries)
        got = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        await sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(got["Messages"])
            ],
        )
    return batches * 10


class Lab:
    """One lab of one size of one dimension; `round()` does a fixed amount of work."""

    def __init__(self, dimension: str, size: int) -> None:
        self.dimension = dimension
        self.size = size
        self.eng = Engine()
        self.state: dict[str, Any] = {}

    async def build(self) -> None:
        """Create the lab's resources (its size)."""
        await getattr(self, f"_build_{self.dimension}")()

    async def round(self) -> int:
        """One round of work; returns the units done."""
        return await getattr(self, f"_round_{self.dimension}")()

    # queue depth
    async def _build_queue_depth(self) -> None:
        url, _ = await _queue(self.eng, "deep")
        sqs = self.eng.client("sqs")
        entries = [{"Id": str(i), "MessageBody": "r" * 100} for i in range(10)]
        for _ in range(self.size // 10):
            await sqs.send_message_batch(QueueUrl=url, Entries=entries)
        self.state["url"] = url

    async def _round_queue_depth(self) -> int:
        return await _cycle(self.eng, self.state["url"], 100)

    # rules
    async def _build_rules(self) -> None:
        from matching import make_event, make_rule

        from engine.patterns import PatternIndex

        url, arn = await _queue(self.eng, "sink")
        events = self.eng.client("events")
        rng = random.Random(self.size)
        index = PatternIndex()
        for number in range(self.size):
            pattern = make_rule(number, rng)
            index.add(number, pattern)
            await events.put_rule(Name=f"r{number}", EventPattern=json.dumps(pattern))
            await events.put_targets(Rule=f"r{number}", Targets=[{"Id": "q", "Arn": arn}])
        entries: list[dict[str, Any]] = []
        apps = max(1, self.size // 10)
        while len(entries) < 200:
            event = make_event(apps, rng)
            if len(index.matches(event)) == 2:  # the same fan-out at every rule count
                entries.append(
                    {
                        "Source": event["source"],
                        "DetailType": event["detail-type"],
                        "Detail": json.dumps(event["detail"]),
                        "Resources": event["resources"],
                    }
                )
        self.state.update(url=url, entries=entries)

    async def _round_rules(self) -> int:
        events = self.eng.client("events")
        entries = self.state["entries"]
        for start in range(0, len(entries), 10):
            await events.put_events(Entries=entries[start : start + 10])
        await asyncio.sleep(0)
        delivered = await _drain(self.eng, self.state["url"])
        if delivered != 2 * len(entries):
            raise RuntimeError(f"expected {2 * len(entries)} deliveries, got {delivered}")
        return len(entries)

    # subscriptions
    async def _build_subscriptions(self) -> None:
        sns = self.eng.client("sns")
        topic = (await sns.create_topic(Name="fan"))["TopicArn"]
        urls = []
        for number in range(self.size):
            url, arn = await _queue(self.eng, f"q{number}")
            urls.append(url)
            await sns.subscribe(
                TopicArn=topic,
                Protocol="sqs",
                Endpoint=arn,
                Attributes={
                    "FilterPolicy": json.dumps({"app": [f"a{number}"], "level": ["high", "low"]}),
                    "RawMessageDelivery": "true",
                },
            )
        self.state.update(topic=topic, urls=urls)

    async def _round_subscriptions(self) -> int:
        sns = self.eng.client("sns")
        targets = min(self.size, 10)
        for number in range(200):
            app = number % targets
            await sns.publish(
                TopicArn=self.state["topic"],
                Message="hello",
                MessageAttributes={
                    "app": {"DataType": "String", "StringValue": f"a{app}"},
                    "level": {"DataType": "String", "StringValue": "high"},
                },
            )
        await asyncio.sleep(0)
        delivered = 0
        for url in self.state["urls"][:targets]:
            delivered += await _drain(self.eng, url)
        if delivered != 200:
            raise RuntimeError(f"expected 200 deliveries, got {delivered}")
        return delivered

    # shards
    async def _build_shards(self) -> None:
        self.eng.settings["kinesis.enforce_limits"] = False
        kinesis = self.eng.client("kinesis")
        await kinesis.create_stream(StreamName="s", ShardCount=self.size)
        self.state["records"] = [{"Data": b"x" * 100, "PartitionKey": f"k{n}"} for n in range(100)]

    async def _round_shards(self) -> int:
        kinesis = self.eng.client("kinesis")
        for record in self.state["records"]:
            await kinesis.put_record(StreamName="s", **record)
        return len(self.state["records"])

    # executions
    async def _build_executions(self) -> None:
        sfn = self.eng.client("stepfunctions")
        definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
        machine = await sfn.create_state_machine(
            name="m", definition=definition, roleArn="arn:aws:iam::123456789012:role/sfn"
        )
        self.state["machine"] = machine["stateMachineArn"]
        for _ in range(self.size):
            await self._one_execution()

    async def _one_execution(self) -> None:
        sfn = self.eng.client("stepfunctions")
        started = await sfn.start_execution(stateMachineArn=self.state["machine"], input="{}")
        for _ in range(100):
            await asyncio.sleep(0)
            described = await sfn.describe_execution(executionArn=started["executionArn"])
            if described["status"] != "RUNNING":
                return
        raise RuntimeError("execution did not finish")

    async def _round_executions(self) -> int:
        for _ in range(100):
            await self._one_execution()
        return 100

    # trace size
    async def _build_trace_size(self) -> None:
        self.state["recorder"] = self.eng.trace.record(maxlen=self.size)
        url, _ = await _queue(self.eng, "traced")
        self.state["url"] = url
        while len(self.state["recorder"].events) < self.size:
            await _cycle(self.eng, url, 10)

    async def _round_trace_size(self) -> int:
        return await _cycle(self.eng, self.state["url"], 100)


def worker(dimension: str, size: int, keeper_off: bool) -> None:
    """Child process: build the lab, then answer each line on stdin with one timed round."""

    async def serve() -> None:
        lab = Lab(dimension, size)
        if keeper_off:
            lab.eng.heap.stop()
        await lab.build()
        await lab.round()  # warm-up
        print("ready", flush=True)
        for _ in sys.stdin:
            collections = sum(s["collections"] for s in gc.get_stats())
            started = time.process_time()
            units = 0
            while time.process_time() - started < 0.3:
                units += await lab.round()
            seconds = time.process_time() - started
            answer = {
                "seconds": seconds,
                "units": units,
                "collections": sum(s["collections"] for s in gc.get_stats()) - collections,
            }
            print(json.dumps(answer), flush=True)
        await lab.eng.close()

    asyncio.run(serve())


# -- the parent ---------------------------------------------------------------------------------


def measure(
    dimension: str, rounds: int, keeper_off: bool, sizes: tuple[int, ...] | None = None
) -> dict[str, Any]:
    """Best and median µs per unit for each size of one dimension, in interleaved rounds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = {}
    for size in sizes or SIZES[dimension]:
        command = [sys.executable, __file__, "--worker", dimension, str(size)]
        if keeper_off:
            command.append("--keeper-off")
        children[size] = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
    costs: dict[int, list[float]] = {size: [] for size in children}
    try:
        for child in children.values():
            if child.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
                raise RuntimeError(f"{dimension} lab failed to build")
        for _ in range(rounds):
            for size, child in children.items():
                child.stdin.write("go\n")  # type: ignore[union-attr]
                child.stdin.flush()  # type: ignore[union-attr]
                answer = json.loads(child.stdout.readline())  # type: ignore[union-attr]
                costs[size].append(1e6 * answer["seconds"] / answer["units"])
    finally:
        for child in children.values():
            child.stdin.close()  # type: ignore[union-attr]
            child.wait(timeout=60)
    smallest, largest = min(costs), max(costs)
    best = {size: min(values) for size, values in costs.items()}
    median = {size: sorted(values)[len(values) // 2] for size, values in costs.items()}
    ratio = median[largest] / median[smallest]
    return {
        "unit": UNITS[dimension],
        "us_per_unit_best": {str(s): round(v, 2) for s, v in best.items()},
        "us_per_unit_median": {str(s): round(v, 2) for s, v in median.items()},
        "ratio_largest_vs_smallest": round(ratio, 2),
        "ratio_best": round(best[largest] / best[smallest], 2),
        "met": ratio <= LIMIT,
    }


def main() -> int:
    """Sweep the dimensions, print the JSON report, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", nargs="*", choices=sorted(SIZES), default=None)
    parser.add_argument("--keeper-off", action="store_true")
    parser.add_argument("--worker", nargs=2, metavar=("DIMENSION", "SIZE"))
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), args.keeper_off)
        return 0
    dimensions = args.only or list(SIZES)
    results = {dim: measure(dim, args.rounds, args.keeper_off) for dim in dimensions}
    report = {
        "benchmark": "scaling",
        "heap_keeper": not args.keeper_off,
        "note": "CPU µs per unit, each size in its own process, interleaved rounds; the ratio "
        "compares medians of the largest and smallest size",
        "limit": LIMIT,
        "dimensions": results,
        "met": all(r["met"] for r in results.values()),
    }
    print(json.dumps(report, indent=2))
    return 0 if report["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
