"""boto3 send → receive → delete through the lab's endpoint, beside moto's server mode.

Run: `python benchmarks/wire.py [--messages N]`. Prints one JSON object. Every server runs in a
child process on a loopback port and the same boto3 loop drives each, in alternating rounds so
that other load on the machine falls on all of them alike:

- `lab`: `pipework serve` (uvicorn + the wire endpoint + the engine);
- `floor_canned_uvicorn`: uvicorn answering canned SQS responses with no engine at all — the
  most boto3 + uvicorn can do on this machine, so `lab / floor` is the share the lab keeps;
- `moto_server`: moto's server mode (the issue's peer; target lab ≥ 3× moto);
- `ministack`: ministack over HTTP, when found through `$MINISTACK` or PATH (see peers.py).

Server-side cost is also measured in-process, without sockets or boto3: the endpoint's
`handle()` on pre-built requests, beside the engine's own client for the same three calls.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 3.0
BODY = "x" * 100


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


class _Loop:
    """One boto3 SQS client on one server, warmed up, timing send → receive → delete cycles."""

    def __init__(self, endpoint: str) -> None:
        self.client = boto3.client(
            "sqs",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=Config(retries={"max_attempts": 1}),
        )
        self.url = self.client.create_queue(QueueName="bench")["QueueUrl"]
        self.messages = 0
        self.seconds = 0.0
        self.run(20, BODY)  # warm up connections and caches
        self.messages, self.seconds = 0, 0.0

    def run(self, messages: int, body: str = BODY) -> None:
        """Time `messages` cycles and add them to the totals."""
        client, url = self.client, self.url
        started = time.perf_counter()
        for _ in range(messages):
            client.send_message(QueueUrl=url, MessageBody=body)
            received = client.receive_message(QueueUrl=url)
            handle = received["Messages"][0]["ReceiptHandle"]
            client.delete_message(QueueUrl=url, ReceiptHandle=handle)
        self.seconds += time.perf_counter() - started
        self.messages += messages

    @property
    def rate(self) -> float:
        """Cycles per second so far."""
        return self.messages / self.seconds


def _start(command: list[str], extra: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra or {})}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _interleaved(servers: dict[str, int], messages: int, rounds: int = 10) -> dict[str, float]:
    """Each server's rate, measured in alternating rounds so machine load hits all alike."""
    loops = {name: _Loop(f"http://127.0.0.1:{port}") for name, port in servers.items()}
    for _ in range(rounds):
        for loop in loops.values():
            loop.run(max(1, messages // rounds))
    return {name: loop.rate for name, loop in loops.items()}


# -- the floor: canned SQS answers on uvicorn -------------------------------------------------


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _canned(target: str, request: dict[str, Any]) -> dict[str, Any]:
    """The smallest valid answer boto3 accepts for each call of the benchmark loop."""
    if target == "CreateQueue":
        return {"QueueUrl": f"http://127.0.0.1/123456789012/{request['QueueName']}"}
    if target == "SendMessage":
        return {"MessageId": "m", "MD5OfMessageBody": _md5(request["MessageBody"])}
    if target == "ReceiveMessage":
        return {
            "Messages": [
                {"MessageId": "m", "ReceiptHandle": "r", "MD5OfBody": _md5(BODY), "Body": BODY}
            ]
        }
    return {}


async def _canned_app(scope: dict, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    target = dict(scope["headers"]).get(b"x-amz-target", b".").decode().rsplit(".", 1)[-1]
    answer = json.dumps(_canned(target, json.loads(body or b"{}"))).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/x-amz-json-1.0"),
                (b"content-length", str(len(answer)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer})


def _serve_canned(port: int) -> None:
    import uvicorn

    uvicorn.run(_canned_app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- server-side cost, in-process ---------------------------------------------------------------


async def _in_process(messages: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from engine import Engine
    from engine.http import HttpRequest
    from engine.wire import WireEndpoint

    def request(target: str, body: dict) -> HttpRequest:
        headers = {
            "host": "127.0.0.1:4566",
            "x-amz-target": f"AmazonSQS.{target}",
            "content-type": "application/x-amz-json-1.0",
            "authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/sqs/aws4_request",
        }
        return HttpRequest("POST", "/", [], headers, json.dumps(body).encode())

    async with Engine() as engine:
        sqs = engine.client("sqs")
        url = (await sqs.create_queue(QueueName="bench"))["QueueUrl"]
        started = time.perf_counter()
        for _ in range(messages):
            await sqs.send_message(QueueUrl=url, MessageBody=BODY)
            got = await sqs.receive_message(QueueUrl=url)
            await sqs.delete_message(
                QueueUrl=url, ReceiptHandle=got["Messages"][0]["ReceiptHandle"]
            )
        client_rate = messages / (time.perf_counter() - started)
        endpoint = WireEndpoint(engine)
        send = request("SendMessage", {"QueueUrl": url, "MessageBody": BODY})
        receive = request("ReceiveMessage", {"QueueUrl": url})
        started = time.perf_counter()
        for _ in range(messages):
            await endpoint.handle(send)
            answer = await endpoint.handle(receive)
            handle = json.loads(answer.body)["Messages"][0]["ReceiptHandle"]
            await endpoint.handle(
                request("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": handle})
            )
        endpoint_rate = messages / (time.perf_counter() - started)
    return {"engine_client": client_rate, "endpoint_handle": endpoint_rate}


def main(messages: int) -> dict:
    """Measure the lab, the canned floor and moto_server with the same client loop."""
    ports = {"lab": _free_port(), "floor": _free_port()}
    commands = {
        "lab": [sys.executable, "-m", "tui.cli", "serve", "--port", str(ports["lab"])],
        "floor": [sys.executable, __file__, "--canned-server", str(ports["floor"])],
    }
    try:
        import moto.server  # noqa: F401

        ports["moto"] = _free_port()
        commands["moto"] = [sys.executable, "-m", "moto.server", "-p", str(ports["moto"])]
    except ImportError:
        pass
    ministack = peers.ministack_executable()
    envs: dict[str, dict[str, str]] = {}
    if ministack:
        ports["ministack"] = _free_port()
        commands["ministack"] = [ministack]
        envs["ministack"] = {"GATEWAY_PORT": str(ports["ministack"]), "LOG_LEVEL": "WARNING"}
    processes = []
    try:
        for name, command in commands.items():
            processes.append(_start(command, envs.get(name)))
        for port in ports.values():
            _wait_for(port)
        rates = _interleaved(ports, messages)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
    lab, floor, moto = rates["lab"], rates["floor"], rates.get("moto")
    other = rates.get("ministack")
    inside = asyncio.run(_in_process(messages * 5))
    return {
        "benchmark": "wire",
        "messages": messages,
        "unit": "boto3 send+receive+delete cycles per second (3 HTTP requests each)",
        "lab_messages_per_s": round(lab, 1),
        "floor_canned_uvicorn_messages_per_s": round(floor, 1),
        "lab_share_of_floor": round(lab / floor, 2),
        "moto_server_messages_per_s": round(moto, 1) if moto else None,
        "ratio_vs_moto": round(lab / moto, 2) if moto else None,
        "target_ratio_vs_moto": TARGET_RATIO,
        "ministack_messages_per_s": round(other, 1) if other else peers.absent("ministack"),
        "ratio_vs_ministack": round(lab / other, 2) if other else None,
        "in_process_engine_client_messages_per_s": round(inside["engine_client"], 1),
        "in_process_endpoint_handle_messages_per_s": round(inside["endpoint_handle"], 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--canned-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.canned_server:
        _serve_canned(arguments.canned_server)
    else:
        print(json.dumps(main(arguments.messages), indent=2))
