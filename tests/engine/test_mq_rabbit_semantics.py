"""RabbitMQ semantics on the virtual clock: exchanges, TTL, length limits, dead-lettering, priority."""

from __future__ import annotations

import pytest

from engine.services.mq.rabbitmq.errors import AmqpError
from engine.services.mq.rabbitmq.topic import TopicTrie

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def broker(eng, clock):
    mq = eng.client("mq")
    created = await mq.create_broker(
        BrokerName="lab",
        EngineType="RABBITMQ",
        HostInstanceType="mq.m5.large",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Users=[{"Username": "admin", "Password": "lab-password-1"}],
    )
    await clock.advance(5)
    return eng.service("mq").rabbit(created["BrokerId"])


def bodies(broker, queue_name, count=100, ack=True):
    """Take up to `count` messages from a queue (basic.get), returning bodies."""
    session = broker.session()
    queue = broker.vhost().queue(queue_name)
    found = []
    for _ in range(count):
        got = session.get(queue, no_ack=not ack)
        if got is None:
            break
        tag, entry = got
        found.append(entry.message.body.decode())
        if ack:
            session.ack(tag)
    return found


def test_topic_trie_matches_stars_and_hashes():
    trie = TopicTrie()
    for pattern in ["order.*.created", "order.#", "#", "*.eu.*", "order.eu", "#.created", ""]:
        trie.add(pattern, pattern)
    assert sorted(trie.match("order.eu.created")) == sorted(
        ["order.*.created", "order.#", "#", "*.eu.*", "#.created"]
    )
    assert sorted(trie.match("order")) == ["#", "order.#"]
    assert sorted(trie.match("")) == ["", "#"]
    trie.remove("order.#", "order.#")
    assert "order.#" not in trie.match("order.x")


async def test_direct_fanout_topic_and_headers_exchanges(broker):
    vhost = broker.vhost()
    for name in ["a", "b", "c", "d"]:
        vhost.declare_queue(name)
    vhost.declare_exchange("direct-x", "direct")
    vhost.bind("direct-x", "a", "queue", "red")
    vhost.bind("direct-x", "b", "queue", "blue")
    assert broker.publish("direct-x", "red", b"1")["Queues"] == ["a"]
    vhost.declare_exchange("fan", "fanout")
    for name in "abc":
        vhost.bind("fan", name, "queue", "ignored")
    assert sorted(broker.publish("fan", "anything", b"2")["Queues"]) == ["a", "b", "c"]
    vhost.declare_exchange("topics", "topic")
    vhost.bind("topics", "a", "queue", "order.eu.*")
    vhost.bind("topics", "b", "queue", "order.#")
    vhost.bind("topics", "c", "queue", "*.us.*")
    assert sorted(broker.publish("topics", "order.eu.created", b"3")["Queues"]) == ["a", "b"]
    assert broker.publish("topics", "invoice.us.paid", b"4")["Queues"] == ["c"]
    vhost.declare_exchange("hdr", "headers")
    vhost.bind("hdr", "a", "queue", "", {"x-match": "all", "format": "pdf", "type": "report"})
    vhost.bind("hdr", "b", "queue", "", {"x-match": "any", "format": "pdf", "type": "log"})
    vhost.bind("hdr", "d", "queue", "", {"x-match": "any-with-x", "x-tenant": "acme"})
    routed = broker.publish("hdr", "", b"5", headers={"format": "pdf", "type": "report"})
    assert sorted(routed["Queues"]) == ["a", "b"]
    assert broker.publish("hdr", "", b"6", headers={"x-tenant": "acme"})["Queues"] == ["d"]
    assert broker.publish("", "c", b"7")["Queues"] == ["c"]  # the default exchange


async def test_exchange_to_exchange_and_alternate_exchange(broker):
    vhost = broker.vhost()
    vhost.declare_queue("all-orders")
    vhost.declare_queue("unrouted")
    vhost.declare_exchange("lost", "fanout")
    vhost.bind("lost", "unrouted", "queue", "")
    vhost.declare_exchange("front", "direct", arguments={"alternate-exchange": "lost"})
    vhost.declare_exchange("orders", "topic")
    vhost.bind("front", "orders", "exchange", "order")
    vhost.bind("orders", "all-orders", "queue", "#")
    routed = broker.publish("front", "order", b"x")
    assert routed["Queues"] == ["all-orders"]
    assert {b["Destination"] for b in routed["Bindings"]} == {"orders", "all-orders"}
    assert broker.publish("front", "other", b"y")["Queues"] == ["unrouted"]


async def test_declare_errors_use_rabbitmq_codes(broker):
    vhost = broker.vhost()
    vhost.declare_exchange("x", "direct")
    with pytest.raises(AmqpError) as caught:
        vhost.declare_exchange("x", "fanout")
    assert caught.value.code == 406
    assert "inequivalent arg 'type' for exchange 'x'" in caught.value.text
    with pytest.raises(AmqpError) as caught:
        vhost.declare_exchange("amq.mine", "direct")
    assert caught.value.code == 403
    with pytest.raises(AmqpError) as caught:
        vhost.declare_exchange("y", "x-weird")
    assert (caught.value.code, caught.value.connection) == (503, True)
    with pytest.raises(AmqpError) as caught:
        vhost.bind("", "q", "queue", "q")
    assert caught.value.code == 403
    with pytest.raises(AmqpError) as caught:
        vhost.queue("missing")
    assert caught.value.text == "NOT_FOUND - no queue 'missing' in vhost '/'"
    vhost.declare_queue("q", durable=True)
    with pytest.raises(AmqpError) as caught:
        vhost.declare_queue("q", durable=False)
    assert caught.value.code == 406
    with pytest.raises(AmqpError) as caught:
        vhost.declare_queue("qq", arguments={"x-queue-type": "quorum"})
    assert "invalid property 'non-durable'" in caught.value.text
    with pytest.raises(AmqpError) as caught:
        vhost.declare_queue("p", arguments={"x-max-priority": 300})
    assert "value_too_large" in caught.value.text
    with pytest.raises(AmqpError) as caught:
        vhost.declare_queue("o", arguments={"x-overflow": "drop-tail"})
    assert "unknown_overflow_type" in caught.value.text
    assert "o" not in vhost.queues


async def test_message_and_queue_ttl_dead_letter_as_expired(broker, clock):
    vhost = broker.vhost()
    vhost.declare_exchange("dlx", "fanout")
    vhost.declare_queue("dead")
    vhost.bind("dlx", "dead", "queue", "")
    vhost.declare_queue(
        "work", arguments={"x-message-ttl": 10_000, "x-dead-letter-exchange": "dlx"}
    )
    broker.publish("", "work", b"slow")
    broker.publish("", "work", b"fast", properties={"expiration": "2000"})
    await clock.advance(5)
    # Only the head expires (RabbitMQ): "fast" waits behind "slow" until it is at the head.
    assert bodies(broker, "dead") == []
    await clock.advance(6)
    assert bodies(broker, "dead", ack=False) == ["slow", "fast"]
    session = broker.session()
    queue = vhost.queue("dead")
    broker.publish("", "work", b"again")
    await clock.advance(11)
    _, entry = session.get(queue, no_ack=True)
    death = entry.message.headers["x-death"][0]
    assert death["reason"] == "expired"
    assert death["queue"] == "work"
    assert death["count"] == 1
    assert entry.message.headers["x-first-death-reason"] == "expired"


async def test_queue_expires_when_unused(broker, clock):
    vhost = broker.vhost()
    vhost.declare_queue("temp", arguments={"x-expires": 3000})
    await clock.advance(2)
    vhost.declare_queue("temp", arguments={"x-expires": 3000})  # redeclare counts as use
    await clock.advance(2)
    assert "temp" in vhost.queues
    await clock.advance(2)
    assert "temp" not in vhost.queues


async def test_max_length_overflow_modes(broker):
    vhost = broker.vhost()
    vhost.declare_exchange("dlx", "fanout")
    vhost.declare_queue("overflowed")
    vhost.bind("dlx", "overflowed", "queue", "")
    vhost.declare_queue("head", arguments={"x-max-length": 2, "x-dead-letter-exchange": "dlx"})
    vhost.declare_queue("refuse", arguments={"x-max-length": 2, "x-overflow": "reject-publish"})
    vhost.declare_queue(
        "refuse-dlx",
        arguments={
            "x-max-length-bytes": 6,
            "x-overflow": "reject-publish-dlx",
            "x-dead-letter-exchange": "dlx",
        },
    )
    for body in ["m1", "m2", "m3"]:
        broker.publish("", "head", body.encode())
        accepted = broker.publish("", "refuse", body.encode())["Accepted"]
        broker.publish("", "refuse-dlx", body.encode())
    assert accepted is False
    assert bodies(broker, "head") == ["m2", "m3"]
    assert bodies(broker, "refuse") == ["m1", "m2"]
    assert bodies(broker, "refuse-dlx") == ["m1", "m2", "m3"]
    broker.publish("", "refuse-dlx", b"m4444444")
    assert bodies(broker, "overflowed") == ["m1", "m4444444"]


async def test_reject_dead_letters_with_routing_key_and_requeue_keeps_order(broker):
    vhost = broker.vhost()
    vhost.declare_exchange("dlx", "direct")
    vhost.declare_queue("parking")
    vhost.bind("dlx", "parking", "queue", "failed")
    vhost.declare_queue(
        "jobs",
        arguments={"x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "failed"},
    )
    for body in ["j1", "j2", "j3"]:
        broker.publish("", "jobs", body.encode())
    session = broker.session()
    queue = vhost.queue("jobs")
    tags = [session.get(queue, no_ack=False)[0] for _ in range(3)]
    session.nack(tags[1], requeue=True)
    session.nack(tags[0], requeue=True)
    session.nack(tags[2], requeue=False)
    order = []
    for _ in range(2):
        tag, entry = session.get(queue, no_ack=False)
        order.append((entry.message.body, entry.redelivered))
        session.ack(tag)
    assert order == [(b"j1", True), (b"j2", True)]
    tag, entry = session.get(vhost.queue("parking"), no_ack=False)
    assert entry.message.body == b"j3"
    assert entry.message.routing_key == "failed"
    assert entry.message.headers["x-death"][0]["reason"] == "rejected"
    assert entry.message.headers["x-death"][0]["routing-keys"] == ["jobs"]


async def test_priority_queue_delivers_highest_first(broker):
    vhost = broker.vhost()
    vhost.declare_queue("prio", arguments={"x-max-priority": 5})
    for body, priority in [("low", 1), ("high", 9), ("mid", 3), ("none", None)]:
        props = {"priority": priority} if priority is not None else {}
        broker.publish("", "prio", body.encode(), properties=props)
    assert bodies(broker, "prio") == ["high", "mid", "low", "none"]


async def test_quorum_delivery_limit_dead_letters(broker):
    vhost = broker.vhost()
    vhost.declare_exchange("dlx", "fanout")
    vhost.declare_queue("poison")
    vhost.bind("dlx", "poison", "queue", "")
    vhost.declare_queue(
        "orders",
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": 2,
            "x-dead-letter-exchange": "dlx",
        },
    )
    broker.publish("", "orders", b"bad")
    session = broker.session()
    queue = vhost.queue("orders")
    for _ in range(3):
        tag, _ = session.get(queue, no_ack=False)
        session.nack(tag, requeue=True)
    assert queue.ready_count == 0
    _, entry = session.get(vhost.queue("poison"), no_ack=True)
    assert entry.message.headers["x-death"][0]["reason"] == "delivery_limit"


async def test_consumers_prefetch_and_round_robin(broker):
    vhost = broker.vhost()
    queue = vhost.declare_queue("rr")
    first = broker.session()
    second = broker.session()
    first.prefetch_consumer = 1
    second.prefetch_consumer = 1
    queue.add_consumer(first.subscribe(queue, "c1"))
    queue.add_consumer(second.subscribe(queue, "c2"))
    for n in range(4):
        broker.publish("", "rr", str(n).encode())
    assert [e.message.body for _, _, e in first.buffer] == [b"0"]
    assert [e.message.body for _, _, e in second.buffer] == [b"1"]
    assert queue.ready_count == 2 and queue.unacked == 2
    first.ack(first.drain(1)[0][0])
    assert [e.message.body for _, _, e in first.buffer] == [b"2"]


async def test_deleting_a_queue_unbinds_it_and_dead_letter_cycles_drop(broker, clock):
    vhost = broker.vhost()
    vhost.declare_exchange("loop", "fanout")
    vhost.declare_queue("cycle", arguments={"x-message-ttl": 100, "x-dead-letter-exchange": "loop"})
    vhost.bind("loop", "cycle", "queue", "")
    broker.publish("", "cycle", b"round")
    await clock.advance(1)
    assert vhost.queue("cycle").ready_count == 0  # expired into its own DLX: dropped
    vhost.delete_queue(vhost.queue("cycle"))
    assert vhost.exchange("loop").bindings == {}


async def test_auto_delete_queues_and_exchanges_go_when_unused(broker):
    vhost = broker.vhost()
    queue = vhost.declare_queue("transient", auto_delete=True)
    session = broker.session()
    consumer = session.subscribe(queue, "c1")
    queue.add_consumer(consumer)
    assert "transient" in vhost.queues
    session.release()
    assert "transient" not in vhost.queues
    vhost.declare_exchange("fleeting", "fanout", auto_delete=True)
    vhost.declare_queue("keeper")
    vhost.bind("fleeting", "keeper", "queue", "")
    vhost.unbind("fleeting", "keeper", "queue", "")
    assert "fleeting" not in vhost.exchanges
    with pytest.raises(AmqpError) as caught:
        vhost.declare_exchange("fleeting", "fanout", passive=True)
    assert caught.value.code == 404


async def test_one_expiry_timer_per_queue(broker, clock):
    vhost = broker.vhost()
    vhost.declare_queue("timed", arguments={"x-message-ttl": 1000})
    before = len(clock._timers)
    for n in range(500):
        broker.publish("", "timed", str(n).encode())
    assert len(clock._timers) - before <= 1
    await clock.advance(2)
    assert vhost.queue("timed").ready_count == 0


async def test_redeclare_must_match_every_x_argument(broker):
    vhost = broker.vhost()
    vhost.declare_queue("ttl", arguments={"x-message-ttl": 60000})
    assert vhost.declare_queue("ttl", arguments={"x-message-ttl": 60000}).name == "ttl"
    with pytest.raises(AmqpError) as caught:
        vhost.declare_queue("ttl")
    assert caught.value.text == (
        "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue 'ttl' in vhost '/': "
        "received none but current is the value '60000'"
    )


async def test_exchange_redeclare_compares_arguments(broker):
    vhost = broker.vhost()
    vhost.declare_exchange("ae-backed", "direct", arguments={"alternate-exchange": "lost"})
    with pytest.raises(AmqpError) as caught:
        vhost.declare_exchange("ae-backed", "direct")
    assert caught.value.code == 406 and "inequivalent arg" in caught.value.text
