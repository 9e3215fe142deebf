"""boto3 send → receive → delete through the lab's endpoint, beside moto's server mode.

Run: `python benchmarks/wire.py [--messages N]`. Prints one JSON object. Both servers run in
child processes on loopback ports; the same boto3 loop drives each in turn.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 3.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def _cycle(endpoint: str, messages: int) -> float:
    client = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}),
    )
    url = client.create_queue(QueueName="bench")["QueueUrl"]
    for _ in range(20):  # warm up connections and caches
        client.send_message(QueueUrl=url, MessageBody="warm")
        received = client.receive_message(QueueUrl=url)
        client.delete_message(QueueUrl=url, ReceiptHandle=received["Messages"][0]["ReceiptHandle"])
    started = time.perf_counter()
    for _ in range(messages):
        client.send_message(QueueUrl=url, MessageBody="x" * 100)
        received = client.receive_message(QueueUrl=url)
        client.delete_message(QueueUrl=url, ReceiptHandle=received["Messages"][0]["ReceiptHandle"])
    return messages / (time.perf_counter() - started)


def _measure(command: list[str], port: int, messages: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port)
        return _cycle(f"http://127.0.0.1:{port}", messages)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main(messages: int) -> dict:
    """Measure the lab and moto_server with the same client loop."""
    lab_port = _free_port()
    lab = _measure(
        [sys.executable, "-m", "tui.cli", "serve", "--port", str(lab_port)], lab_port, messages
    )
    moto = None
    try:
        import moto.server  # noqa: F401

        moto_port = _free_port()
        moto = _measure(
            [sys.executable, "-m", "moto.server", "-p", str(moto_port)], moto_port, messages
        )
    except ImportError:
        pass
    return {
        "benchmark": "wire",
        "messages": messages,
        "lab_messages_per_s": round(lab, 1),
        "moto_server_messages_per_s": round(moto, 1) if moto else None,
        "ratio_vs_moto": round(lab / moto, 2) if moto else None,
        "target_ratio_vs_moto": TARGET_RATIO,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1000)
    print(json.dumps(main(parser.parse_args().messages), indent=2))
