"""ActiveMQ configurations (activemq.xml): Amazon MQ's sanitizing, and the redelivery policy and
dead-letter strategies a broker applies from its revision (on creation and on reboot)."""

from __future__ import annotations

import base64

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

NS = "http://activemq.apache.org/schema/core"
REDELIVERY = """
  <plugins>
    <redeliveryPlugin fallbackToDeadLetter="true" sendToDlqIfMaxRetriesExceeded="true">
      <redeliveryPolicyMap>
        <redeliveryPolicyMap>
          <redeliveryPolicyEntries>
            <redeliveryPolicy queue="slow.>" maximumRedeliveries="3" initialRedeliveryDelay="2000"
              redeliveryDelay="2000" useExponentialBackOff="true" backOffMultiplier="3"
              maximumRedeliveryDelay="10000"/>
          </redeliveryPolicyEntries>
          <defaultEntry>
            <redeliveryPolicy maximumRedeliveries="1" initialRedeliveryDelay="500"/>
          </defaultEntry>
        </redeliveryPolicyMap>
      </redeliveryPolicyMap>
    </redeliveryPlugin>
  </plugins>"""
INDIVIDUAL = """
  <destinationPolicy>
    <policyMap>
      <policyEntries>
        <policyEntry queue="&gt;">
          <deadLetterStrategy>
            <individualDeadLetterStrategy queuePrefix="DLQ." useQueueForQueueMessages="true"
              processExpired="false" processNonPersistent="true"/>
          </deadLetterStrategy>
        </policyEntry>
        <policyEntry queue="audit">
          <deadLetterStrategy>
            <individualDeadLetterStrategy queuePrefix="DLQ." useQueueForQueueMessages="false"/>
          </deadLetterStrategy>
        </policyEntry>
        <policyEntry queue="legacy.*">
          <deadLetterStrategy>
            <sharedDeadLetterStrategy>
              <deadLetterQueue><queue physicalName="LEGACY.DLQ"/></deadLetterQueue>
            </sharedDeadLetterStrategy>
          </deadLetterStrategy>
        </policyEntry>
      </policyEntries>
    </policyMap>
  </destinationPolicy>"""


def xml(*parts: str, extra: str = "") -> str:
    return f'<?xml version="1.0"?>\n<broker xmlns="{NS}" {extra}>{"".join(parts)}\n</broker>\n'


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def configuration(eng, text: str) -> tuple[str, dict]:
    mq = eng.client("mq")
    created = await mq.create_configuration(Name="amq-config", EngineType="ACTIVEMQ")
    updated = await mq.update_configuration(ConfigurationId=created["Id"], Data=b64(text))
    return created["Id"], updated


async def broker_with(eng, clock, text: str | None):
    mq = eng.client("mq")
    extra = {}
    if text is not None:
        config_id, _ = await configuration(eng, text)
        extra["Configuration"] = {"Id": config_id, "Revision": 2}
    created = await mq.create_broker(
        BrokerName="amq",
        EngineType="ACTIVEMQ",
        HostInstanceType="mq.m5.large",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Users=[{"Username": "admin", "Password": "lab-password-1"}],
        **extra,
    )
    await clock.advance(5)
    return eng.service("mq").activemq(created["BrokerId"])


async def test_update_sanitizes_as_amazon_mq_does_and_warns(eng):
    text = xml(
        REDELIVERY.replace('maximumRedeliveries="1"', 'maximumRedeliveries="lots" colour="red"'),
        "<transportConnectors><transportConnector name='openwire'/></transportConnectors>",
        extra='persistent="true" useJmx="true"',
    )
    config_id, updated = await configuration(eng, text)
    assert sorted(updated["Warnings"], key=str) == sorted(
        [
            {
                "AttributeName": "useJmx",
                "ElementName": "broker",
                "Reason": "DISALLOWED_ATTRIBUTE_REMOVED",
            },
            {
                "AttributeName": "maximumRedeliveries",
                "ElementName": "redeliveryPolicy",
                "Reason": "INVALID_ATTRIBUTE_VALUE_REMOVED",
            },
            {
                "AttributeName": "colour",
                "ElementName": "redeliveryPolicy",
                "Reason": "DISALLOWED_ATTRIBUTE_REMOVED",
            },
            {"ElementName": "transportConnectors", "Reason": "DISALLOWED_ELEMENT_REMOVED"},
        ],
        key=str,
    )
    revision = await eng.client("mq").describe_configuration_revision(
        ConfigurationId=config_id, ConfigurationRevision="2"
    )
    kept = base64.b64decode(revision["Data"]).decode()
    assert "transportConnector" not in kept and "useJmx" not in kept and "colour" not in kept
    assert 'persistent="true"' in kept and "redeliveryPlugin" in kept


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<broker", "not well-formed"),
        (f'<beans xmlns="{NS}"/>', "root element must be <broker>"),
        (
            '<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaa">]><broker>&a;</broker>',
            "not well-formed",
        ),
    ],
)
async def test_bad_xml_is_refused_with_one_line(eng, text, fragment):
    mq = eng.client("mq")
    created = await mq.create_configuration(Name="bad", EngineType="ACTIVEMQ")
    with pytest.raises(ServiceError) as refused:
        await mq.update_configuration(ConfigurationId=created["Id"], Data=b64(text))
    assert refused.value.code == "BadRequestException"
    assert fragment in refused.value.message and "\n" not in refused.value.message
    listed = await mq.list_configuration_revisions(ConfigurationId=created["Id"])
    assert len(listed["Revisions"]) == 1  # nothing half-applied


async def test_default_policy_six_redeliveries_one_second_apart(eng, clock):
    broker = await broker_with(eng, clock, None)
    sub = broker.lab.subscribe("jobs", ack_mode="client")
    broker.send("jobs", b"poison")
    times = []
    for _ in range(7):
        broker.lab.nack(sub.id)
        start = clock.now()
        await clock.advance(0.999)
        assert broker.lab.unacked(sub.id) == []  # still waiting out the delay
        await clock.advance(0.001)
        if broker.lab.unacked(sub.id):
            times.append(clock.now() - start)
    assert times == [1.0] * 6
    (dead,) = broker.core.queues["ActiveMQ.DLQ"].browse()
    assert "maximumRedeliveries = 6" in dead.properties["dlqDeliveryFailureCause"]


async def test_redelivery_plugin_backs_off_exponentially_up_to_its_cap(eng, clock):
    broker = await broker_with(eng, clock, xml(REDELIVERY))
    recorder = eng.trace.record()
    sub = broker.lab.subscribe("slow.jobs", ack_mode="client-individual")
    broker.send("slow.jobs", b"poison")
    for _ in range(4):
        broker.lab.nack(sub.id)
        await clock.advance(20)
    delays = [e.detail["delay_ms"] for e in recorder.events if e.kind == "redelivered"]
    assert delays == [2000, 6000, 10000]  # 2 s, ×3, then capped at maximumRedeliveryDelay
    assert [m.body for m in broker.core.queues["ActiveMQ.DLQ"].browse()] == [b"poison"]
    other = broker.lab.subscribe("fast", ack_mode="client")  # the default entry: 1 redelivery
    broker.send("fast", b"x")
    broker.lab.nack(other.id)
    await clock.advance(0.5)
    broker.lab.nack(other.id)
    assert len(broker.core.queues["ActiveMQ.DLQ"].browse()) == 2


async def test_individual_and_shared_dead_letter_strategies(eng, clock):
    broker = await broker_with(eng, clock, xml(INDIVIDUAL))
    core = broker.core
    for destination in ("orders", "audit", "legacy.billing"):
        sub = broker.lab.subscribe(destination, ack_mode="client")
        broker.send(destination, destination.encode())
        broker.send(destination, b"fleeting", persistent=False)
        for _ in range(7):
            broker.lab.nack(sub.id)
            await clock.advance(1)
    assert [m.body for m in core.queues["DLQ.orders"].browse()] == [b"orders", b"fleeting"]
    assert "DLQ.audit" in core.topics and "DLQ.audit" not in core.queues  # a DLQ topic
    assert [m.body for m in core.queues["LEGACY.DLQ"].browse()] == [b"legacy.billing"]
    assert "ActiveMQ.DLQ" not in core.queues
    broker.send("orders", b"stale", ttl_ms=1000)
    await clock.advance(2)
    broker.lab.subscribe("orders")  # dispatch finds it expired: processExpired=false drops it
    assert [m.body for m in core.queues["DLQ.orders"].browse()] == [b"orders", b"fleeting"]


async def test_a_new_revision_applies_on_reboot_only(eng, clock):
    broker = await broker_with(eng, clock, None)
    mq = eng.client("mq")
    config_id, _ = await configuration(eng, xml(INDIVIDUAL))
    broker_id = broker.arn.rsplit(":", 1)[-1]
    await mq.update_broker(BrokerId=broker_id, Configuration={"Id": config_id, "Revision": 2})
    described = await mq.describe_broker(BrokerId=broker_id)
    assert described["Configurations"]["Pending"] == {"Id": config_id, "Revision": 2}
    sub = broker.lab.subscribe("orders", ack_mode="client")
    broker.send("orders", b"before")
    for _ in range(7):
        broker.lab.nack(sub.id)
        await clock.advance(1)
    assert "DLQ.orders" not in broker.core.queues  # not yet: the shared ActiveMQ.DLQ
    broker.lab.unsubscribe(sub.id)
    await mq.reboot_broker(BrokerId=broker_id)
    await clock.advance(10)
    sub = broker.lab.subscribe("orders", ack_mode="client")
    broker.send("orders", b"after")
    for _ in range(7):
        broker.lab.nack(sub.id)
        await clock.advance(1)
    assert [m.body for m in broker.core.queues["DLQ.orders"].browse()] == [b"after"]
    current = (await mq.describe_broker(BrokerId=broker_id))["Configurations"]["Current"]
    assert current == {"Id": config_id, "Revision": 2}


async def test_a_dead_letter_that_fails_again_is_discarded_not_dead_lettered_twice(eng, clock):
    broker = await broker_with(eng, clock, xml(INDIVIDUAL))
    sub = broker.lab.subscribe("orders", ack_mode="client")
    broker.send("orders", b"poison")
    for _ in range(7):
        broker.lab.nack(sub.id)
        await clock.advance(1)
    dlq = broker.lab.subscribe("DLQ.orders", ack_mode="client")
    for _ in range(7):
        broker.lab.nack(dlq.id)
        await clock.advance(1)
    assert "DLQ.DLQ.orders" not in broker.core.queues
    assert broker.core.queues["DLQ.orders"].stats()["depth"] == 0
