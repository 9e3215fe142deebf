"""Real MQTT clients (paho-mqtt) against the lab's ActiveMQ broker, and MQTT ↔ STOMP mapping."""

from __future__ import annotations

import socket
import struct
import threading
import time

import paho.mqtt.client as mqtt
import pytest
import stomp

from .activemq_lab import PASSWORD, USER, ActiveLab

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def lab():
    lab = ActiveLab().create_broker()
    yield lab
    lab.close()


class Client:
    """A paho client running its network loop in a thread, collecting what it receives."""

    def __init__(self, lab, client_id="", clean=True, password=PASSWORD, will=None) -> None:
        self.messages: list = []
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.reason = None
        self.session_present = None
        self.lock = threading.Condition()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean,
            protocol=mqtt.MQTTv311,
        )
        self.client.username_pw_set(USER, password)
        if will:
            self.client.will_set(*will)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.connect("127.0.0.1", lab.endpoints["mqtt"], keepalive=30)
        self.client.loop_start()
        assert self.connected.wait(5)

    def _on_connect(self, client, userdata, flags, reason, properties):
        self.reason = reason
        self.session_present = flags.session_present
        self.connected.set()

    def _on_message(self, client, userdata, message):
        with self.lock:
            self.messages.append(message)
            self.lock.notify_all()

    def subscribe(self, topic, qos=0):
        self.subscribed.clear()
        self.client.subscribe(topic, qos)
        assert self.subscribed.wait(5)

    def wait(self, count, timeout=5):
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.messages) < count and time.monotonic() < deadline:
                self.lock.wait(deadline - time.monotonic())
        return [(m.topic, m.payload, m.qos, m.retain) for m in self.messages]

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def test_qos_0_1_2_with_wildcards(lab):
    sub = Client(lab)
    sub.subscribe("sensors/+/temp", qos=2)
    every = Client(lab)
    every.subscribe("sensors/#", qos=1)
    pub = Client(lab)
    for qos in (0, 1, 2):
        pub.client.publish(f"sensors/room{qos}/temp", f"t{qos}".encode(), qos=qos).wait_for_publish(
            5
        )
    pub.client.publish("sensors/room1/humidity", b"h", qos=1).wait_for_publish(5)
    assert sub.wait(3) == [
        ("sensors/room0/temp", b"t0", 0, False),
        ("sensors/room1/temp", b"t1", 1, False),
        ("sensors/room2/temp", b"t2", 2, False),
    ]
    assert [m[1] for m in every.wait(4)] == [b"t0", b"t1", b"t2", b"h"]
    assert [m[2] for m in every.wait(4)] == [0, 1, 1, 1]  # QoS is the lower of the two

    def depths() -> dict:
        return lab.run(lambda: {k: s.depth for k, s in lab.broker.core.subscriptions.items()})

    # A client acknowledges after its callback ran: give the last PUBACK/PUBCOMP time to arrive.
    deadline = time.monotonic() + 5
    while any(depths().values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(depth == 0 for depth in depths().values())  # every QoS 1/2 delivery was acked
    for client in (sub, every, pub):
        client.close()


def test_mqtt_and_stomp_share_topics_with_dots_and_slashes(lab):
    received = []
    arrived = threading.Event()

    class Listener(stomp.ConnectionListener):
        def on_message(self, frame):
            received.append((frame.headers["destination"], frame.body))
            arrived.set()

    stomp_client = stomp.Connection12([("127.0.0.1", lab.port)])
    stomp_client.set_listener("", Listener())
    stomp_client.connect(USER, PASSWORD, wait=True)
    stomp_client.subscribe("/topic/orders.eu", id="s")
    mqtt_sub = Client(lab)
    mqtt_sub.subscribe("orders/#", qos=1)
    pub = Client(lab)
    pub.client.publish("orders/eu", b"from-mqtt", qos=1).wait_for_publish(5)
    assert arrived.wait(5)
    assert received == [("/topic/orders.eu", "from-mqtt")]
    stomp_client.send("/topic/orders.us", "from-stomp", headers={"persistent": "true"})
    assert mqtt_sub.wait(2) == [
        ("orders/eu", b"from-mqtt", 1, False),
        ("orders/us", b"from-stomp", 1, False),
    ]
    stomp_client.disconnect()
    mqtt_sub.close()
    pub.close()


def test_retained_messages(lab):
    pub = Client(lab)
    pub.client.publish("status/door", b"open", qos=1, retain=True).wait_for_publish(5)
    pub.client.publish("status/window", b"shut", qos=1, retain=True).wait_for_publish(5)
    pub.client.publish("status/window", b"", qos=1, retain=True).wait_for_publish(5)  # clears
    late = Client(lab)
    late.subscribe("status/+", qos=1)
    assert late.wait(1) == [("status/door", b"open", 1, True)]
    pub.client.publish("status/door", b"closed", qos=1).wait_for_publish(5)
    assert late.wait(2)[1] == ("status/door", b"closed", 1, False)
    pub.close()
    late.close()


def test_persistent_session_keeps_qos1_messages_while_away(lab):
    away = Client(lab, client_id="field-unit", clean=False)
    away.subscribe("alerts/#", qos=1)
    away.close()
    pub = Client(lab)
    pub.client.publish("alerts/fire", b"evacuate", qos=1).wait_for_publish(5)
    pub.close()
    back = Client(lab, client_id="field-unit", clean=False)
    assert back.session_present
    assert back.wait(1) == [("alerts/fire", b"evacuate", 1, False)]
    back.close()
    fresh = Client(lab, client_id="field-unit", clean=True)
    assert not fresh.session_present
    fresh.close()


def _connect_packet(client_id: str, will_topic: str, will: bytes) -> bytes:
    def text(value: bytes) -> bytes:
        return struct.pack(">H", len(value)) + value

    flags = 0x80 | 0x40 | 0x04 | 0x02 | (1 << 3)  # user, password, will (QoS 1), clean session
    body = text(b"MQTT") + bytes([4, flags]) + struct.pack(">H", 30) + text(client_id.encode())
    body += text(will_topic.encode()) + text(will) + text(USER.encode()) + text(PASSWORD.encode())
    return bytes([0x10, len(body)]) + body


def test_last_will_on_abnormal_disconnect_but_not_on_disconnect(lab):
    watcher = Client(lab)
    watcher.subscribe("devices/+/status", qos=1)
    with socket.create_connection(("127.0.0.1", lab.endpoints["mqtt"]), timeout=5) as sock:
        sock.sendall(_connect_packet("dev-1", "devices/dev-1/status", b"offline"))
        assert sock.recv(4) == b"\x20\x02\x00\x00"  # CONNACK, accepted
    # the socket closed without DISCONNECT: the broker publishes the will
    assert watcher.wait(1) == [("devices/dev-1/status", b"offline", 1, False)]
    polite = Client(lab, client_id="dev-2", will=("devices/dev-2/status", b"offline", 1))
    polite.close()
    time.sleep(0.3)
    assert len(watcher.wait(1)) == 1
    watcher.close()


def test_bad_credentials_protocol_and_malformed_packets(lab):
    port = lab.endpoints["mqtt"]
    bad = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    bad.username_pw_set(USER, "not-the-password")
    codes = []
    bad.on_connect = lambda c, u, f, reason, p: codes.append(reason)
    bad.connect("127.0.0.1", port)
    bad.loop_start()
    deadline = time.monotonic() + 5
    while not codes and time.monotonic() < deadline:
        time.sleep(0.02)
    bad.loop_stop()
    assert codes and codes[0] == "Bad user name or password"
    for data, answer in (
        (b"\x10\x0c\x00\x04MQTT\x05\x02\x00\x1e\x00\x00", b"\x20\x02\x00\x01"),  # MQTT 5: refused
        (b"\xf0\x00", b""),  # reserved packet type: closed
        (b"\x10\xff\xff\xff\xff\x01", b""),  # remaining length too long: closed
    ):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(data)
            assert sock.recv(16) == answer
    healthy = Client(lab)
    healthy.close()


def test_keep_alive_closes_a_silent_client_and_publishes_its_will(lab):
    watcher = Client(lab)
    watcher.subscribe("devices/+/status", qos=1)
    packet = bytearray(_connect_packet("dev-3", "devices/dev-3/status", b"gone"))
    at = packet.index(b"MQTT") + 6  # protocol name, level, flags: then the keep-alive
    packet[at : at + 2] = (1).to_bytes(2, "big")
    with socket.create_connection(("127.0.0.1", lab.endpoints["mqtt"]), timeout=5) as sock:
        sock.sendall(bytes(packet))
        assert sock.recv(4) == b"\x20\x02\x00\x00"
        started = time.monotonic()
        assert sock.recv(16) == b""  # closed after 1.5 × 1 s of silence
        assert 1.0 < time.monotonic() - started < 4
    assert watcher.wait(1) == [("devices/dev-3/status", b"gone", 1, False)]
    watcher.close()
