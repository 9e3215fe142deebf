"""What CloudWatch metrics cost the SQS send → receive → delete path, and the metrics store itself.

Run: `python benchmarks/cloudwatch.py [--quick]`. Prints one JSON object.

The same unbatched loop runs in a lab without CloudWatch and in a lab where CloudWatch samples
the queues every simulated minute (the clock is advanced a minute every `MINUTE_EVERY` messages,
so the collector runs many times during the measurement). Rounds alternate between the two labs
so a noisy neighbour hits both alike; each rate is the best round. Also measured: PutMetricData
(one value) and the store's raw `record` (the O(1) path metric filters and services use).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Engine, VirtualClock  # noqa: E402

ROUNDS = 7
MINUTE_EVERY = 500
TARGETS = {"metrics_overhead_ratio_max": 1.10}


async def _lab(metrics: bool) -> tuple[Engine, object, str]:
    engine = Engine(clock=VirtualClock())
    if metrics:
        engine.service("cloudwatch")  # starts the per-minute collector
    sqs = engine.client("sqs")
    url = (await sqs.create_queue(QueueName="bench"))["QueueUrl"]
    # Other resources the collector samples each minute, as in a real lab.
    for i in range(20):
        await sqs.create_queue(QueueName=f"idle-{i}")
    return engine, sqs, url


async def _round(engine: Engine, sqs: object, url: str, count: int) -> float:
    body = "x" * 100
    clock = engine.clock
    started = time.perf_counter()
    for index in range(count):
        await sqs.send_message(QueueUrl=url, MessageBody=body)  # type: ignore[attr-defined]
        received = await sqs.receive_message(QueueUrl=url)  # type: ignore[attr-defined]
        await sqs.delete_message(  # type: ignore[attr-defined]
            QueueUrl=url, ReceiptHandle=received["Messages"][0]["ReceiptHandle"]
        )
        if index % MINUTE_EVERY == MINUTE_EVERY - 1:
            await clock.advance(60)  # type: ignore[attr-defined]
    return count / (time.perf_counter() - started)


async def _overhead(count: int) -> dict[str, float]:
    plain = await _lab(False)
    measured = await _lab(True)
    best_plain = best_metrics = 0.0
    for _ in range(ROUNDS):
        best_plain = max(best_plain, await _round(*plain, count))
        best_metrics = max(best_metrics, await _round(*measured, count))
    samples = len(measured[0].service("cloudwatch").store.series)  # type: ignore[attr-defined]
    await plain[0].close()
    await measured[0].close()
    return {
        "sqs_unbatched_without_metrics_msg_per_s": round(best_plain),
        "sqs_unbatched_with_metrics_msg_per_s": round(best_metrics),
        "metrics_overhead_ratio": round(best_plain / best_metrics, 3),
        "series_collected": samples,
    }


async def _put_metric_data(count: int) -> float:
    async with Engine(clock=VirtualClock()) as engine:
        cw = engine.client("cloudwatch")
        datum = [{"MetricName": "Latency", "Value": 12.5, "Unit": "Milliseconds",
                  "Dimensions": [{"Name": "Service", "Value": "checkout"}]}]  # fmt: skip
        started = time.perf_counter()
        for _ in range(count):
            await cw.put_metric_data(Namespace="Bench", MetricData=datum)
        return count / (time.perf_counter() - started)


def _store_record(count: int) -> float:
    from engine.services.cloudwatch.store import MetricStore

    store = MetricStore()
    key = (("QueueName", "bench"),)
    started = time.perf_counter()
    for index in range(count):
        store.record("AWS/SQS", "NumberOfMessagesSent", key, 1.0, 1_000_000.0 + index * 0.01)
    return count / (time.perf_counter() - started)


async def main(quick: bool) -> None:
    count = 2_000 if quick else 6_000
    result = await _overhead(count)
    result["put_metric_data_per_s"] = round(await _put_metric_data(count))
    result["store_record_per_s"] = round(_store_record(count * 20))
    result["targets"] = TARGETS
    result["floor"] = "the same SQS loop in the same process without CloudWatch"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
