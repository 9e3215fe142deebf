"""Amazon MQ for ActiveMQ: stomp.py over loopback (send, consume) and selector cost vs queue depth.

The lab's engine runs on a real clock in a background thread (as `pipework` does); stomp.py runs
in a separate process (as clients do) and talks to the broker's STOMP listener on 127.0.0.1.
Floor measured in the same run: stomp.py sending the same frames to a socket that discards them
(the client's own cost). No real ActiveMQ is installed here, so there is no peer. The broker's
CPU per message (this process runs only the lab) is reported beside the client-measured rates.
Selector cost: a consumer with a selector takes new messages while 10 or 10,000 messages it does
not select wait on the queue; the cost per message should not grow with the backlog.

Run: `python benchmarks/mq_activemq.py [--quick]`. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import stomp  # noqa: E402

from engine import Engine, RealClock, VirtualClock  # noqa: E402

#: Each rate is the best of this many rounds: a busy neighbour slows a round, never speeds it.
ROUNDS = 3
TARGETS = {
    "stomp_send_msgs_per_s": 10_000,
    "selector_cost_ratio_10k_vs_10_waiting": 2.0,
}
USER, PASSWORD = "admin", "bench-password-1"
SELECTOR = "region = 'eu' AND amount BETWEEN 100 AND 10000 AND kind LIKE 'order%'"


async def _broker(engine: Engine, name: str) -> dict:
    mq = engine.client("mq")
    created = await mq.create_broker(
        BrokerName=name,
        EngineType="ACTIVEMQ",
        HostInstanceType="mq.m5.large",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Users=[{"Username": USER, "Password": PASSWORD}],
    )
    return created


class Lab:
    """An engine loop in a thread with one RUNNING ActiveMQ broker."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.engine = self.call(self._engine())
        self.port = self.call(self._start())

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(120)

    async def _engine(self) -> Engine:
        engine = Engine(clock=RealClock())
        engine.settings["mq.transition_seconds"] = 0.0
        return engine

    async def _start(self) -> int:
        created = await _broker(self.engine, "bench")
        mq = self.engine.client("mq")
        while True:
            described = await mq.describe_broker(BrokerId=created["BrokerId"])
            if described["BrokerState"] == "RUNNING":
                return int(described["BrokerInstances"][0]["Endpoints"][0].rsplit(":", 1)[1])
            await asyncio.sleep(0.01)

    def close(self) -> None:
        self.call(self.engine.close())
        self.loop.call_soon_threadsafe(self.loop.stop)


def stomp_send(port: int, queue: str, count: int) -> float:
    """Messages/s sent by stomp.py (STOMP 1.2), the last one with a receipt (all processed)."""
    connection = stomp.Connection12([("127.0.0.1", port)], heartbeats=(0, 0))
    receipts = threading.Event()

    class Listener(stomp.ConnectionListener):
        def on_receipt(self, frame):
            receipts.set()

    connection.set_listener("", Listener())
    connection.connect(USER, PASSWORD, wait=True)
    body = "x" * 100
    started = time.perf_counter()
    for _ in range(count - 1):
        connection.send(f"/queue/{queue}", body)
    connection.send(f"/queue/{queue}", body, headers={"receipt": "last"})
    receipts.wait(120)
    elapsed = time.perf_counter() - started
    connection.disconnect()
    return count / elapsed


def stomp_consume(port: int, queue: str, count: int) -> float:
    """Messages/s received by a stomp.py auto-ack subscriber from a queue already holding them."""
    connection = stomp.Connection12([("127.0.0.1", port)], heartbeats=(0, 0))
    done = threading.Event()
    state = {"taken": 0}

    class Listener(stomp.ConnectionListener):
        def on_message(self, frame):
            state["taken"] += 1
            if state["taken"] == count:
                done.set()

    connection.set_listener("", Listener())
    connection.connect(USER, PASSWORD, wait=True)
    started = time.perf_counter()
    connection.subscribe(f"/queue/{queue}", id="bench", ack="auto")
    done.wait(120)
    elapsed = time.perf_counter() - started
    connection.disconnect()
    return count / elapsed


def floor_send(count: int) -> float:
    """A floor: stomp.py's own cost, sending the same frames to a socket that discards them."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def sink() -> None:
        conn, _ = server.accept()
        conn.recv(65536)  # CONNECT
        conn.sendall(b"CONNECTED\nversion:1.2\n\n\0")
        while conn.recv(1 << 20):
            pass
        conn.close()

    threading.Thread(target=sink, daemon=True).start()
    connection = stomp.Connection12([server.getsockname()], heartbeats=(0, 0))
    connection.connect(USER, PASSWORD, wait=True)
    body = "x" * 100
    started = time.perf_counter()
    for _ in range(count):
        connection.send("/queue/floor", body)
    elapsed = time.perf_counter() - started
    connection.disconnect(receipt=None)
    server.close()
    return count / elapsed


async def selector_seconds(depths: tuple[int, int], messages: int) -> tuple[float, float, float]:
    """Seconds per selected message with `depths` unselected messages waiting, and per evaluation."""
    from engine.services.mq.activemq.selector import compile_selector

    async with Engine(clock=VirtualClock()) as eng:
        eng.settings["mq.transition_seconds"] = 0.0
        created = await _broker(eng, "selectors")
        await eng.clock.advance(1)
        broker = eng.service("mq").activemq(created["BrokerId"])
        match = {"region": "eu", "amount": 250, "kind": "order.created"}
        miss = {"region": "us", "amount": 250, "kind": "order.created"}
        queues = []
        for depth in depths:
            name = f"q{depth}"
            for _ in range(depth):
                broker.send(name, b"x", properties=miss)
            broker.subscribe(name, lambda c, m: None, selector=SELECTOR)
            queues.append(name)
        best = [float("inf"), float("inf")]
        for _ in range(ROUNDS * 3):
            for index, name in enumerate(queues):
                started = time.perf_counter()
                for _ in range(messages):
                    broker.send(name, b"x", properties=match)
                best[index] = min(best[index], (time.perf_counter() - started) / messages)
        selector = compile_selector(SELECTOR)
        getter = match.get
        started = time.perf_counter()
        for _ in range(messages):
            selector.matches(getter)
        evaluation = (time.perf_counter() - started) / messages
        return best[0], best[1], evaluation


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count = 5_000 if args.quick else 30_000
    lab = Lab()
    client = multiprocessing.get_context("spawn").Pool(1)

    def measured(function, *args) -> tuple[float, float]:
        """(client-measured rate, broker CPU µs per message): this process runs only the lab."""
        cpu = time.process_time()
        rate = client.apply(function, args)
        return rate, (time.process_time() - cpu) / count * 1e6

    try:
        port = lab.port
        send_runs = [measured(stomp_send, port, f"s{r}", count) for r in range(ROUNDS)]
        consume_runs = [measured(stomp_consume, port, f"s{r}", count) for r in range(ROUNDS)]
        floor = max(client.apply(floor_send, (count,)) for _ in range(ROUNDS))
    finally:
        client.close()
        lab.close()
    small, large, evaluation = asyncio.run(selector_seconds((10, 10_000), 5_000))
    result = {
        "stomp_send_msgs_per_s": round(max(rate for rate, _ in send_runs)),
        "stomp_consume_auto_ack_msgs_per_s": round(max(rate for rate, _ in consume_runs)),
        "broker_cpu_us_per_msg_send": round(min(c for _, c in send_runs), 1),
        "broker_cpu_us_per_msg_consume": round(min(c for _, c in consume_runs), 1),
        "floor_stomp_py_send_to_discarding_socket_msgs_per_s": round(floor),
        "selector_us_per_msg_10_waiting": round(small * 1e6, 2),
        "selector_us_per_msg_10k_waiting": round(large * 1e6, 2),
        "selector_cost_ratio_10k_vs_10_waiting": round(large / small, 2),
        "selector_evaluation_us": round(evaluation * 1e6, 2),
        "selector": SELECTOR,
        "messages_per_round": count,
        "peer": "none (no ActiveMQ server installed here)",
        "targets": TARGETS,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
