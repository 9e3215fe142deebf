"""A cluster's data-plane state: simulated brokers, topics, partitions and their placement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .log import PartitionLog

#: Topic-level configs and Kafka's defaults (the broker's `log.*` / `*` server properties set
#: them cluster-wide; a topic may override each).
TOPIC_DEFAULTS: dict[str, str] = {
    "cleanup.policy": "delete",
    "retention.ms": "604800000",
    "retention.bytes": "-1",
    "delete.retention.ms": "86400000",
    "segment.bytes": "1073741824",
    "max.message.bytes": "1048588",
    "min.insync.replicas": "1",
    "message.timestamp.type": "CreateTime",
    "compression.type": "producer",
    "min.cleanable.dirty.ratio": "0.5",
}
#: Server property → the topic config it sets the default of.
SERVER_TO_TOPIC: dict[str, str] = {
    "log.cleanup.policy": "cleanup.policy",
    "log.retention.ms": "retention.ms",
    "log.retention.bytes": "retention.bytes",
    "log.cleaner.delete.retention.ms": "delete.retention.ms",
    "log.segment.bytes": "segment.bytes",
    "message.max.bytes": "max.message.bytes",
    "min.insync.replicas": "min.insync.replicas",
    "log.message.timestamp.type": "message.timestamp.type",
    "compression.type": "compression.type",
}
#: Broker-level settings the lab honours, with Kafka's defaults (MSK's for replication).
BROKER_DEFAULTS: dict[str, str] = {
    "num.partitions": "1",
    "default.replication.factor": "3",
    "auto.create.topics.enable": "false",
    "group.initial.rebalance.delay.ms": "3000",
    "group.min.session.timeout.ms": "6000",
    "group.max.session.timeout.ms": "1800000",
    "offsets.retention.minutes": "10080",
    "log.retention.check.interval.ms": "300000",
    "log.cleaner.backoff.ms": "15000",
    "delete.topic.enable": "true",
}


def server_properties(text: str) -> dict[str, str]:
    """Parse a Java properties text (`key=value` lines, `#` comments); ValueError if malformed."""
    props: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise ValueError(f"line {number} is not key=value: {raw!r}")
        props[key.strip()] = value.strip()
    return props


@dataclass(slots=True)
class Partition:
    """One partition: its log, replica placement and leadership."""

    topic: str
    index: int
    replicas: list[int]
    log: PartitionLog = field(default_factory=PartitionLog)
    leader: int = -1
    isr: list[int] = field(default_factory=list)
    leader_epoch: int = 0
    waiters: list[Callable[[], None]] = field(default_factory=list)
    produced_bytes: int = 0

    def wake(self) -> None:
        """Call every fetch waiting for data on this partition."""
        waiters, self.waiters = self.waiters, []
        for wake in waiters:
            wake()


@dataclass(slots=True)
class Topic:
    """A topic: its id, configs (overrides only) and partitions."""

    name: str
    topic_id: str  # 32 hex digits
    partitions: list[Partition]
    configs: dict[str, str] = field(default_factory=dict)
    internal: bool = False
    round_robin: int = 0  # the lab producer's next partition for unkeyed records


class ClusterData:
    """The simulated brokers of one cluster and everything they hold."""

    def __init__(self, broker_ids: list[int], defaults: dict[str, str]) -> None:
        self.broker_ids = list(broker_ids)
        self.down: set[int] = set()
        self.defaults = dict(defaults)  # server properties from the cluster's configuration
        self.topics: dict[str, Topic] = {}
        self.by_id: dict[str, Topic] = {}
        self.listeners: list[Callable[[Topic, Partition, int, int], None]] = []

    # -- configuration ------------------------------------------------------------------
    def broker_setting(self, name: str) -> str:
        """A broker-level setting: the configuration's value or Kafka's default."""
        return self.defaults.get(name, BROKER_DEFAULTS.get(name, ""))

    def topic_default(self, name: str) -> str:
        """A topic config's cluster-wide default (server properties over Kafka's default)."""
        for server, topic in SERVER_TO_TOPIC.items():
            if topic == name and server in self.defaults:
                return self.defaults[server]
        if name == "retention.ms" and "log.retention.hours" in self.defaults:
            return str(int(self.defaults["log.retention.hours"]) * 3600000)
        return TOPIC_DEFAULTS.get(name, "")

    def topic_config(self, topic: Topic, name: str) -> str:
        """A topic's effective config value."""
        value = topic.configs.get(name)
        return value if value is not None else self.topic_default(name)

    def int_config(self, topic: Topic, name: str) -> int:
        """A numeric topic config."""
        try:
            return int(self.topic_config(topic, name))
        except ValueError:
            return int(TOPIC_DEFAULTS[name])

    # -- placement ------------------------------------------------------------------------
    def place(self, topic: str, start: int, count: int, replication: int) -> list[Partition]:
        """New partitions with replicas spread round-robin over the brokers (as Kafka does)."""
        brokers = self.broker_ids
        out = []
        for index in range(start, start + count):
            replicas = [brokers[(index + i) % len(brokers)] for i in range(replication)]
            partition = Partition(topic, index, replicas)
            self.elect(partition)
            out.append(partition)
        return out

    def elect(self, partition: Partition) -> None:
        """Leader = first live replica; ISR = the live replicas (followers catch up at once)."""
        alive = [b for b in partition.replicas if b not in self.down]
        leader = alive[0] if alive else -1
        if leader != partition.leader:
            partition.leader = leader
            partition.leader_epoch += 1
        partition.isr = alive

    def set_down(self, broker: int, down: bool) -> None:
        """Fail or restore a simulated broker; leaders move and ISRs shrink or grow."""
        if down:
            self.down.add(broker)
        else:
            self.down.discard(broker)
        for topic in self.topics.values():
            for partition in topic.partitions:
                if broker in partition.replicas:
                    self.elect(partition)

    def under_replicated(self) -> list[Partition]:
        """Partitions whose ISR is smaller than their replica set."""
        return [
            p for t in self.topics.values() for p in t.partitions if len(p.isr) < len(p.replicas)
        ]

    def partition(self, topic: str, index: int) -> Partition | None:
        """One partition by topic name and index."""
        found = self.topics.get(topic)
        if found is None or not 0 <= index < len(found.partitions):
            return None
        return found.partitions[index]

    def notify(self, topic: Topic, partition: Partition, base: int, count: int) -> None:
        """Tell the lab's own readers (Lambda, Pipes, Firehose, console) records landed."""
        partition.wake()
        for listener in list(self.listeners):
            listener(topic, partition, base, count)

    def stats(self) -> dict[str, Any]:
        """Counters for the topology node."""
        partitions = [p for t in self.topics.values() for p in t.partitions]
        return {
            "topics": len(self.topics),
            "partitions": len(partitions),
            "records": sum(p.log.record_count for p in partitions),
            "under_replicated": len(self.under_replicated()),
            "brokers_down": len(self.down),
        }
