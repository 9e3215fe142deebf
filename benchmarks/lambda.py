"""Lambda throughput: sync invokes of the echo demo (in-process) and of an echo zip handler (in a
worker process), and an SQS event source mapping draining a queue.

Prints one JSON object: measured rates, their floors measured in the same run, and the targets.
moto is not measured: its Lambda runs handlers in Docker containers, which this machine lacks.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Engine, VirtualClock  # noqa: E402

INVOKES = 20_000
WORKER_INVOKES = 10_000
MESSAGES = 100_000
BATCH = 10
TARGET_INVOKES = 20_000
TARGET_WORKER_INVOKES = 3_000
TARGET_DRAIN = 20_000


async def worker_invoke_rate() -> float:
    """Invocations per second of an echo zip handler through a warm worker process."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    async with Engine(clock=VirtualClock()) as eng:
        client = eng.client("lambda")
        await client.create_function(
            FunctionName="echo-zip",
            Runtime="python3.12",
            Role="arn:aws:iam::123456789012:role/bench",
            Handler="index.handler",
            Code={"ZipFile": buffer.getvalue()},
        )
        payload = b'{"hello": "world"}'
        for _ in range(200):  # warm up: the cold start, client method creation
            await client.invoke(FunctionName="echo-zip", Payload=payload)
        start = time.perf_counter()
        for _ in range(WORKER_INVOKES):
            response = await client.invoke(FunctionName="echo-zip", Payload=payload)
            response["Payload"].read()
        return WORKER_INVOKES / (time.perf_counter() - start)


#: The floor of a worker round trip: a process that echoes length-prefixed frames over its pipes.
_ECHO_PROCESS = """
import os, struct
inbox = os.fdopen(0, "rb", buffering=1 << 16)
while True:
    head = inbox.read(8)
    if len(head) < 8:
        break
    size, blob = struct.unpack(">II", head)
    body = inbox.read(size + blob)
    os.write(1, head + body)
"""


async def worker_floor_rate() -> float:
    """Round trips per second to an echo process over pipes (no runtime, no Lambda)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",
        "-c",
        _ECHO_PROCESS,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    body = b'{"op": "invoke"}{"hello": "world"}'
    frame = len(body).to_bytes(4, "big") + (0).to_bytes(4, "big") + body
    start = time.perf_counter()
    for _ in range(WORKER_INVOKES):
        process.stdin.write(frame)
        await process.stdin.drain()
        await process.stdout.readexactly(len(frame))
    rate = WORKER_INVOKES / (time.perf_counter() - start)
    process.stdin.close()
    await process.wait()
    return rate


async def sync_invoke_rate() -> float:
    """Invocations per second of the echo demo through the public client."""
    async with Engine(clock=VirtualClock()) as eng:
        eng.service("lambda").create_demo("echo", "echo")
        client = eng.client("lambda")
        payload = b'{"hello": "world"}'
        for _ in range(200):  # warm up: cold start, client method creation
            await client.invoke(FunctionName="echo", Payload=payload)
        start = time.perf_counter()
        for _ in range(INVOKES):
            response = await client.invoke(FunctionName="echo", Payload=payload)
            response["Payload"].read()
        return INVOKES / (time.perf_counter() - start)


async def invoke_floor_rate() -> float:
    """The floor: an awaited call that only decodes, runs and encodes the same payload."""

    async def invoke(payload: bytes) -> bytes:
        return json.dumps(json.loads(payload)).encode()

    payload = b'{"hello": "world"}'
    start = time.perf_counter()
    for _ in range(INVOKES):
        await invoke(payload)
    return INVOKES / (time.perf_counter() - start)


async def esm_drain_rate() -> tuple[float, int]:
    """Messages per second an SQS mapping (batch 10) drains on the virtual clock."""
    async with Engine(clock=VirtualClock()) as eng:
        sqs = eng.client("sqs")
        url = (await sqs.create_queue(QueueName="bench"))["QueueUrl"]
        for first in range(0, MESSAGES, 10):
            entries = [{"Id": str(i), "MessageBody": f"message {first + i}"} for i in range(10)]
            await sqs.send_message_batch(QueueUrl=url, Entries=entries)
        handled = 0

        def handler(event: dict, context: object) -> None:
            nonlocal handled
            handled += len(event["Records"])

        eng.register_function("drain", handler)
        start = time.perf_counter()
        await eng.client("lambda").create_event_source_mapping(
            EventSourceArn="arn:aws:sqs:us-east-1:123456789012:bench",
            FunctionName="drain",
            BatchSize=BATCH,
        )
        while handled < MESSAGES:
            await eng.clock.advance(1)
        elapsed = time.perf_counter() - start
        return MESSAGES / elapsed, handled


async def drain_floor_rate() -> float:
    """The floor: 100,000 items through an asyncio.Queue, taken 10 at a time by a function."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for index in range(MESSAGES):
        queue.put_nowait(f"message {index}")
    handled = 0
    start = time.perf_counter()
    while handled < MESSAGES:
        batch = [queue.get_nowait() for _ in range(min(BATCH, queue.qsize()))]
        handled += len({"Records": [{"body": b} for b in batch]}["Records"])
    return MESSAGES / (time.perf_counter() - start)


async def main() -> None:
    invoke_rate = await sync_invoke_rate()
    worker_rate = await worker_invoke_rate()
    worker_floor = await worker_floor_rate()
    invoke_floor = await invoke_floor_rate()
    drain_rate, handled = await esm_drain_rate()
    drain_floor = await drain_floor_rate()
    print(
        json.dumps(
            {
                "sync_invoke_per_s": round(invoke_rate),
                "sync_invoke_floor_per_s": round(invoke_floor),
                "sync_invoke_target_per_s": TARGET_INVOKES,
                "worker_invoke_per_s": round(worker_rate),
                "worker_invoke_floor_per_s": round(worker_floor),
                "worker_invoke_target_per_s": TARGET_WORKER_INVOKES,
                "esm_sqs_drain_messages_per_s": round(drain_rate),
                "esm_sqs_drain_floor_per_s": round(drain_floor),
                "esm_sqs_drain_target_per_s": TARGET_DRAIN,
                "esm_messages_handled": handled,
                "moto": "not measured: moto's Lambda needs Docker to run handlers",
                "meets_targets": invoke_rate >= TARGET_INVOKES
                and worker_rate >= TARGET_WORKER_INVOKES
                and drain_rate >= TARGET_DRAIN,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
