"""Topic administration and the partition data path shared by the broker and the lab's readers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import codes
from .cluster import TOPIC_DEFAULTS, ClusterData, Partition, Topic
from .log import (
    ProduceRejected,
    Record,
    batch_info,
    build_batch,
    split_batches,
    with_log_append_time,
)

if TYPE_CHECKING:
    from .service import KafkaService

_TOPIC_NAME = re.compile(r"^[a-zA-Z0-9._-]{1,249}$")
#: ListOffsets special timestamps.
LATEST, EARLIEST, MAX_TIMESTAMP = -1, -2, -3


class TopicError(Exception):
    """A Kafka error code and message for an admin request."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash (the Java client's default partitioner), as a signed 32-bit int."""
    length = len(data)
    seed = 0x9747B28C
    m = 0x5BD1E995
    r = 24
    h = (seed ^ length) & 0xFFFFFFFF
    length4 = length // 4
    for i in range(length4):
        i4 = i * 4
        k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24)
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    extra = length % 4
    if extra >= 3:
        h ^= data[(length & ~3) + 2] << 16
    if extra >= 2:
        h ^= data[(length & ~3) + 1] << 8
    if extra >= 1:
        h ^= data[length & ~3]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for_key(key: bytes, count: int) -> int:
    """The default partitioner: toPositive(murmur2(key)) % partitions."""
    return (murmur2(key) & 0x7FFFFFFF) % count


class Topics:
    """Create, alter and delete topics; produce to and read from partitions."""

    def __init__(self, service: KafkaService) -> None:
        self.service = service

    # -- administration ---------------------------------------------------------------
    def create(
        self,
        data: ClusterData,
        name: str,
        partitions: int = -1,
        replication: int = -1,
        configs: dict[str, str] | None = None,
        *,
        validate_only: bool = False,
    ) -> Topic | None:
        """Create a topic (TopicError with Kafka's code when refused)."""
        if not _TOPIC_NAME.match(name) or name in (".", ".."):
            raise TopicError(codes.INVALID_TOPIC, f"Topic name '{name}' is illegal.")
        if name in data.topics:
            raise TopicError(codes.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.")
        if partitions == -1:
            partitions = int(data.broker_setting("num.partitions"))
        if replication == -1:
            replication = min(
                int(data.broker_setting("default.replication.factor")), len(data.broker_ids)
            )
        if partitions < 1:
            raise TopicError(
                codes.INVALID_PARTITIONS, "Number of partitions must be larger than 0."
            )
        if replication < 1:
            raise TopicError(
                codes.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0."
            )
        if replication > len(data.broker_ids):
            raise TopicError(
                codes.INVALID_REPLICATION_FACTOR,
                f"Unable to replicate the partition {replication} time(s): The target "
                f"replication factor of {replication} cannot be reached because only "
                f"{len(data.broker_ids)} broker(s) are registered.",
            )
        overrides = self.check_configs(configs or {})
        if validate_only:
            return None
        topic = Topic(name, self.service.ids.hex(32), [], overrides)
        topic.partitions = data.place(name, 0, partitions, replication)
        data.topics[name] = topic
        data.by_id[topic.topic_id] = topic
        return topic

    @staticmethod
    def check_configs(configs: dict[str, str | None]) -> dict[str, str]:
        """Validate topic config overrides (INVALID_CONFIG for unknown names or bad values)."""
        out: dict[str, str] = {}
        for key, value in configs.items():
            if value is None:
                continue
            if key not in TOPIC_DEFAULTS:
                raise TopicError(codes.INVALID_CONFIG, f"Unknown topic config name: {key}")
            if key == "cleanup.policy":
                parts = {p.strip() for p in value.split(",")}
                if not parts or not parts <= {"delete", "compact"}:
                    raise TopicError(
                        codes.INVALID_CONFIG,
                        f"Invalid value {value} for configuration cleanup.policy: String must "
                        "be one of: compact, delete",
                    )
            elif key in ("message.timestamp.type",):
                if value not in ("CreateTime", "LogAppendTime"):
                    raise TopicError(
                        codes.INVALID_CONFIG,
                        f"Invalid value {value} for configuration {key}",
                    )
            elif key != "compression.type":
                try:
                    int(value)
                except ValueError:
                    raise TopicError(
                        codes.INVALID_CONFIG,
                        f"Invalid value {value} for configuration {key}: Not a number of type LONG",
                    ) from None
            out[key] = value
        return out

    def delete(self, data: ClusterData, name: str) -> None:
        """Delete a topic and its data."""
        topic = data.topics.pop(name, None)
        if topic is None:
            raise TopicError(
                codes.UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition."
            )
        data.by_id.pop(topic.topic_id, None)
        for partition in topic.partitions:
            partition.wake()
        self.service.groups_of(data).forget_topic(name)

    def add_partitions(self, data: ClusterData, name: str, total: int, validate_only: bool) -> None:
        """Grow a topic to `total` partitions (never shrink, as in Kafka)."""
        topic = data.topics.get(name)
        if topic is None:
            raise TopicError(
                codes.UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition."
            )
        current = len(topic.partitions)
        if total <= current:
            raise TopicError(
                codes.INVALID_PARTITIONS,
                f"Topic currently has {current} partitions, which is higher than the requested "
                f"{total}.",
            )
        if validate_only:
            return
        replication = len(topic.partitions[0].replicas)
        topic.partitions.extend(data.place(name, current, total - current, replication))

    # -- the data path ------------------------------------------------------------------
    def append(
        self, data: ClusterData, topic: Topic, partition: Partition, records: bytes, acks: int
    ) -> tuple[int, int, int]:
        """Append a produce request's record set: (error code, base offset, log start)."""
        if partition.leader < 0:
            return codes.NOT_LEADER_OR_FOLLOWER, -1, -1
        if acks == -1 and len(partition.isr) < data.int_config(topic, "min.insync.replicas"):
            return codes.NOT_ENOUGH_REPLICAS, -1, -1
        try:
            batches = split_batches(records)
            infos = [batch_info(b) for b in batches]
        except ValueError:
            return codes.CORRUPT_MESSAGE, -1, -1
        limit = data.int_config(topic, "max.message.bytes")
        if any(len(b) > limit for b in batches):
            return codes.MESSAGE_TOO_LARGE, -1, -1
        if data.topic_config(topic, "cleanup.policy") == "compact" and not self._all_keyed(batches):
            return codes.INVALID_RECORD, -1, -1
        if data.topic_config(topic, "message.timestamp.type") == "LogAppendTime":
            now = self.service.clock.now_ms()
            batches = [with_log_append_time(b, now) for b in batches]
            infos = [batch_info(b) for b in batches]
        log = partition.log
        first = -1
        count = 0
        try:
            for batch, info in zip(batches, infos, strict=True):
                before = log.end_offset
                base = log.append(batch, info)
                if first < 0:
                    first = base
                if log.end_offset > before:
                    count += info.count
                    partition.produced_bytes += len(batch)
        except ProduceRejected as rejected:
            return rejected.code, -1, -1
        if count:
            data.notify(topic, partition, first, count)
        return codes.NONE, first, log.log_start_offset

    @staticmethod
    def _all_keyed(batches: list[bytes]) -> bool:
        from .log import decode_batch

        return all(r.key is not None for b in batches for r in decode_batch(b))

    def produce_records(
        self,
        data: ClusterData,
        topic: Topic,
        records: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]],
        partition_index: int | None = None,
    ) -> list[tuple[int, int]]:
        """The lab's own producer: murmur2 for keyed records, round robin otherwise.

        Returns (partition, offset) per record, in order; raises TopicError when refused.
        """
        now = self.service.clock.now_ms()
        grouped: dict[int, list[int]] = {}
        count = len(topic.partitions)
        for i, (key, _value, _headers) in enumerate(records):
            if partition_index is not None:
                index = partition_index
            elif key is not None:
                index = partition_for_key(key, count)
            else:
                index = topic.round_robin % count
                topic.round_robin += 1
            grouped.setdefault(index, []).append(i)
        placed: list[tuple[int, int]] = [(-1, -1)] * len(records)
        for index, members in grouped.items():
            if not 0 <= index < count:
                raise TopicError(codes.UNKNOWN_TOPIC_OR_PARTITION, f"No partition {index}.")
            partition = topic.partitions[index]
            batch = build_batch([(*records[i], now) for i in members])
            code, base, _ = self.append(data, topic, partition, batch, 1)
            if code:
                raise TopicError(code, _code_name(code))
            for delta, i in enumerate(members):
                placed[i] = (index, base + delta)
        return placed

    @staticmethod
    def read_records(partition: Partition, offset: int, limit: int) -> list[Record]:
        """Decoded records from `offset` (the lab's own consumers)."""
        return partition.log.records(max(offset, partition.log.log_start_offset), limit)

    @staticmethod
    def list_offset(
        partition: Partition, timestamp: int, committed: bool = False
    ) -> tuple[int, int]:
        """ListOffsets: (offset, timestamp) for latest, earliest, max timestamp or a time.

        With read_committed, latest is the last stable offset.
        """
        log = partition.log
        if timestamp == LATEST:
            return (log.stable_offset if committed else log.end_offset), -1
        if timestamp == EARLIEST:
            return log.log_start_offset, -1
        if timestamp == MAX_TIMESTAMP:
            found = log.max_timestamp()
            return found if found is not None else (-1, -1)
        found = log.offset_for_timestamp(timestamp)
        return found if found is not None else (-1, -1)  # no record at or after that time

    # -- housekeeping --------------------------------------------------------------------
    def clean(self, data: ClusterData) -> int:
        """Apply retention and compaction to every partition; records removed."""
        now = self.service.clock.now_ms()
        removed = 0
        for topic in data.topics.values():
            policy = data.topic_config(topic, "cleanup.policy")
            retention_ms = data.int_config(topic, "retention.ms")
            retention_bytes = data.int_config(topic, "retention.bytes")
            delete_retention = data.int_config(topic, "delete.retention.ms")
            for partition in topic.partitions:
                log = partition.log
                before = log.record_count
                if "delete" in policy:
                    log.enforce_retention(now, retention_ms, retention_bytes)
                if "compact" in policy:
                    log.compact(now, delete_retention)
                removed += before - log.record_count
        return removed


def _code_name(code: int) -> str:
    import kafka.errors

    error = kafka.errors.for_code(code)
    return getattr(error, "message", str(code))
