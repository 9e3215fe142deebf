"""Lambda event source mappings from Amazon MSK and self-managed Kafka topics.

Implements the `EventSourcePoller` interface. A self-managed source (SelfManagedEventSource)
must name a broker of the lab by its loopback address: the lab reaches nothing else.

As Lambda does for MSK: the mapping reads one topic as a consumer group (ConsumerGroupId, or the
mapping's UUID), batches records across partitions until BatchSize, 6 MB or the batching window
(500 ms by default for Kafka sources) is reached, invokes the function with AWS's event shape
(`eventSource: aws:kafka`, `records` keyed `topic-partition`, base64 keys and values, headers as
arrays of byte values), and commits the group's offsets after a successful invocation. A failed
batch is retried (after a second) until it succeeds, as Lambda retries Kafka batches until the
records expire. The poller commits as a standalone consumer: the group shows offsets and lag
but no members.
"""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING, Any, ClassVar

from engine.services.awslambda.esm import EventSourceMapping, EventSourcePoller, validation

from .reader import TopicReader

if TYPE_CHECKING:
    from engine.services.awslambda.service import LambdaService

    from .log import Record
    from .state import ClusterState

#: Lambda's default batching window for Kafka sources.
DEFAULT_WINDOW = 0.5
RETRY_PAUSE = 1.0
MAX_PAYLOAD = 6 * 1024 * 1024
_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")


def kafka_event(
    cluster: ClusterState, records: list[tuple[str, int, Record]], self_managed: bool = False
) -> dict[str, Any]:
    """The event Lambda sends for a batch of Kafka records."""
    grouped: dict[str, list[dict]] = {}
    for topic, partition, record in records:
        grouped.setdefault(f"{topic}-{partition}", []).append(
            {
                "topic": topic,
                "partition": partition,
                "offset": record.offset,
                "timestamp": record.timestamp,
                "timestampType": "LOG_APPEND_TIME" if record.timestamp_type else "CREATE_TIME",
                **(
                    {"key": base64.b64encode(record.key).decode()} if record.key is not None else {}
                ),
                "value": base64.b64encode(record.value or b"").decode(),
                "headers": [{k: list(v or b"")} for k, v in record.headers],
            }
        )
    event: dict[str, Any] = {
        "eventSource": "SelfManagedKafka" if self_managed else "aws:kafka",
        "bootstrapServers": cluster.bootstrap(),
        "records": grouped,
    }
    if not self_managed:
        event["eventSourceArn"] = cluster.arn
    return event


def self_managed_source(service: LambdaService, params: dict) -> str:
    """The lab cluster whose listener is one of SelfManagedEventSource's bootstrap servers."""
    endpoints = (params["SelfManagedEventSource"].get("Endpoints") or {}).get(
        "KAFKA_BOOTSTRAP_SERVERS"
    ) or []
    kafka: Any = service.engine.service("kafka")
    for cluster in kafka.clusters.values():
        if cluster.listener is not None and cluster.listener.address in endpoints:
            return cluster.arn
    raise validation(
        "SelfManagedEventSource.Endpoints.KAFKA_BOOTSTRAP_SERVERS names no Kafka broker of the "
        f"lab (the lab talks only to its own loopback brokers): {', '.join(endpoints) or 'none'}"
    )


class KafkaPoller(EventSourcePoller):
    """Reads one MSK topic for one mapping and invokes its function in batches."""

    default_batch_size: ClassVar[int] = 100
    max_batch_size: ClassVar[int] = 10_000

    def __init__(self, service: LambdaService, mapping: EventSourceMapping) -> None:
        super().__init__(service, mapping)
        self.kafka: Any = service.engine.service("kafka")
        self.task: asyncio.Task | None = None
        self.reader: TopicReader | None = None

    # -- the EventSourcePoller interface ------------------------------------------------------
    @classmethod
    def validate(cls, service: LambdaService, params: dict, function_timeout: int) -> dict:
        """The cluster exists, one topic, a starting position; returns the mapping's settings."""
        kafka: Any = service.engine.service("kafka")
        source = params["EventSourceArn"]
        if kafka.cluster_for_arn(source) is None:
            raise validation(f"Cannot access cluster {source}: it does not exist.")
        topics = params.get("Topics") or []
        if len(topics) != 1:
            raise validation(
                "Topics must contain exactly one topic for an Amazon MSK event source."
            )
        start = params.get("StartingPosition")
        if start not in _POSITIONS:
            raise validation(
                "StartingPosition must be one of TRIM_HORIZON, LATEST or AT_TIMESTAMP for an "
                "Amazon MSK event source."
            )
        if start == "AT_TIMESTAMP" and "StartingPositionTimestamp" not in params:
            raise validation("StartingPositionTimestamp is required for AT_TIMESTAMP.")
        if params.get("MaximumBatchingWindowInSeconds", 0) > 300:
            raise validation("MaximumBatchingWindowInSeconds must be between 0 and 300.")
        self_managed = "SelfManagedEventSource" in params
        config = (
            params.get("SelfManagedKafkaEventSourceConfig")
            if self_managed
            else params.get("AmazonManagedKafkaEventSourceConfig")
        ) or {}
        settings: dict[str, Any] = {
            "StartingPosition": start,
            "Topics": list(topics),
            "ConsumerGroupId": config.get("ConsumerGroupId"),
        }
        if self_managed:
            settings["SelfManaged"] = True
            settings["SelfManagedEventSource"] = params["SelfManagedEventSource"]
        if "StartingPositionTimestamp" in params:
            stamp = params["StartingPositionTimestamp"]
            settings["StartingPositionTimestamp"] = (
                stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp)
            )
        return settings

    @classmethod
    def describe(cls, mapping: EventSourceMapping) -> dict:
        """StartingPosition, Topics and the consumer group id."""
        params = mapping.params
        out: dict[str, Any] = {
            "StartingPosition": params["StartingPosition"],
            "Topics": list(params["Topics"]),
        }
        group = {"ConsumerGroupId": cls.group_id(mapping)}
        if params.get("SelfManaged"):
            out["SelfManagedEventSource"] = params["SelfManagedEventSource"]
            out["SelfManagedKafkaEventSourceConfig"] = group
        else:
            out["AmazonManagedKafkaEventSourceConfig"] = group
        return out

    @staticmethod
    def group_id(mapping: EventSourceMapping) -> str:
        """The consumer group Lambda uses: ConsumerGroupId, or the mapping's UUID."""
        return mapping.params.get("ConsumerGroupId") or mapping.uuid

    def start(self) -> None:
        """Begin polling the topic."""
        if self.task is not None:
            return
        cluster = self.kafka.cluster_for_arn(self.mapping.source_arn)
        if cluster is None:
            return
        params = self.mapping.params
        self.reader = TopicReader(
            self.kafka,
            cluster,
            params["Topics"][0],
            self.group_id(self.mapping),
            params["StartingPosition"],
            params.get("StartingPositionTimestamp"),
        )
        self.task = self.service.engine.spawn(
            self._run(self.reader), name=f"lambda-esm:{self.mapping.uuid}"
        )

    async def stop(self) -> None:
        """Stop polling (committed offsets stay with the group)."""
        if self.reader is not None:
            self.reader.close()
            self.reader = None
        task, self.task = self.task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _run(self, reader: TopicReader) -> None:
        mapping = self.mapping
        window = mapping.batching_window or DEFAULT_WINDOW
        # base64 grows the payload by a third
        while not reader.cluster.closed:
            batch = await reader.fill(self.clock, mapping.batch_size, window, MAX_PAYLOAD * 3 // 4)
            if self.mapping.filters:
                kept = [item for item in batch if self.matches(_filterable(item))]
                self.mapping.filtered += len(batch) - len(kept)
            else:
                kept = batch
            if kept:
                event = kafka_event(reader.cluster, kept, bool(mapping.params.get("SelfManaged")))
                trace_id = self.service.ids.trace_id(self.clock.now())
                result = await self.invoke(event, trace_id=trace_id)
                if result.function_error:
                    await self.clock.sleep(RETRY_PAUSE)
                    continue
                self.mapping.records += len(kept)
            reader.commit(batch)


def _filterable(item: tuple[str, int, Record]) -> dict[str, Any]:
    """A record as Lambda's filter criteria see it (value decoded when it is JSON)."""
    import json

    topic, partition, record = item
    value: Any = base64.b64encode(record.value or b"").decode()
    try:
        value = json.loads(record.value or b"")
    except ValueError:
        pass
    return {"topic": topic, "partition": partition, "offset": record.offset, "value": value}
