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


def _endpoints(params: dict) -> list[str]:
    source = params.get("SelfManagedEventSource") or {}
    return list((source.get("Endpoints") or {}).get("KAFKA_BOOTSTRAP_SERVERS") or [])


def self_managed_source(service: LambdaService, params: dict) -> str:
    """The source ARN for a self-managed Kafka mapping.

    The lab cluster whose listener is one of the bootstrap servers; for any other address (the
    lab reaches nothing beyond its own loopback brokers) a placeholder ARN: the mapping is
    created, as on AWS, and reports a connection problem instead of reading.
    """
    if not params.get("SourceAccessConfigurations"):
        raise validation("Required 'sourceAccessConfigurations' parameter is missing.")
    endpoints = _endpoints(params)
    kafka: Any = service.engine.service("kafka")
    for cluster in kafka.clusters.values():
        if cluster.listener is not None and cluster.listener.address in endpoints:
            return cluster.arn
    return service.arn(f"cluster/self-managed/{','.join(endpoints)}", service="kafka")


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
    def check_duplicate(cls, service: LambdaService, params: dict, function_arn: str) -> None:
        """ResourceConflictException for a mapping with the same source, function and topics."""
        from engine.errors import ServiceError

        self_managed = "SelfManagedEventSource" in params
        wanted = set(_endpoints(params)) if self_managed else {params["EventSourceArn"]}
        topics = list(params.get("Topics") or [])
        for existing in service.mappings.values():
            request = existing.request
            if existing.function_arn != function_arn or list(request.get("Topics") or []) != topics:
                continue
            if self_managed != ("SelfManagedEventSource" in request):
                continue
            theirs = set(_endpoints(request)) if self_managed else {existing.source_arn}
            if wanted & theirs:
                shown = ",".join(_endpoints(params)) if self_managed else params["EventSourceArn"]
                raise ServiceError(
                    "ResourceConflictException",
                    f'An event source mapping with event source ("{shown}"), function '
                    f'("{function_arn}"), topics ("{",".join(topics)}") already exists. Please '
                    f"update or delete the existing mapping with UUID {existing.uuid}",
                    status_code=409,
                )

    @classmethod
    def validate(cls, service: LambdaService, params: dict, function_timeout: int) -> dict:
        """The cluster exists, one topic, a starting position; returns the mapping's settings."""
        kafka: Any = service.engine.service("kafka")
        source = params["EventSourceArn"]
        self_managed = "SelfManagedEventSource" in params
        if kafka.cluster_for_arn(source) is None and not self_managed:
            raise validation(f"Cannot access cluster {source}: it does not exist.")
        topics = params.get("Topics") or []
        if len(topics) != 1:
            raise validation("Topics must contain exactly one topic for a Kafka event source.")
        start = params.get("StartingPosition", "TRIM_HORIZON" if self_managed else None)
        if start not in _POSITIONS:
            raise validation(
                "StartingPosition must be one of TRIM_HORIZON, LATEST or AT_TIMESTAMP for an "
                "Amazon MSK event source."
            )
        if start == "AT_TIMESTAMP" and "StartingPositionTimestamp" not in params:
            raise validation("StartingPositionTimestamp is required for AT_TIMESTAMP.")
        if params.get("MaximumBatchingWindowInSeconds", 0) > 300:
            raise validation("MaximumBatchingWindowInSeconds must be between 0 and 300.")
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
            settings["SourceAccessConfigurations"] = params["SourceAccessConfigurations"]
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
            out["SourceAccessConfigurations"] = params["SourceAccessConfigurations"]
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
            self.mapping.last_result = (
                "PROBLEM: Connection error. Please check your event source connection "
                "configuration."
            )
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
