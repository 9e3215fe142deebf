"""Real AMQP clients (pika, aio-pika) against the lab's RabbitMQ broker on loopback."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import aio_pika
import pika
import pytest
from pika.exceptions import ChannelClosedByBroker, ProbableAuthenticationError, UnroutableError

from .rabbit_lab import PASSWORD, USER, RabbitLab

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def lab():
    lab = RabbitLab().create_broker()
    yield lab
    lab.close()


def connect(lab: RabbitLab, **extra) -> pika.BlockingConnection:
    credentials = pika.PlainCredentials(extra.pop("user", USER), extra.pop("password", PASSWORD))
    return pika.BlockingConnection(
        pika.ConnectionParameters("127.0.0.1", lab.port, credentials=credentials, **extra)
    )


def test_pika_publish_with_confirms_and_consume_with_acks(lab):
    connection = connect(lab)
    channel = connection.channel()
    channel.confirm_delivery()
    channel.queue_declare("p-work", durable=True)
    for n in range(50):
        channel.basic_publish("", "p-work", f"m{n}".encode(), pika.BasicProperties(delivery_mode=2))
    channel.basic_qos(prefetch_count=10)
    seen = []
    for method, _properties, body in channel.consume("p-work", inactivity_timeout=2):
        if method is None:
            break
        seen.append(body)
        channel.basic_ack(method.delivery_tag)
        if len(seen) == 50:
            break
    channel.cancel()
    assert seen == [f"m{n}".encode() for n in range(50)]
    assert channel.queue_declare("p-work", passive=True).method.message_count == 0
    connection.close()


def test_pika_topic_routing_and_mandatory_return(lab):
    connection = connect(lab)
    channel = connection.channel()
    channel.confirm_delivery()
    channel.exchange_declare("p-orders", "topic")
    channel.queue_declare("p-eu")
    channel.queue_declare("p-all")
    channel.queue_bind("p-eu", "p-orders", "order.eu.*")
    channel.queue_bind("p-all", "p-orders", "order.#")
    channel.basic_publish("p-orders", "order.eu.created", b"eu")
    channel.basic_publish("p-orders", "order.us.created", b"us")
    assert channel.basic_get("p-eu", auto_ack=True)[2] == b"eu"
    assert channel.basic_get("p-eu", auto_ack=True)[0] is None
    assert [channel.basic_get("p-all", auto_ack=True)[2] for _ in range(2)] == [b"eu", b"us"]
    with pytest.raises(UnroutableError):
        channel.basic_publish("p-orders", "invoice.paid", b"nowhere", mandatory=True)
    connection.close()


def test_pika_nack_to_a_dead_letter_exchange_with_x_death(lab):
    connection = connect(lab)
    channel = connection.channel()
    channel.exchange_declare("p-dlx", "fanout")
    channel.queue_declare("p-dead")
    channel.queue_bind("p-dead", "p-dlx")
    channel.queue_declare("p-jobs", arguments={"x-dead-letter-exchange": "p-dlx"})
    channel.basic_publish("", "p-jobs", b"poison")
    method, _, _ = channel.basic_get("p-jobs")
    channel.basic_nack(method.delivery_tag, requeue=False)
    method, properties, body = channel.basic_get("p-dead", auto_ack=True)
    assert body == b"poison"
    death = properties.headers["x-death"][0]
    assert death["reason"] == b"rejected" or death["reason"] == "rejected"
    assert death["queue"] in ("p-jobs", b"p-jobs")
    connection.close()


def test_pika_requeue_sets_redelivered(lab):
    connection = connect(lab)
    channel = connection.channel()
    channel.queue_declare("p-requeue")
    channel.basic_publish("", "p-requeue", b"again")
    method, _, _ = channel.basic_get("p-requeue")
    assert not method.redelivered
    channel.basic_reject(method.delivery_tag, requeue=True)
    method, _, _ = channel.basic_get("p-requeue", auto_ack=True)
    assert method.redelivered
    connection.close()


def test_channel_errors_carry_rabbitmq_codes_and_connection_survives(lab):
    connection = connect(lab)
    channel = connection.channel()
    with pytest.raises(ChannelClosedByBroker) as caught:
        channel.queue_declare("p-missing", passive=True)
    assert caught.value.reply_code == 404
    assert caught.value.reply_text == "NOT_FOUND - no queue 'p-missing' in vhost '/'"
    channel = connection.channel()
    channel.exchange_declare("p-typed", "direct")
    with pytest.raises(ChannelClosedByBroker) as caught:
        channel.exchange_declare("p-typed", "fanout")
    assert caught.value.reply_code == 406
    channel = connection.channel()
    with pytest.raises(ChannelClosedByBroker) as caught:
        channel.basic_ack(99)
        channel.queue_declare("p-after-ack")  # a round trip so the close arrives
    assert caught.value.reply_code == 406
    assert "unknown delivery tag 99" in caught.value.reply_text
    channel = connection.channel()
    assert channel.queue_declare("p-still-fine").method.queue == "p-still-fine"
    connection.close()


def test_wrong_password_is_refused(lab):
    with pytest.raises(ProbableAuthenticationError) as caught:
        connect(lab, password="not-the-password")
    assert "ACCESS_REFUSED" in str(caught.value)


def test_exclusive_queue_is_locked_to_its_connection_and_goes_with_it(lab):
    owner = connect(lab)
    other = connect(lab)
    owner.channel().queue_declare("p-mine", exclusive=True)
    with pytest.raises(ChannelClosedByBroker) as caught:
        other.channel().queue_declare("p-mine", passive=True)
    assert caught.value.reply_code == 405
    owner.close()
    with pytest.raises(ChannelClosedByBroker):
        other.channel().queue_declare("p-mine", passive=True)
    other.close()


def test_management_api_reads_with_basic_auth(lab):
    connection = connect(lab)
    channel = connection.channel()
    channel.queue_declare("p-managed")
    channel.basic_publish("", "p-managed", b"1")
    base = f"http://127.0.0.1:{lab.console_port}"
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def get(path: str, auth: str = token):
        request = urllib.request.Request(base + path, headers={"Authorization": f"Basic {auth}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    overview = get("/api/overview")
    assert overview["product_name"] == "RabbitMQ"
    queue = get("/api/queues/%2F/p-managed")
    assert queue["messages_ready"] == 1
    assert any(e["name"] == "amq.topic" for e in get("/api/exchanges"))
    assert any(b["destination"] == "p-managed" for b in get("/api/bindings"))
    with pytest.raises(urllib.error.HTTPError) as caught:
        get("/api/overview", base64.b64encode(b"admin:wrong").decode())
    assert caught.value.code == 401
    connection.close()


def test_reboot_drops_connections_and_comes_back(lab):
    connection = connect(lab)
    connection.channel().queue_declare("p-survives", durable=True)
    lab.call(lab.engine.client("mq").reboot_broker(BrokerId=lab.broker_id))
    with pytest.raises(pika.exceptions.AMQPError):
        connection.channel()
    import time

    for _ in range(200):
        state = lab.call(lab.engine.client("mq").describe_broker(BrokerId=lab.broker_id))
        if state["BrokerState"] == "RUNNING":
            break
        time.sleep(0.01)
    again = connect(lab)
    assert again.channel().queue_declare("p-survives", passive=True, durable=True)
    again.close()


async def test_aio_pika_publish_consume_confirm_and_dlx(lab):
    url = f"amqp://{USER}:{PASSWORD}@127.0.0.1:{lab.port}/"
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=5)
        dlx = await channel.declare_exchange("a-dlx", aio_pika.ExchangeType.FANOUT)
        dead = await channel.declare_queue("a-dead")
        await dead.bind(dlx)
        topics = await channel.declare_exchange("a-topics", aio_pika.ExchangeType.TOPIC)
        work = await channel.declare_queue("a-work", arguments={"x-dead-letter-exchange": "a-dlx"})
        await work.bind(topics, "sensor.*.temperature")
        for n in range(5):
            confirmation = await topics.publish(
                aio_pika.Message(f"t{n}".encode(), headers={"n": n}),
                routing_key=f"sensor.{n}.temperature",
            )
            assert confirmation is not None
        await topics.publish(aio_pika.Message(b"ignored"), routing_key="sensor.1.humidity")
        received = []
        async with work.iterator() as messages:
            async for message in messages:
                received.append(message.body)
                if message.body == b"t3":
                    await message.nack(requeue=False)
                else:
                    await message.ack()
                if len(received) == 5:
                    break
        assert received == [b"t0", b"t1", b"t2", b"t3", b"t4"]
        message = await dead.get(timeout=5)
        assert message.body == b"t3"
        assert message.headers["x-death"][0]["reason"] == "rejected"
        await message.ack()
