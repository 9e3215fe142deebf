"""SQS throughput, backlog scaling and memory, beside a raw asyncio.Queue floor and moto.

Run: `python benchmarks/sqs.py [--quick]`. Prints one JSON object. The lab's own rates are the
best of ROUNDS; the comparison with moto (`beside_moto_in_process`) runs the same cycles on
both sides — batched beside batched, unbatched beside unbatched — with the same messages per
round, in alternating rounds, best and median for each.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Engine, VirtualClock  # noqa: E402

#: Each rate is the best of this many equal rounds: a busy neighbour slows a round, never speeds it.
ROUNDS = 5
BODY = "x" * 100
ENTRIES = [{"Id": str(i), "MessageBody": BODY} for i in range(10)]

TARGETS = {
    "batched_messages_per_s": 50_000,
    "unbatched_messages_per_s": 15_000,
    "drain_rate_ratio_1m_vs_1k": 2 / 3,
    "resident_mb_per_1m_messages": 600,
}


async def _batched(count: int) -> float:
    async with Engine(clock=VirtualClock()) as eng:
        sqs = eng.client("sqs")
        url = (await sqs.create_queue(QueueName="bench"))["QueueUrl"]
        body = "x" * 100
        entries = [{"Id": str(i), "MessageBody": body} for i in range(10)]
        best = 0.0
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(count // 10 // ROUNDS):
                await sqs.send_message_batch(QueueUrl=url, Entries=entries)
                received = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
                await sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(received["Messages"])
                    ],
                )
            best = max(best, count / ROUNDS / (time.perf_counter() - started))
        return best


async def _unbatched(count: int) -> float:
    async with Engine(clock=VirtualClock()) as eng:
        sqs = eng.client("sqs")
        url = (await sqs.create_queue(QueueName="bench"))["QueueUrl"]
        body = "x" * 100
        best = 0.0
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(count // ROUNDS):
                await sqs.send_message(QueueUrl=url, MessageBody=body)
                received = await sqs.receive_message(QueueUrl=url)
                await sqs.delete_message(
                    QueueUrl=url, ReceiptHandle=received["Messages"][0]["ReceiptHandle"]
                )
            best = max(best, count / ROUNDS / (time.perf_counter() - started))
        return best


async def _drain_rates(
    small: int, large: int, drained: int, rounds: int = 5
) -> tuple[float, float]:
    """Receive+delete rates (batches of 10) from a queue holding `small` and one holding `large`.

    Both queues live in one engine and are drained in alternating chunks, so machine noise hits
    both alike; each rate is the best chunk rate seen.
    """
    async with Engine(clock=VirtualClock()) as eng:
        sqs = eng.client("sqs")
        body = "x" * 100
        entries = [{"Id": str(i), "MessageBody": body} for i in range(10)]
        urls = {}
        for name, resident in (("small", small), ("large", large)):
            urls[name] = (await sqs.create_queue(QueueName=name))["QueueUrl"]
            for _ in range((resident + drained) // 10):
                await sqs.send_message_batch(QueueUrl=urls[name], Entries=entries)
        best = {"small": 0.0, "large": 0.0}
        chunk = drained // rounds
        for _ in range(rounds):
            for name in ("small", "large"):
                url = urls[name]
                started = time.perf_counter()
                for _ in range(chunk // 10):
                    received = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
                    await sqs.delete_message_batch(
                        QueueUrl=url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(received["Messages"])
                        ],
                    )
                best[name] = max(best[name], chunk / (time.perf_counter() - started))
        return best["small"], best["large"]


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _memory(count: int) -> float:
    """Resident memory added by `count` 100-byte messages, in MB (scaled to 1M)."""
    gc.collect()
    before = _rss_mb()
    async with Engine(clock=VirtualClock()) as eng:
        sqs = eng.client("sqs")
        url = (await sqs.create_queue(QueueName="bench"))["QueueUrl"]
        entries = [{"Id": str(i), "MessageBody": "y" * 100} for i in range(10)]
        for _ in range(count // 10):
            await sqs.send_message_batch(QueueUrl=url, Entries=entries)
        gc.collect()
        after = _rss_mb()
    return (after - before) * 1_000_000 / count


async def _durable(count: int, batched: bool, fsync: bool = False) -> float:
    """send → receive → delete with `--durable`: each acknowledged write committed to SQLite.

    Sequential calls: every send and delete waits for its own commit (an fsync), the worst case;
    concurrent callers share commits.
    """
    import tempfile

    from engine.persistence.keeper import KeptLab

    with tempfile.TemporaryDirectory() as folder:
        async with (
            Engine(clock=VirtualClock()) as eng,
            KeptLab(eng, "bench", Path(folder), durable=True, fsync=fsync, interval=3600),
        ):
            sqs = eng.client("sqs")
            url = (await sqs.create_queue(QueueName="bench"))["QueueUrl"]
            body = "x" * 100
            entries = [{"Id": str(i), "MessageBody": body} for i in range(10)]
            started = time.perf_counter()
            rounds = count // 10 if batched else count
            for _ in range(rounds):
                if batched:
                    await sqs.send_message_batch(QueueUrl=url, Entries=entries)
                    got = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
                    await sqs.delete_message_batch(
                        QueueUrl=url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(got["Messages"])
                        ],
                    )
                else:
                    await sqs.send_message(QueueUrl=url, MessageBody=body)
                    got = await sqs.receive_message(QueueUrl=url)
                    await sqs.delete_message(
                        QueueUrl=url, ReceiptHandle=got["Messages"][0]["ReceiptHandle"]
                    )
            return count / (time.perf_counter() - started)


async def _floor(count: int) -> float:
    """Raw asyncio.Queue put/get: the ceiling any in-process queue can reach."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    started = time.perf_counter()
    for _ in range(count):
        await queue.put("x" * 100)
        await queue.get()
    return count / (time.perf_counter() - started)


class _Moto:
    """moto's SQS through boto3 in-process (its mock), doing the same cycles as the lab."""

    def __init__(self) -> None:
        import boto3
        from moto import mock_aws

        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        self._mock = mock_aws()
        self._mock.start()
        self.client = boto3.client("sqs", region_name="us-east-1")
        self.url = self.client.create_queue(QueueName="bench")["QueueUrl"]

    def unbatched(self, count: int) -> None:
        client, url = self.client, self.url
        for _ in range(count):
            client.send_message(QueueUrl=url, MessageBody=BODY)
            received = client.receive_message(QueueUrl=url)
            client.delete_message(
                QueueUrl=url, ReceiptHandle=received["Messages"][0]["ReceiptHandle"]
            )

    def batched(self, count: int) -> None:
        client, url = self.client, self.url
        for _ in range(count // 10):
            client.send_message_batch(QueueUrl=url, Entries=ENTRIES)
            received = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            client.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(received["Messages"])
                ],
            )

    def stop(self) -> None:
        self._mock.stop()


async def _ours_unbatched(sqs: Any, url: str, count: int) -> None:
    for _ in range(count):
        await sqs.send_message(QueueUrl=url, MessageBody=BODY)
        received = await sqs.receive_message(QueueUrl=url)
        await sqs.delete_message(
            QueueUrl=url, ReceiptHandle=received["Messages"][0]["ReceiptHandle"]
        )


async def _ours_batched(sqs: Any, url: str, count: int) -> None:
    for _ in range(count // 10):
        await sqs.send_message_batch(QueueUrl=url, Entries=ENTRIES)
        received = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        await sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(received["Messages"])
            ],
        )


def _summary(rates: list[float]) -> dict[str, float]:
    return {"best": round(max(rates)), "median": round(sorted(rates)[len(rates) // 2])}


async def _beside_moto(count: int, rounds: int = ROUNDS) -> dict[str, Any]:
    """Batched beside batched, unbatched beside unbatched: same messages, same rounds, interleaved."""
    try:
        moto = _Moto()
    except ImportError:
        return {"moto": "moto not installed"}
    rates: dict[str, list[float]] = {key: [] for key in ("ours", "moto")}
    out: dict[str, Any] = {"messages_per_round": count, "rounds": rounds}
    async with Engine(clock=VirtualClock()) as eng:
        sqs = eng.client("sqs")
        url = (await sqs.create_queue(QueueName="bench"))["QueueUrl"]
        for mode, ours_run, moto_run in (
            ("batched", _ours_batched, moto.batched),
            ("unbatched", _ours_unbatched, moto.unbatched),
        ):
            rates = {"ours": [], "moto": []}
            await ours_run(sqs, url, 100)  # warm-up
            moto_run(100)
            for _ in range(rounds):
                started = time.perf_counter()
                await ours_run(sqs, url, count)
                rates["ours"].append(count / (time.perf_counter() - started))
                started = time.perf_counter()
                moto_run(count)
                rates["moto"].append(count / (time.perf_counter() - started))
            ours, theirs = _summary(rates["ours"]), _summary(rates["moto"])
            out[mode] = {
                "ours_messages_per_s": ours,
                "moto_messages_per_s": theirs,
                "ratio_median": round(ours["median"] / theirs["median"], 1),
            }
    moto.stop()
    return out


async def main(quick: bool) -> dict:
    """Measure everything and return the figures."""
    scale = 10 if quick else 1
    batched = await _batched(200_000 // scale)
    unbatched = await _unbatched(60_000 // scale)
    drain_small, drain_large = await _drain_rates(1_000, 1_000_000 // scale, 50_000 // scale)
    memory = await _memory(1_000_000 // scale)
    floor = await _floor(200_000 // scale)
    durable_batched = await _durable(20_000 // scale, batched=True)
    durable_unbatched = await _durable(4_000 // scale, batched=False)
    fsync_unbatched = await _durable(400 // scale, batched=False, fsync=True)
    peer = await _beside_moto(500 // scale)
    return {
        "benchmark": "sqs",
        "batched_messages_per_s": round(batched),
        "unbatched_messages_per_s": round(unbatched),
        "drain_rate_1k_resident": round(drain_small),
        f"drain_rate_{1_000_000 // scale}_resident": round(drain_large),
        "drain_rate_ratio": round(drain_large / drain_small, 3),
        "resident_mb_per_1m_messages": round(memory, 1),
        "durable_batched_messages_per_s": round(durable_batched),
        "durable_unbatched_messages_per_s": round(durable_unbatched),
        "durable_cost_batched": round(batched / durable_batched, 1),
        "durable_fsync_unbatched_messages_per_s": round(fsync_unbatched),
        "floor_asyncio_queue_per_s": round(floor),
        "beside_moto_in_process": peer,
        "targets": TARGETS,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the work")
    print(json.dumps(asyncio.run(main(parser.parse_args().quick)), indent=2))
