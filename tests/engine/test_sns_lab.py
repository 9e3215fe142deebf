"""SNS lab features: real loopback HTTP endpoints, and saving and opening a lab."""

from __future__ import annotations

import asyncio
import json

from engine import Engine, VirtualClock


async def test_loopback_http_endpoint_gets_a_real_post(eng: Engine) -> None:
    received: list[bytes] = []
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(
                line.split(b":")[1]
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
        )
        received.append(await reader.readexactly(length))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()
        done.set()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        sns = eng.client("sns")
        topic = (await sns.create_topic(Name="orders"))["TopicArn"]
        await sns.subscribe(
            TopicArn=topic, Protocol="http", Endpoint=f"http://127.0.0.1:{port}/hook"
        )
        await asyncio.wait_for(done.wait(), 5)  # real network I/O, not simulated time
    finally:
        server.close()
        await server.wait_closed()
    assert json.loads(received[0])["Type"] == "SubscriptionConfirmation"


async def test_non_loopback_unregistered_url_gets_no_answer(
    eng: Engine, clock: VirtualClock
) -> None:
    status = await eng.service("sns").http_sink.post("http://example.com/hook", {}, "x")
    assert status == 0


async def test_dump_and_load_restore_topics_and_subscriptions(eng: Engine) -> None:
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name="orders", Tags=[{"Key": "team", "Value": "a"}]))[
        "TopicArn"
    ]
    sub = (
        await sns.subscribe(
            TopicArn=topic,
            Protocol="sms",
            Endpoint="+15555550100",
            Attributes={"FilterPolicy": json.dumps({"k": ["v"]})},
        )
    )["SubscriptionArn"]
    saved = json.loads(json.dumps(eng.service("sns").dump()))
    async with Engine(clock=VirtualClock()) as other:
        other.service("sns").load(saved)
        restored = other.client("sns")
        attributes = (await restored.get_subscription_attributes(SubscriptionArn=sub))["Attributes"]
        assert json.loads(attributes["FilterPolicy"]) == {"k": ["v"]}
        await restored.publish(
            TopicArn=topic,
            Message="m",
            MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
        )
        assert other.service("sns").outbox[-1].message == "m"
