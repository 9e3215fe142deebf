"""Amazon MSK: the control plane, and a Kafka broker per cluster on a loopback listener.

Internal API (Lambda event source mappings, Pipes, Firehose, the console and the app):

- `cluster_for_arn(arn) -> ClusterState | None`; `resolve(name_or_arn)` (NotFoundException).
- `produce(cluster, topic, records, partition=None) -> [(partition, offset)]`: the lab's own
  producer (murmur2 for keys, round robin otherwise); `records` are (key, value, headers).
- `read(cluster, topic, partition, offset, limit) -> [Record]`: decoded records from an offset.
- `on_records(cluster, callback) -> cancel`: `callback(topic, partition, base, count)` after
  records land.
- `group_lag(cluster, group) -> [(topic, partition, committed, end, lag)]`.
- `set_broker_down(cluster, broker, down)`: fail or restore a simulated broker (chaos).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import ServiceError
from engine.model import operations
from engine.service import Envelope, Service, delegate_operations
from engine.topology import Edge, Node

from .cluster import Partition, Topic
from .control import ControlPlane
from .log import Record
from .protocol import BrokerServer
from .saving import dump_kafka, load_kafka
from .state import ClusterState
from .topics import TopicError, Topics
from .updates import SETTING_UPDATES, ClusterUpdates


class KafkaService(Service):
    """Amazon MSK: clusters, configurations and a Kafka-protocol broker per cluster."""

    name = "kafka"
    validation_error_code = "BadRequestException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.clusters: dict[str, ClusterState] = {}
        self.topics = Topics(self)
        self.control = ControlPlane(self)
        self.updates = ClusterUpdates(self.control)

    # -- lifecycle -----------------------------------------------------------------------
    async def open_listener(self, cluster: ClusterState) -> None:
        """Start the cluster's broker: a loopback listener and its housekeeping timer."""
        server = BrokerServer(self, cluster)
        cluster.server = server
        cluster.listener = await self.engine.listeners.open(cluster.arn, server.serve)
        self._schedule_cleaning(cluster)
        self.emit("listening", cluster.arn, address=cluster.listener.address)

    def _schedule_cleaning(self, cluster: ClusterState) -> None:
        interval = int(cluster.data.broker_setting("log.cleaner.backoff.ms")) / 1000

        def tick() -> None:
            if cluster.closed:
                return
            removed = self.topics.clean(cluster.data)
            if removed:
                self.emit("cleaned", cluster.arn, records=removed)
            cluster.timers[:] = [t for t in cluster.timers if not t.cancelled]
            cluster.timers.append(self.clock.call_later(interval, tick))

        cluster.timers.append(self.clock.call_later(interval, tick))

    async def remove_cluster(self, cluster: ClusterState) -> None:
        """Delete a cluster: close its listener, cancel its timers, drop its data."""
        await cluster.close()
        self.clusters.pop(cluster.arn, None)
        self.emit("deleted", cluster.arn)

    async def close(self) -> None:
        """Stop every cluster's broker."""
        for cluster in list(self.clusters.values()):
            await cluster.close()

    # -- internal API --------------------------------------------------------------------------
    def cluster_for_arn(self, arn: str) -> ClusterState | None:
        """The cluster with this ARN, or None."""
        return self.clusters.get(arn)

    def resolve(self, name_or_arn: str) -> ClusterState:
        """A cluster by ARN or name (NotFoundException)."""
        return self.control.cluster(name_or_arn)

    def groups_of(self, data: Any) -> Any:
        """The group coordinator of the cluster holding `data`."""
        for cluster in self.clusters.values():
            if cluster.data is data:
                return cluster.groups
        raise KeyError("unknown cluster data")

    def topic(self, cluster: ClusterState, name: str) -> Topic:
        """A topic of a cluster (ServiceError naming it when missing)."""
        topic = cluster.data.topics.get(name)
        if topic is None:
            raise ServiceError(
                "UnknownTopicOrPartitionException",
                f"Topic {name} does not exist in cluster {cluster.name}.",
                404,
            )
        return topic

    def produce(
        self,
        cluster: ClusterState,
        topic_name: str,
        records: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]],
        partition: int | None = None,
        trace_id: str | None = None,
    ) -> list[tuple[int, int]]:
        """The lab's own producer; (partition, offset) per record."""
        topic = self.topic(cluster, topic_name)
        try:
            placed = self.topics.produce_records(cluster.data, topic, records, partition)
        except TopicError as error:
            raise ServiceError("KafkaRequestException", error.message) from None
        keys = {key for key, _, _ in records}
        key = next(iter(keys)) if len(keys) == 1 else None
        for index in sorted({p for p, _ in placed}):
            offsets = [o for p, o in placed if p == index]
            cluster.traced_produce(
                topic, topic.partitions[index], offsets[0], len(offsets), None, key
            )
        return placed

    def read(
        self, cluster: ClusterState, topic_name: str, partition: int, offset: int, limit: int
    ) -> list[Record]:
        """Decoded records from `offset` on one partition."""
        topic = self.topic(cluster, topic_name)
        if not 0 <= partition < len(topic.partitions):
            raise ServiceError(
                "UnknownTopicOrPartitionException", f"No partition {partition}.", 404
            )
        return self.topics.read_records(topic.partitions[partition], offset, limit)

    def on_records(
        self, cluster: ClusterState, callback: Callable[[Topic, Partition, int, int], None]
    ) -> Callable[[], None]:
        """Call `callback(topic, partition, base, count)` whenever records land."""
        cluster.data.listeners.append(callback)

        def cancel() -> None:
            if callback in cluster.data.listeners:
                cluster.data.listeners.remove(callback)

        return cancel

    def group_lag(
        self, cluster: ClusterState, group_id: str
    ) -> list[tuple[str, int, int, int, int]]:
        """(topic, partition, committed, end offset, lag) for every partition the group committed."""
        group = cluster.groups.group(group_id)
        if group is None:
            raise ServiceError(
                "NotFoundException", f"Consumer group {group_id} does not exist.", 404
            )
        rows = []
        ends = {}
        topics = sorted({t for t, _ in group.offsets})
        for name in topics:
            topic = cluster.data.topics.get(name)
            if topic is None:
                continue
            for partition in topic.partitions:
                committed = group.offsets.get((name, partition.index))
                end = partition.log.end_offset
                ends[(name, partition.index)] = end
                position = committed.offset if committed is not None else -1
                lag = (
                    end - max(position, partition.log.log_start_offset)
                    if position >= 0
                    else end - partition.log.log_start_offset
                )
                rows.append((name, partition.index, position, end, lag))
        cluster.groups.sample_lag(group, ends)
        return rows

    def set_broker_down(self, cluster: ClusterState, broker: int, down: bool) -> list[Partition]:
        """Fail (or restore) a simulated broker; the under-replicated partitions after."""
        if broker not in cluster.data.broker_ids:
            raise ServiceError(
                "BadRequestException", f"Broker {broker} doesn't exist in {cluster.name}."
            )
        cluster.data.set_down(broker, down)
        under = cluster.data.under_replicated()
        self.emit(
            "broker-down" if down else "broker-up",
            cluster.arn,
            broker=broker,
            under_replicated=len(under),
        )
        return under

    # -- save and open ---------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """Configurations, clusters, topics with their records and group offsets."""
        if not self.clusters and not self.control.configurations:
            return None
        return dump_kafka(self)

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` produced; each cluster's broker listens again (a new port)."""
        load_kafka(self, data)

    # -- the fabric ------------------------------------------------------------------------------
    def owns(self, arn: str) -> bool:
        """Whether a cluster with this ARN exists."""
        return arn in self.clusters

    async def deliver(self, target_arn: str, envelope: Envelope) -> Any:
        """Not a delivery target on AWS (Pipes and Lambda write to Kafka through code)."""
        raise ServiceError(
            "InvalidParameter", f"MSK clusters cannot be a delivery target: {target_arn}"
        )

    # -- views -------------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        """Clusters, their topics and consumer groups; groups read from topics."""
        nodes: list[Node] = []
        edges: list[Edge] = []
        for cluster in self.clusters.values():
            stats = cluster.data.stats()
            stats["active"] = 1 if cluster.state == "ACTIVE" else 0
            stats["connections"] = cluster.listener.connection_count if cluster.listener else 0
            nodes.append(Node(cluster.arn, "cluster", cluster.name, self.name, stats))
            for topic in cluster.data.topics.values():
                arn = cluster.topic_arn(topic.name)
                nodes.append(
                    Node(
                        arn,
                        "kafka-topic",
                        topic.name,
                        self.name,
                        {
                            "partitions": len(topic.partitions),
                            "records": sum(p.log.record_count for p in topic.partitions),
                            "end_offset": sum(p.log.end_offset for p in topic.partitions),
                            "under_replicated": sum(
                                1 for p in topic.partitions if len(p.isr) < len(p.replicas)
                            ),
                        },
                        parent=cluster.arn,
                    )
                )
            for group in cluster.groups.groups.values():
                nodes.append(
                    Node(
                        group.arn,
                        "consumer-group",
                        group.group_id,
                        self.name,
                        {
                            "members": len(group.members),
                            "generation": group.generation,
                            "rebalances": group.rebalances,
                            "commits": group.commits,
                        },
                        parent=cluster.arn,
                    )
                )
                for name in sorted({t for t, _ in group.offsets}):
                    if name in cluster.data.topics:
                        edges.append(Edge(cluster.topic_arn(name), group.arn, "consumer-group"))
        return nodes, edges


# Each MSK operation is a method of the service that hands the call to the object implementing it.
_UPDATES = set(SETTING_UPDATES) | {n for n in vars(ClusterUpdates) if not n.startswith("_")}
delegate_operations(KafkaService, {"control": ControlPlane})
delegate_operations(
    KafkaService,
    {"updates": ClusterUpdates},
    [n for n in operations(KafkaService.name) if n in _UPDATES],
)
