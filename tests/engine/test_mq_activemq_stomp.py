"""Real STOMP clients (stomp.py) and raw frames against the lab's ActiveMQ broker on loopback."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import stomp

from .activemq_lab import PASSWORD, USER, ActiveLab

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def lab():
    lab = ActiveLab().create_broker()
    yield lab
    lab.close()


class Listener(stomp.ConnectionListener):
    """Collects MESSAGE and ERROR frames."""

    def __init__(self) -> None:
        self.messages: list = []
        self.errors: list = []
        self.event = threading.Condition()

    def on_message(self, frame) -> None:
        with self.event:
            self.messages.append(frame)
            self.event.notify_all()

    def on_error(self, frame) -> None:
        with self.event:
            self.errors.append(frame)
            self.event.notify_all()

    def wait(self, count: int, timeout: float = 5) -> list:
        deadline = time.monotonic() + timeout
        with self.event:
            while len(self.messages) < count and time.monotonic() < deadline:
                self.event.wait(deadline - time.monotonic())
        return self.messages

    def bodies(self) -> list:
        return [f.body for f in self.messages]


def connect(lab, version=12, **extra):
    cls = {10: stomp.Connection10, 11: stomp.Connection11, 12: stomp.Connection12}[version]
    connection = cls([("127.0.0.1", lab.port)], **extra)
    listener = Listener()
    connection.set_listener("", listener)
    return connection, listener


def settle(lab):
    """Wait until the broker has processed what clients sent (a receipt round trip)."""
    connection, _ = connect(lab)
    connection.connect(USER, PASSWORD, wait=True)
    connection.disconnect()


def test_queue_with_selector_and_client_individual_ack(lab):
    connection, listener = connect(lab)
    connection.connect(USER, PASSWORD, wait=True)
    connection.subscribe(
        "/queue/s-orders", id="eu", ack="client-individual", headers={"selector": "region = 'eu'"}
    )
    connection.send("/queue/s-orders", "one", headers={"region": "eu"})
    connection.send("/queue/s-orders", "two", headers={"region": "us"})
    connection.send("/queue/s-orders", "three", headers={"region": "eu"}, priority="9")
    frames = listener.wait(2)
    assert [f.body for f in frames] == ["one", "three"]
    assert frames[1].headers["priority"] == "9"
    for frame in frames:
        connection.ack(frame.headers["ack"])
    connection.disconnect(receipt="bye")
    queue = lab.run(lambda: lab.broker.core.queues["s-orders"].stats())
    assert queue["dequeued"] == 2 and queue["depth"] == 1  # "two" waits for a matching consumer


def test_competing_consumers_share_a_queue_round_robin(lab):
    first, got_first = connect(lab)
    second, got_second = connect(lab)
    for connection in (first, second):
        connection.connect(USER, PASSWORD, wait=True)
        connection.subscribe("/queue/s-work", id="w", ack="auto")
    settle(lab)
    producer, _ = connect(lab, version=11)
    producer.connect(USER, PASSWORD, wait=True)
    for n in range(10):
        producer.send("/queue/s-work", f"job{n}")
    producer.disconnect()
    got_first.wait(5)
    got_second.wait(5)
    assert len(got_first.messages) == 5 and len(got_second.messages) == 5
    assert sorted(got_first.bodies() + got_second.bodies()) == sorted(f"job{n}" for n in range(10))
    first.disconnect()
    second.disconnect()


def test_topics_non_durable_and_durable_subscriptions(lab):
    durable, kept = connect(lab)
    durable.connect(USER, PASSWORD, wait=True, headers={"client-id": "auditor"})
    durable.subscribe("/topic/s-prices", id="d", headers={"activemq.subscriptionName": "audit"})
    live, seen = connect(lab)
    live.connect(USER, PASSWORD, wait=True)
    live.subscribe("/topic/s-prices.*", id="l")
    settle(lab)
    producer, _ = connect(lab)
    producer.connect(USER, PASSWORD, wait=True)
    producer.send("/topic/s-prices", "p1")
    producer.send("/topic/s-prices.ibm", "ibm")
    kept.wait(1)
    seen.wait(1)
    assert kept.bodies() == ["p1"] and seen.bodies() == ["ibm"]
    durable.disconnect()
    producer.send("/topic/s-prices", "while-away", headers={"persistent": "true"})
    producer.disconnect(receipt="sent")
    back, later = connect(lab)
    back.connect(USER, PASSWORD, wait=True, headers={"client-id": "auditor"})
    back.subscribe("/topic/s-prices", id="d2", headers={"activemq.subscriptionName": "audit"})
    assert [f.body for f in later.wait(1)] == ["while-away"]
    assert later.messages[0].headers["persistent"] == "true"
    back.disconnect()
    live.disconnect()


def test_transaction_commit_and_abort(lab):
    connection, listener = connect(lab)
    connection.connect(USER, PASSWORD, wait=True)
    connection.subscribe("/queue/s-tx", id="t")
    aborted = connection.begin()
    connection.send("/queue/s-tx", "never", transaction=aborted)
    connection.abort(aborted)
    committed = connection.begin()
    connection.send("/queue/s-tx", "a", transaction=committed)
    connection.send("/queue/s-tx", "b", transaction=committed)
    settle(lab)
    assert listener.messages == []
    connection.commit(committed)
    assert [f.body for f in listener.wait(2)] == ["a", "b"]
    connection.disconnect()


def test_client_ack_redelivery_then_nack_sends_to_activemq_dlq(lab):
    first, got_first = connect(lab)
    first.connect(USER, PASSWORD, wait=True)
    first.subscribe("/queue/s-poison", id="p", ack="client", headers={"activemq.prefetchSize": "1"})
    first.send("/queue/s-poison", "bad", headers={"persistent": "true"})
    first.send("/queue/s-poison", "fleeting")  # non-persistent (STOMP's default)
    (delivered,) = got_first.wait(1)
    assert "redelivered" not in delivered.headers
    first.disconnect()  # unacknowledged: the broker redelivers it to the next consumer
    second, got_second = connect(lab)
    second.connect(USER, PASSWORD, wait=True)
    second.subscribe(
        "/queue/s-poison", id="p", ack="client", headers={"activemq.prefetchSize": "1"}
    )
    (again,) = got_second.wait(1)
    assert again.body == "bad" and again.headers["redelivered"] == "true"
    second.nack(again.headers["ack"])  # ActiveMQ: a STOMP NACK is a poison ack → the DLQ
    (fleeting,) = got_second.wait(2)[1:]
    assert fleeting.body == "fleeting"
    second.nack(fleeting.headers["ack"])  # non-persistent: discarded, not dead-lettered
    dlq, dead = connect(lab)
    dlq.connect(USER, PASSWORD, wait=True)
    dlq.subscribe("/queue/ActiveMQ.DLQ", id="dlq")
    (frame,) = dead.wait(1)
    assert frame.body == "bad"
    assert frame.headers["originalDestination"] == "queue://s-poison"
    assert "Poison ack" in frame.headers["dlqDeliveryFailureCause"]
    settle(lab)
    assert len(dead.messages) == 1
    dlq.disconnect()
    second.disconnect()


def test_stomp_10_and_11_negotiate_and_bad_login_is_refused(lab):
    for version in (10, 11):
        connection, listener = connect(lab, version=version)
        connection.connect(USER, PASSWORD, wait=True)
        connection.subscribe("/queue/s-old", id="o", ack="auto")
        connection.send("/queue/s-old", f"v{version}")
        assert [f.body for f in listener.wait(1)] == [f"v{version}"]
        connection.disconnect()
    connection, listener = connect(lab)
    with pytest.raises(stomp.exception.ConnectFailedException):
        connection.connect(USER, "wrong-password", wait=True)
    assert "User name [admin] or password is invalid." in listener.errors[0].headers["message"]


def raw(lab, data: bytes) -> bytes:
    """Send raw bytes and read until the broker closes the connection."""
    with socket.create_connection(("127.0.0.1", lab.port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


CONNECT = f"CONNECT\naccept-version:1.2\nhost:lab\nlogin:{USER}\npasscode:{PASSWORD}\nheart-beat:0,5000\n\n\0".encode()


@pytest.mark.parametrize(
    ("frame", "fragment"),
    [
        (b"BOGUS\n\n\0", b"Unknown STOMP action: BOGUS"),
        (b"SEND\ndestination:/queue/x\ncontent-length:zz\n\n\0", b"Invalid content-length"),
        (
            b"SEND\ndestination:/queue/x\ncontent-length:1\n\nabc\0",
            b"longer than its content-length",
        ),
        (b"SEND\nbad header line\n\n\0", b"has no ':'"),
        (b"SEND\ndestination:/nowhere/x\n\n\0", b"Unknown destination type"),
        (b"SUBSCRIBE\ndestination:/queue/x\nid:1\nselector:a = = 1\n\n\0", b"Invalid selector"),
        (b"ACK\nid:nope\n\n\0", b"ACK received without a valid id"),
        (b"COMMIT\ntransaction:none\n\n\0", b"Invalid transaction id: none"),
        (b"SEND\ndestination:/queue/x\nh:bad\\qescape\n\n\0", b"Invalid escape sequence"),
    ],
)
def test_malformed_frames_get_an_error_and_the_broker_keeps_serving(lab, frame, fragment):
    answer = raw(lab, CONNECT + frame)
    assert answer.startswith(b"CONNECTED\nversion:1.2\n")
    assert b"heart-beat:5000,0" in answer
    error = answer[answer.index(b"ERROR") :]
    assert fragment in error
    connection, listener = connect(lab)
    connection.connect(USER, PASSWORD, wait=True)
    connection.disconnect()


def test_frames_before_connect_and_receipts(lab):
    assert b"Not connected" in raw(lab, b"SEND\ndestination:/queue/x\n\nhi\0")
    answer = raw(
        lab,
        CONNECT
        + b"SEND\ndestination:/queue/s-receipt\nreceipt:r1\n\nhello\0\n\n"
        + b"DISCONNECT\nreceipt:r2\n\n\0",
    )
    assert b"RECEIPT\nreceipt-id:r1\n" in answer and b"RECEIPT\nreceipt-id:r2\n" in answer
    assert raw(lab, b"CONNECT\naccept-version:2.0\n\n\0").startswith(b"ERROR\nversion:1.0,1.1,1.2")


def test_heart_beats_are_sent_and_a_silent_client_is_dropped(lab):
    connect_frame = CONNECT.replace(b"heart-beat:0,5000", b"heart-beat:100,50")
    started = time.monotonic()
    answer = raw(lab, connect_frame)  # the client sends nothing more: the broker hangs up
    assert time.monotonic() - started < 5
    assert b"heart-beat:50,100" in answer
    beats = answer[answer.index(b"\0") + 1 :]
    assert beats and beats.strip(b"\n") == b""  # CONNECTED, then heart-beat EOLs only


def test_abort_redelivers_what_the_transaction_acked(lab):
    connection, listener = connect(lab)
    connection.connect(USER, PASSWORD, wait=True)
    connection.subscribe("/queue/s-abort", id="a", ack="client-individual")
    connection.send("/queue/s-abort", "once")
    (first,) = listener.wait(1)
    tx = connection.begin()
    connection.ack(first.headers["ack"], transaction=tx)
    connection.abort(tx)
    frames = listener.wait(2)
    assert [f.body for f in frames] == ["once", "once"]
    assert frames[1].headers["redelivered"] == "true"
    connection.ack(frames[1].headers["ack"])
    connection.disconnect(receipt="done")
    assert lab.run(lambda: lab.broker.core.queues["s-abort"].depth) == 0


def _configure(lab, xml: str) -> None:
    """Give the lab's broker an ActiveMQ configuration revision and reboot it to apply it."""

    async def apply() -> None:
        import asyncio
        import base64

        mq = lab.engine.client("mq")
        created = await mq.create_configuration(Name="stomp-config", EngineType="ACTIVEMQ")
        data = base64.b64encode(xml.encode()).decode()
        await mq.update_configuration(ConfigurationId=created["Id"], Data=data)
        reference = {"Id": created["Id"], "Revision": 2}
        await mq.update_broker(BrokerId=lab.broker_id, Configuration=reference)
        await mq.reboot_broker(BrokerId=lab.broker_id)
        while (await mq.describe_broker(BrokerId=lab.broker_id))["BrokerState"] != "RUNNING":
            await asyncio.sleep(0.01)

    lab.call(apply())


PLUGIN_XML = """<broker xmlns="http://activemq.apache.org/schema/core">
  <destinationPolicy><policyMap><policyEntries>
    <policyEntry queue="&gt;"><deadLetterStrategy>
      <individualDeadLetterStrategy queuePrefix="DLQ." useQueueForQueueMessages="true"/>
    </deadLetterStrategy></policyEntry>
  </policyEntries></policyMap></destinationPolicy>
  <plugins><redeliveryPlugin fallbackToDeadLetter="true" sendToDlqIfMaxRetriesExceeded="true">
    <redeliveryPolicyMap><redeliveryPolicyMap><defaultEntry>
      <redeliveryPolicy maximumRedeliveries="2" initialRedeliveryDelay="200" redeliveryDelay="200"
        useExponentialBackOff="true" backOffMultiplier="2"/>
    </defaultEntry></redeliveryPolicyMap></redeliveryPolicyMap>
  </redeliveryPlugin></plugins>
</broker>"""


def test_redelivery_plugin_redelivers_stomp_nacks_with_backoff_then_individual_dlq():
    lab = ActiveLab().create_broker("configured")
    try:
        _configure(lab, PLUGIN_XML)
        client, got = connect(lab)
        client.connect(USER, PASSWORD, wait=True)
        client.subscribe("/queue/c-jobs", id="j", ack="client-individual")
        client.send("/queue/c-jobs", "bad", headers={"persistent": "true"})
        seen = [time.monotonic()]
        for count in (1, 2):
            frame = got.wait(count)[-1]
            client.nack(frame.headers["ack"])
            (again,) = got.wait(count + 1)[count:]
            seen.append(time.monotonic())
            assert again.body == "bad" and again.headers["redelivered"] == "true"
        # The broker's policy: 200 ms, then ×2 (lower bounds only: the machine may be slow).
        assert seen[1] - seen[0] >= 0.18 and seen[2] - seen[1] >= 0.36
        client.nack(got.messages[-1].headers["ack"])  # the third exceeds maximumRedeliveries=2
        dlq, dead = connect(lab)
        dlq.connect(USER, PASSWORD, wait=True)
        dlq.subscribe("/queue/DLQ.c-jobs", id="dlq")
        (frame,) = dead.wait(1)
        assert frame.body == "bad"
        assert "maximumRedeliveries = 2" in frame.headers["dlqDeliveryFailureCause"]
        dlq.disconnect()
        client.disconnect()
    finally:
        lab.close()
