"""One MSK cluster as the control plane sees it, with its brokers' data, groups and listener."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.clock import Timer
from engine.listeners import Listener

from .cluster import ClusterData
from .groups import GroupCoordinator
from .transactions import TransactionCoordinator

if TYPE_CHECKING:
    from .cluster import Partition, Topic
    from .protocol import BrokerServer, Connection
    from .service import KafkaService


@dataclass(slots=True)
class Operation:
    """A cluster operation (CreateCluster, UpdateBrokerCount …) and its progress."""

    arn: str
    cluster_arn: str
    kind: str
    state: str
    started: float
    ended: float | None = None
    source: dict[str, Any] = field(default_factory=dict)
    target: dict[str, Any] = field(default_factory=dict)


class ClusterState:
    """An MSK cluster: AWS attributes, simulated brokers, group coordinator and listener."""

    def __init__(
        self,
        service: KafkaService,
        name: str,
        arn: str,
        uid: str,
        cluster_type: str,
        broker_count: int,
        request: dict[str, Any],
        defaults: dict[str, str],
    ) -> None:
        self.service = service
        self.name = name
        self.arn = arn
        self.uid = uid
        self.cluster_type = cluster_type  # PROVISIONED or SERVERLESS
        self.request = request  # the Create request, as given (copied)
        self.state = "CREATING"
        self.created = service.clock.now()
        self.current_version = "K" + service.ids.hex(12).upper()
        self.tags: dict[str, str] = dict(request.get("Tags") or {})
        self.policy: str | None = None
        self.scram_secrets: list[str] = []
        self.policy_version = 0
        self.configuration: dict[str, Any] | None = None  # {"Arn", "Revision"}
        self.operations: list[Operation] = []
        self.active_operation: Operation | None = None
        self.kafka_cluster_id = service.ids.token(22)
        self.data = ClusterData(list(range(1, broker_count + 1)), defaults)
        self.groups = GroupCoordinator(
            service.clock,
            lambda: service.ids.uuid(),
            self.group_arn,
            service.emit,
            self.data.broker_setting,
        )
        self.transactions = TransactionCoordinator(self)
        self.listener: Listener | None = None
        self.server: BrokerServer | None = None
        self.timers: list[Timer] = []
        self.closed = False
        self._next_producer = 1000 * (1 + len(service.clusters))
        self.produced = 0
        self.fetched = 0

    @property
    def broker_count(self) -> int:
        """Simulated broker nodes."""
        return len(self.data.broker_ids)

    def address(self) -> tuple[str, int]:
        """The loopback host and port clients connect to."""
        if self.listener is None:
            return "127.0.0.1", 0
        return self.listener.host, self.listener.port

    def bootstrap(self) -> str:
        """The bootstrap broker string (every broker answers on the cluster's listener)."""
        host, port = self.address()
        return ",".join(f"{host}:{port}" for _ in range(min(self.broker_count, 1)))

    def topic_arn(self, topic: str) -> str:
        """The topic's ARN (as MSK's IAM access control names it)."""
        return self.arn.replace(":cluster/", ":topic/", 1) + f"/{topic}"

    def group_arn(self, group: str) -> str:
        """The consumer group's ARN."""
        return self.arn.replace(":cluster/", ":group/", 1) + f"/{group}"

    def new_producer_id(self) -> tuple[int, int]:
        """InitProducerId for an idempotent producer: a fresh id, epoch 0."""
        self._next_producer += 1
        return self._next_producer, 0

    # -- trace ----------------------------------------------------------------------------
    def traced_produce(
        self,
        topic: Topic,
        partition: Partition,
        base: int,
        count: int,
        conn: Connection | None,
        key: bytes | None = None,
    ) -> None:
        """Count and trace records a client produced."""
        self.produced += count
        service = self.service
        if service.trace.enabled and count:
            service.emit(
                "produced",
                self.topic_arn(topic.name),
                message_id=f"{topic.name}-{partition.index}@{base}",
                partition=partition.index,
                offset=base,
                records=count,
                key=key.decode("utf-8", "replace")[:64] if key is not None else None,
            )

    def traced_fetch(
        self, fetched: list[tuple[str, Partition, int, int]], conn: Connection
    ) -> None:
        """Trace what a client fetched."""
        service = self.service
        self.fetched += len(fetched)
        if service.trace.enabled:
            for name, partition, offset, size in fetched[:16]:
                service.emit(
                    "fetched",
                    self.topic_arn(name),
                    partition=partition.index,
                    offset=offset,
                    bytes=size,
                )

    # -- lifecycle ----------------------------------------------------------------------------
    async def close(self) -> None:
        """Stop the listener, timers and groups; wake every waiting fetch."""
        self.closed = True
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
        self.groups.close()
        self.transactions.close()
        for topic in self.data.topics.values():
            for partition in topic.partitions:
                partition.wake()
        if self.listener is not None:
            listener, self.listener = self.listener, None
            await listener.close()
