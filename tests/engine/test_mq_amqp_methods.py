"""More AMQP methods through pika: qos, cancel, recover, tx, confirms nack, flow, vhosts, users."""

from __future__ import annotations

import base64
import json
import urllib.request

import pika
import pytest
from pika.exceptions import (
    ChannelClosedByBroker,
    ConnectionClosedByBroker,
    NackError,
)

from .rabbit_lab import PASSWORD, USER, RabbitLab

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def lab():
    lab = RabbitLab().create_broker("methods")
    yield lab
    lab.close()


def connect(lab: RabbitLab, user=USER, password=PASSWORD, vhost="/") -> pika.BlockingConnection:
    return pika.BlockingConnection(
        pika.ConnectionParameters(
            "127.0.0.1",
            lab.port,
            virtual_host=vhost,
            credentials=pika.PlainCredentials(user, password),
        )
    )


def test_prefetch_limits_unacked_deliveries_and_recover_redelivers(lab):
    connection = connect(lab)
    channel = connection.channel()
    channel.queue_declare("m-prefetch")
    for n in range(5):
        channel.basic_publish("", "m-prefetch", str(n).encode())
    channel.basic_qos(prefetch_count=2)
    got = []
    channel.basic_consume("m-prefetch", lambda ch, method, props, body: got.append(method))
    connection.process_data_events(time_limit=0.3)
    assert len(got) == 2
    assert channel.queue_declare("m-prefetch", passive=True).method.message_count == 3
    channel.basic_recover(requeue=True)
    connection.process_data_events(time_limit=0.3)
    assert [m.redelivered for m in got[2:4]] == [True, True]
    channel.basic_ack(got[-1].delivery_tag, multiple=True)
    connection.process_data_events(time_limit=0.3)
    assert len(got) == 6  # two redelivered, then credit for two more of the remaining three
    connection.close()


def test_reject_publish_queue_nacks_the_confirm(lab):
    connection = connect(lab)
    channel = connection.channel()
    channel.confirm_delivery()
    channel.queue_declare("m-full", arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    channel.basic_publish("", "m-full", b"first")
    with pytest.raises(NackError):
        channel.basic_publish("", "m-full", b"second")
    connection.close()


def test_transactions_hold_publishes_until_commit(lab):
    connection = connect(lab)
    channel = connection.channel()
    channel.queue_declare("m-tx")
    channel.tx_select()
    channel.basic_publish("", "m-tx", b"rolled back")
    channel.tx_rollback()
    channel.basic_publish("", "m-tx", b"committed")
    assert channel.queue_declare("m-tx", passive=True).method.message_count == 0
    channel.tx_commit()
    assert channel.basic_get("m-tx", auto_ack=True)[2] == b"committed"
    assert channel.basic_get("m-tx", auto_ack=True)[0] is None
    connection.close()


def test_deleting_a_queue_cancels_its_consumers(lab):
    connection = connect(lab)
    channel = connection.channel()
    channel.queue_declare("m-doomed")
    cancelled = []
    channel.add_on_cancel_callback(lambda frame: cancelled.append(frame.method.consumer_tag))
    tag = channel.basic_consume("m-doomed", lambda *args: None)
    other = connection.channel()
    other.queue_delete("m-doomed")
    connection.process_data_events(time_limit=0.3)
    assert cancelled == [tag]
    connection.close()


@pytest.mark.parametrize(
    ("action", "code"),
    [
        (lambda ch: ch.basic_qos(prefetch_size=1024), 540),
        (lambda ch: ch.flow(False), 540),
        (lambda ch: ch.exchange_declare("amq.custom", "direct"), 403),
        (lambda ch: ch.queue_bind("nowhere", "amq.direct", "k"), 404),
        (lambda ch: ch.exchange_declare("bad!name", "direct"), 406),
    ],
)
def test_refused_methods_carry_rabbitmq_codes(lab, action, code):
    connection = connect(lab)
    channel = connection.channel()
    with pytest.raises((ChannelClosedByBroker, ConnectionClosedByBroker)) as caught:
        action(channel)
        channel.queue_declare("m-after")
    assert caught.value.reply_code == code
    if connection.is_open:
        connection.close()


def test_internal_exchange_refuses_publishes_and_e2e_bindings_route(lab):
    connection = connect(lab)
    channel = connection.channel()
    channel.exchange_declare("m-inner", "fanout", internal=True)
    channel.exchange_declare("m-outer", "direct")
    channel.exchange_bind("m-inner", "m-outer", routing_key="go")
    channel.queue_declare("m-end")
    channel.queue_bind("m-end", "m-inner")
    channel.basic_publish("m-outer", "go", b"through")
    assert channel.basic_get("m-end", auto_ack=True)[2] == b"through"
    with pytest.raises(ChannelClosedByBroker) as caught:
        channel.basic_publish("m-inner", "", b"direct")
        channel.queue_declare("m-end", passive=True)
    assert caught.value.reply_code == 403
    connection.close()


def test_users_and_vhosts_through_the_management_api(lab):
    base = f"http://127.0.0.1:{lab.console_port}"
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def put(path: str, body: dict | None = None) -> int:
        request = urllib.request.Request(
            base + path,
            data=json.dumps(body or {}).encode(),
            method="PUT",
            headers={"Authorization": f"Basic {token}", "content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status

    assert put("/api/vhosts/orders") == 201
    assert put("/api/users/worker", {"password": "worker-password-1", "tags": ""}) == 201
    connection = connect(lab, "worker", "worker-password-1", vhost="orders")
    connection.channel().queue_declare("m-in-orders")
    connection.close()
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        connect(lab, vhost="missing")


@pytest.fixture
def own_lab():
    lab = RabbitLab().create_broker("timeouts")
    yield lab
    lab.close()


def test_consumer_timeout_from_the_configuration_closes_the_channel(own_lab, caplog):
    import base64 as b64

    lab = own_lab
    mq = lab.engine.client("mq")
    made = lab.call(mq.create_configuration(Name="quick-timeout", EngineType="RABBITMQ"))
    data = b64.b64encode(b"consumer_timeout = 200\n").decode()
    revision = lab.call(mq.update_configuration(ConfigurationId=made["Id"], Data=data))
    lab.call(
        mq.update_broker(
            BrokerId=lab.broker_id,
            Configuration={"Id": made["Id"], "Revision": revision["LatestRevision"]["Revision"]},
        )
    )
    lab.call(mq.reboot_broker(BrokerId=lab.broker_id))
    import time

    for _ in range(200):
        if lab.call(mq.describe_broker(BrokerId=lab.broker_id))["BrokerState"] == "RUNNING":
            break
        time.sleep(0.01)
    connection = connect(lab)
    channel = connection.channel()
    channel.queue_declare("m-slow")
    channel.basic_publish("", "m-slow", b"held too long")
    method, _, _ = channel.basic_get("m-slow")
    connection.process_data_events(time_limit=0.5)
    assert channel.is_closed
    assert "(406): 'PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out" in (
        caplog.text
    )
    again = connection.channel()
    assert again.queue_declare("m-slow", passive=True).method.message_count == 1
    connection.close()
