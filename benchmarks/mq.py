"""Amazon MQ for RabbitMQ: pika over loopback (confirmed publishes, acked consumes) and topic routing.

The lab's engine runs on a real clock in a background thread (as `pipework` does); pika runs in
a separate process (as clients do) and talks to the broker's AMQP listener on 127.0.0.1. Floors measured in the same run: pika publishing with no
confirms (the client's own cost) and a raw loopback socket round trip; no real RabbitMQ is
installed here, so there is no peer. The broker's own CPU per message (this process runs only the
lab) is reported beside the client-measured rates, since a loaded machine or pika itself, not the
broker, usually sets the rate. Topic routing compares 10 and 10,000 bindings per message.

Run: `python benchmarks/mq.py [--quick]`. Prints one JSON object.
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

import pika  # noqa: E402
from pika.adapters.select_connection import SelectConnection  # noqa: E402

from engine import Engine, RealClock, VirtualClock  # noqa: E402

#: Each rate is the best of this many rounds: a busy neighbour slows a round, never speeds it.
ROUNDS = 3
TARGETS = {
    "publish_confirmed_msgs_per_s": 10_000,
    "consume_acked_msgs_per_s": 10_000,
    "topic_routing_cost_ratio_10k_vs_10_bindings": 2.0,
}
USER, PASSWORD = "admin", "bench-password-1"


class Lab:
    """An engine loop in a thread with one RUNNING broker."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.engine = self.call(self._engine())
        self.port = self.call(self._broker())

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    async def _engine(self) -> Engine:
        engine = Engine(clock=RealClock())
        engine.settings["mq.transition_seconds"] = 0.0
        return engine

    async def _broker(self) -> int:
        mq = self.engine.client("mq")
        created = await mq.create_broker(
            BrokerName="bench",
            EngineType="RABBITMQ",
            HostInstanceType="mq.m5.large",
            DeploymentMode="SINGLE_INSTANCE",
            PubliclyAccessible=False,
            Users=[{"Username": USER, "Password": PASSWORD}],
        )
        while True:
            described = await mq.describe_broker(BrokerId=created["BrokerId"])
            if described["BrokerState"] == "RUNNING":
                return int(described["BrokerInstances"][0]["Endpoints"][0].rsplit(":", 1)[1])
            await asyncio.sleep(0.01)

    def close(self) -> None:
        self.call(self.engine.close())
        self.loop.call_soon_threadsafe(self.loop.stop)


def _parameters(port: int) -> pika.ConnectionParameters:
    return pika.ConnectionParameters(
        "127.0.0.1", port, credentials=pika.PlainCredentials(USER, PASSWORD)
    )


def publish_confirmed(port: int, queue: str, count: int, confirm: bool = True) -> float:
    """Messages/s published through pika's SelectConnection, confirms pipelined (as producers do)."""
    state = {"acked": 0, "started": 0.0, "elapsed": 0.0}
    body = b"x" * 100

    def on_open(connection):
        connection.channel(on_open_callback=on_channel)

    def on_channel(channel):
        def declared(_frame):
            if confirm:
                channel.confirm_delivery(on_confirm, callback=lambda _f: publish(channel))
            else:
                publish(channel)

        channel.queue_declare(queue, callback=declared)

    def publish(channel):
        state["started"] = time.perf_counter()
        for _ in range(count):
            channel.basic_publish("", queue, body)
        if not confirm:
            channel.queue_declare(queue, passive=True, callback=lambda _f: finish(channel))

    def on_confirm(frame):
        method = frame.method
        if isinstance(method, pika.spec.Basic.Ack):
            state["acked"] = method.delivery_tag if method.multiple else state["acked"] + 1
            if state["acked"] >= count:
                finish(frame_channel[0])

    frame_channel: list = []

    def finish(channel):
        state["elapsed"] = time.perf_counter() - state["started"]
        channel.connection.close()

    def on_channel_keep(channel):
        frame_channel.append(channel)
        on_channel(channel)

    connection = SelectConnection(
        _parameters(port),
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel_keep),
        on_close_callback=lambda c, reason: c.ioloop.stop(),
    )
    connection.ioloop.start()
    return count / state["elapsed"]


def consume_acked(port: int, queue: str, count: int) -> float:
    """Messages/s consumed through pika's SelectConnection (prefetch 1,000), each acked alone."""
    state = {"taken": 0, "started": 0.0, "elapsed": 0.0}

    def on_channel(channel):
        def on_message(ch, method, _properties, _body):
            ch.basic_ack(method.delivery_tag)
            state["taken"] += 1
            if state["taken"] == count:
                state["elapsed"] = time.perf_counter() - state["started"]
                ch.connection.close()

        def consume(_frame):
            state["started"] = time.perf_counter()
            channel.basic_consume(queue, on_message)

        channel.basic_qos(prefetch_count=1000, callback=consume)

    connection = SelectConnection(
        _parameters(port),
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_close_callback=lambda c, reason: c.ioloop.stop(),
    )
    connection.ioloop.start()
    return count / state["elapsed"]


def socket_round_trips(count: int) -> float:
    """A floor: raw loopback echo round trips per second (no AMQP at all)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def echo() -> None:
        conn, _ = server.accept()
        while data := conn.recv(65536):
            conn.sendall(data)
        conn.close()

    threading.Thread(target=echo, daemon=True).start()
    client = socket.create_connection(server.getsockname())
    started = time.perf_counter()
    for _ in range(count):
        client.sendall(b"x" * 100)
        client.recv(65536)
    elapsed = time.perf_counter() - started
    client.close()
    server.close()
    return count / elapsed


async def topic_routing_seconds(small: int, large: int, messages: int) -> tuple[float, float]:
    """Seconds per routed message through topic exchanges with `small` and `large` bindings.

    Both exchanges live in one broker and their rounds alternate, so a busy neighbour slows
    both alike; each figure is the best of its rounds.
    """
    async with Engine(clock=VirtualClock()) as eng:
        eng.settings["mq.transition_seconds"] = 0.0
        mq = eng.client("mq")
        created = await mq.create_broker(
            BrokerName="route",
            EngineType="RABBITMQ",
            HostInstanceType="mq.m5.large",
            DeploymentMode="SINGLE_INSTANCE",
            PubliclyAccessible=False,
            Users=[{"Username": USER, "Password": PASSWORD}],
        )
        await eng.clock.advance(1)
        vhost = eng.service("mq").rabbit(created["BrokerId"]).vhost()
        vhost.declare_queue("q")
        exchanges = []
        for count in (small, large):
            exchange = vhost.declare_exchange(f"t{count}", "topic")
            vhost.bind(exchange.name, "q", "queue", "region.*.orders")
            for n in range(1, count):
                # Other tenants' patterns: literal first words, `*` and `#` deeper down.
                pattern = f"tenant{n}.#" if n % 2 else f"x.{n}.*"
                vhost.bind(exchange.name, "q", "queue", pattern)
            exchanges.append(exchange)
        keys = [f"region.r{n % 50}.orders" for n in range(messages)]
        best = [float("inf"), float("inf")]
        for _ in range(ROUNDS * 3):
            for index, exchange in enumerate(exchanges):
                started = time.perf_counter()
                for key in keys:
                    vhost.route(exchange, key, {})
                best[index] = min(best[index], (time.perf_counter() - started) / messages)
        return best[0], best[1]


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
        publish_runs = [measured(publish_confirmed, port, f"p{r}", count) for r in range(ROUNDS)]
        unconfirmed = max(
            measured(publish_confirmed, port, f"u{r}", count, False)[0] for r in range(ROUNDS)
        )
        consume_runs = [measured(consume_acked, port, f"p{r}", count) for r in range(ROUNDS)]
    finally:
        client.close()
        lab.close()
    publish = max(rate for rate, _ in publish_runs)
    consume = max(rate for rate, _ in consume_runs)
    small, large = asyncio.run(topic_routing_seconds(10, 10_000, 20_000))
    result = {
        "publish_confirmed_msgs_per_s": round(publish),
        "consume_acked_msgs_per_s": round(consume),
        "broker_cpu_us_per_msg_publish_confirmed": round(min(c for _, c in publish_runs), 1),
        "broker_cpu_us_per_msg_consume_acked": round(min(c for _, c in consume_runs), 1),
        "floor_publish_unconfirmed_msgs_per_s": round(unconfirmed),
        "floor_loopback_round_trips_per_s": round(socket_round_trips(count)),
        "topic_routing_us_per_msg_10_bindings": round(small * 1e6, 2),
        "topic_routing_us_per_msg_10k_bindings": round(large * 1e6, 2),
        "topic_routing_cost_ratio_10k_vs_10_bindings": round(large / small, 2),
        "messages_per_round": count,
        "peer": "none (no RabbitMQ server installed here)",
        "targets": TARGETS,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
