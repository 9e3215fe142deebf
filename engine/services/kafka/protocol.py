"""The Kafka wire protocol for one cluster, on its loopback listener.

Requests and responses are encoded and decoded by kafka-python's protocol classes (generated from
Apache Kafka's own message definitions, flexible versions included); record batches by its
`kafka.record` codec. This module only maps requests onto the cluster's state. Requests on one
connection are answered in order, one at a time, as a Kafka broker does.
"""

from __future__ import annotations

import asyncio
import struct
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import kafka.protocol.admin
import kafka.protocol.consumer
import kafka.protocol.metadata
import kafka.protocol.producer  # noqa: F401  (registers the message classes)
from kafka.protocol.api_message import ApiMessage

from . import codes
from .topics import TopicError

if TYPE_CHECKING:
    from .service import KafkaService
    from .state import ClusterState

#: API key → (min, max) versions this broker advertises (a Kafka 3.x-era broker: topic names,
#: not topic ids, in Produce and Fetch).
SUPPORTED: dict[str, tuple[int, int]] = {
    "Produce": (3, 9),
    "Fetch": (4, 12),
    "ListOffsets": (1, 7),
    "Metadata": (0, 12),
    "OffsetCommit": (2, 8),
    "OffsetFetch": (1, 7),
    "FindCoordinator": (0, 4),
    "JoinGroup": (0, 7),
    "Heartbeat": (0, 4),
    "LeaveGroup": (0, 4),
    "SyncGroup": (0, 5),
    "DescribeGroups": (0, 5),
    "ListGroups": (0, 4),
    "ApiVersions": (0, 3),
    "CreateTopics": (2, 7),
    "DeleteTopics": (1, 5),
    "DeleteRecords": (0, 2),
    "InitProducerId": (0, 4),
    "DescribeConfigs": (1, 4),
    "AlterConfigs": (0, 2),
    "CreatePartitions": (0, 3),
    "DeleteGroups": (0, 2),
    "IncrementalAlterConfigs": (0, 1),
    "DescribeCluster": (0, 1),
    "AddPartitionsToTxn": (0, 3),
    "AddOffsetsToTxn": (0, 3),
    "EndTxn": (0, 3),
    "TxnOffsetCommit": (0, 3),
}
MAX_FRAME = 100 * 1024 * 1024
_HEAD = struct.Struct(">hhi")
TOPIC_RESOURCE, BROKER_RESOURCE = 2, 4


def _messages() -> dict[int, tuple[type[ApiMessage], type[ApiMessage]]]:
    def walk(cls: type) -> list[type]:
        out = []
        for sub in cls.__subclasses__():
            out.append(sub)
            out.extend(walk(sub))
        return out

    by_name = {
        c.__name__: c
        for c in walk(ApiMessage)
        if getattr(c, "_class_version", 1) is None and getattr(c, "_json", None)
    }
    out = {}
    for name in SUPPORTED:
        request, response = by_name[name + "Request"], by_name[name + "Response"]
        out[request.API_KEY] = (request, response)
    return out


MESSAGES = _messages()
RANGES = {
    MESSAGES_KEY: SUPPORTED[req.__name__[: -len("Request")]]
    for MESSAGES_KEY, (req, _) in MESSAGES.items()
}


def make(cls: Any, fields: dict[str, Any], version: int | None = None) -> Any:
    """Build a kafka-python message (or nested struct) from plain dicts and lists."""
    spec = cls.fields
    values = {}
    for name, value in fields.items():
        field = spec[name]
        if value is not None and field.is_struct_array():
            value = [make(field.data_class, item) for item in value]
        elif value is not None and field.is_struct():
            value = make(field.data_class, value)
        values[name] = value
    if version is None:
        return cls(**values)
    return cls(version=version, **values)


class Connection:
    """One client connection: read frames, answer each request in order."""

    def __init__(
        self, server: BrokerServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername")
        self.host = f"/{peer[0]}" if peer else "/127.0.0.1"

    async def run(self) -> None:
        while True:
            try:
                size_bytes = await self.reader.readexactly(4)
            except asyncio.IncompleteReadError:
                return
            (size,) = struct.unpack(">i", size_bytes)
            if not 8 <= size <= MAX_FRAME:
                raise ValueError(f"invalid Kafka frame size {size}")
            payload = await self.reader.readexactly(size)
            api_key, version, correlation = _HEAD.unpack_from(payload)
            reply = await self.server.dispatch(api_key, version, correlation, payload, self)
            if reply is not None:
                self.writer.write(reply)
                await self.writer.drain()


class BrokerServer:
    """The broker side of one cluster: dispatch each request to its handler."""

    def __init__(self, service: KafkaService, state: ClusterState) -> None:
        self.service = service
        self.state = state
        self.clock = service.clock
        self.handlers: dict[
            int, Callable[[Any, int, Connection], Awaitable[dict] | dict | None]
        ] = {
            MESSAGES_KEY: getattr(self, "_" + _snake(req.__name__[: -len("Request")]))
            for MESSAGES_KEY, (req, _) in MESSAGES.items()
        }

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The listener's connection handler."""
        await Connection(self, reader, writer).run()

    async def dispatch(
        self, api_key: int, version: int, correlation: int, payload: bytes, conn: Connection
    ) -> bytes | None:
        """Decode one request, run its handler, encode the response (None: no response)."""
        pair = MESSAGES.get(api_key)
        if pair is None:
            raise ValueError(f"unsupported Kafka API key {api_key}")
        request_cls, response_cls = pair
        low, high = RANGES[api_key]
        if not low <= version <= high:
            if api_key == 18:  # ApiVersions: answer v0 with UNSUPPORTED_VERSION and the ranges
                return self._encode(
                    response_cls,
                    0,
                    correlation,
                    {"error_code": codes.UNSUPPORTED_VERSION, "api_keys": self._api_keys()},
                )
            raise ValueError(f"unsupported version {version} of Kafka API key {api_key}")
        request = request_cls.decode(payload, version=version, header=True)
        result = self.handlers[api_key](request, version, conn)
        if asyncio.iscoroutine(result):
            result = await result
        if result is None:
            return None
        return self._encode(response_cls, version, correlation, result)

    @staticmethod
    def _encode(response_cls: Any, version: int, correlation: int, fields: dict) -> bytes:
        response = make(response_cls, fields, version)
        response.with_header(correlation_id=correlation)
        return bytes(response.encode(header=True, framed=True))

    # -- helpers ------------------------------------------------------------------------
    @property
    def data(self):  # noqa: ANN201
        return self.state.data

    def _brokers(self) -> list[dict]:
        host, port = self.state.address()
        return [
            {"node_id": b, "host": host, "port": port, "rack": f"use1-az{(b - 1) % 3 + 1}"}
            for b in self.data.broker_ids
            if b not in self.data.down
        ]

    def _coordinator(self) -> int:
        alive = [b for b in self.data.broker_ids if b not in self.data.down]
        return alive[0] if alive else -1

    def _api_keys(self) -> list[dict]:
        return [
            {"api_key": key, "min_version": low, "max_version": high}
            for key, (low, high) in sorted(RANGES.items())
        ]

    # -- handlers -------------------------------------------------------------------------
    def _api_versions(self, request: Any, version: int, conn: Connection) -> dict:
        return {"error_code": 0, "api_keys": self._api_keys()}

    def _metadata(self, request: Any, version: int, conn: Connection) -> dict:
        data = self.data
        if request.topics is None:
            names = list(data.topics)
        else:
            names = []
            for entry in request.topics:
                name = entry.name
                if name is None and entry.topic_id is not None:
                    found = data.by_id.get(uuid.UUID(str(entry.topic_id)).hex)
                    name = found.name if found else None
                if name is not None:
                    names.append(name)
            if (
                request.allow_auto_topic_creation
                and data.broker_setting("auto.create.topics.enable") == "true"
            ):
                for name in names:
                    if name not in data.topics:
                        try:
                            self.service.topics.create(data, name)
                        except TopicError:
                            pass
        topics = []
        for name in names:
            topic = data.topics.get(name)
            if topic is None:
                topics.append({"error_code": codes.UNKNOWN_TOPIC_OR_PARTITION, "name": name})
                continue
            topics.append(
                {
                    "error_code": 0,
                    "name": name,
                    "topic_id": uuid.UUID(topic.topic_id),
                    "is_internal": topic.internal,
                    "partitions": [
                        {
                            "error_code": 0 if p.leader >= 0 else codes.LEADER_NOT_AVAILABLE,
                            "partition_index": p.index,
                            "leader_id": p.leader,
                            "leader_epoch": p.leader_epoch,
                            "replica_nodes": list(p.replicas),
                            "isr_nodes": list(p.isr),
                            "offline_replicas": [b for b in p.replicas if b in data.down],
                        }
                        for p in topic.partitions
                    ],
                }
            )
        return {
            "brokers": self._brokers(),
            "cluster_id": self.state.kafka_cluster_id,
            "controller_id": self._coordinator(),
            "topics": topics,
        }

    def _describe_cluster(self, request: Any, version: int, conn: Connection) -> dict:
        return {
            "cluster_id": self.state.kafka_cluster_id,
            "controller_id": self._coordinator(),
            "brokers": [
                {"broker_id": b["node_id"], "host": b["host"], "port": b["port"], "rack": b["rack"]}
                for b in self._brokers()
            ],
        }

    def _produce(self, request: Any, version: int, conn: Connection) -> dict | None:
        data = self.data
        topics = self.service.topics
        responses = []
        produced = 0
        for topic_data in request.topic_data:
            topic = data.topics.get(topic_data.name)
            partitions = []
            for part in topic_data.partition_data:
                partition = data.partition(topic_data.name, part.index) if topic else None
                if topic is None or partition is None:
                    code, base, start = codes.UNKNOWN_TOPIC_OR_PARTITION, -1, -1
                elif part.records is None:
                    code, base, start = codes.CORRUPT_MESSAGE, -1, -1
                else:
                    before = partition.log.end_offset
                    code, base, start = topics.append(
                        data, topic, partition, part.records, request.acks
                    )
                    produced += partition.log.end_offset - before
                    if code == 0:
                        self.state.traced_produce(
                            topic, partition, base, partition.log.end_offset - before, conn
                        )
                partitions.append(
                    {
                        "index": part.index,
                        "error_code": code,
                        "base_offset": base,
                        "log_start_offset": start,
                    }
                )
            responses.append({"name": topic_data.name, "partition_responses": partitions})
        if request.acks == 0:
            return None
        return {"responses": responses}

    async def _fetch(self, request: Any, version: int, conn: Connection) -> dict:
        data = self.data
        wanted = []
        for topic_req in request.topics:
            topic = data.topics.get(topic_req.topic)
            for part in topic_req.partitions:
                partition = data.partition(topic_req.topic, part.partition) if topic else None
                wanted.append((topic_req.topic, part, partition))
        min_bytes = max(request.min_bytes, 1)
        deadline = self.clock.now() + max(request.max_wait_ms, 0) / 1000
        committed = request.isolation_level == 1  # read_committed: up to the stable offset

        def available() -> int:
            total = 0
            for _, part, partition in wanted:
                if partition is not None:
                    log = partition.log
                    ready = log.bytes_after(part.fetch_offset)
                    if committed:
                        stable = log.stable_offset
                        ready = (
                            0 if part.fetch_offset >= stable else ready - log.bytes_after(stable)
                        )
                    total += min(ready, part.partition_max_bytes)
            return total

        # fetch.min.bytes: wait (up to max.wait.ms on the engine clock) until enough has arrived
        while available() < min_bytes and self.clock.now() < deadline and wanted:
            woken: asyncio.Future = asyncio.get_running_loop().create_future()

            def wake(future: asyncio.Future = woken) -> None:
                if not future.done():
                    future.set_result(None)

            for _, _, partition in wanted:
                if partition is not None:
                    partition.waiters.append(wake)
            timer = self.clock.call_at(deadline, wake)
            try:
                await woken
            finally:
                timer.cancel()
                # An idle partition must not collect the wake-ups of fetches that timed out.
                for _, _, partition in wanted:
                    if partition is not None and wake in partition.waiters:
                        partition.waiters.remove(wake)
            if self.state.closed:
                break
        budget = request.max_bytes if request.max_bytes > 0 else 1 << 30
        responses: dict[str, list[dict]] = {}
        fetched = []
        for name, part, partition in wanted:
            entry: dict[str, Any] = {"partition_index": part.partition}
            if partition is None:
                entry.update(error_code=codes.UNKNOWN_TOPIC_OR_PARTITION, high_watermark=-1)
            elif partition.leader < 0:
                entry.update(error_code=codes.NOT_LEADER_OR_FOLLOWER, high_watermark=-1)
            else:
                log = partition.log
                stable = log.stable_offset
                entry.update(
                    high_watermark=log.end_offset,
                    last_stable_offset=stable,
                    log_start_offset=log.log_start_offset,
                )
                if not log.log_start_offset <= part.fetch_offset <= log.end_offset:
                    entry["error_code"] = codes.OFFSET_OUT_OF_RANGE
                    entry["records"] = b""
                else:
                    chunk = b""
                    if budget > 0:
                        limit = min(part.partition_max_bytes, budget)
                        chunk = log.read(part.fetch_offset, limit, stable if committed else None)
                        budget -= len(chunk)
                    if committed and log.aborted:
                        entry["aborted_transactions"] = [
                            {"producer_id": pid, "first_offset": first}
                            for pid, first in log.aborted_between(part.fetch_offset, stable)
                        ]
                    entry["error_code"] = 0
                    entry["records"] = chunk
                    if chunk:
                        fetched.append((name, partition, part.fetch_offset, len(chunk)))
            responses.setdefault(name, []).append(entry)
        if fetched:
            self.state.traced_fetch(fetched, conn)
        return {
            "error_code": 0,
            "session_id": 0,
            "responses": [{"topic": n, "partitions": p} for n, p in responses.items()],
        }

    def _list_offsets(self, request: Any, version: int, conn: Connection) -> dict:
        topics = []
        for topic_req in request.topics:
            partitions = []
            for part in topic_req.partitions:
                partition = self.data.partition(topic_req.name, part.partition_index)
                if partition is None:
                    partitions.append(
                        {
                            "partition_index": part.partition_index,
                            "error_code": codes.UNKNOWN_TOPIC_OR_PARTITION,
                        }
                    )
                    continue
                offset, timestamp = self.service.topics.list_offset(
                    partition, part.timestamp, request.isolation_level == 1
                )
                partitions.append(
                    {
                        "partition_index": part.partition_index,
                        "error_code": 0,
                        "timestamp": timestamp,
                        "offset": offset,
                        "leader_epoch": partition.leader_epoch,
                    }
                )
            topics.append({"name": topic_req.name, "partitions": partitions})
        return {"topics": topics}

    def _find_coordinator(self, request: Any, version: int, conn: Connection) -> dict:
        host, port = self.state.address()
        node = self._coordinator()
        code = 0 if node >= 0 else codes.COORDINATOR_NOT_AVAILABLE
        if version >= 4:
            return {
                "coordinators": [
                    {"key": key, "node_id": node, "host": host, "port": port, "error_code": code}
                    for key in request.coordinator_keys
                ]
            }
        return {
            "error_code": code,
            "error_message": None,
            "node_id": node,
            "host": host,
            "port": port,
        }

    async def _join_group(self, request: Any, version: int, conn: Connection) -> dict:
        rebalance_timeout = request.rebalance_timeout_ms
        if version == 0 or rebalance_timeout < 0:
            rebalance_timeout = request.session_timeout_ms
        result = await self.state.groups.join(
            request.group_id,
            request.member_id,
            request.protocol_type,
            [(p.name, bytes(p.metadata)) for p in request.protocols],
            request.session_timeout_ms,
            rebalance_timeout,
            request.header.client_id or "",
            conn.host,
            request.group_instance_id if version >= 5 else None,
            version >= 4,
        )
        return {
            "error_code": result.error,
            "generation_id": result.generation,
            "protocol_type": result.protocol_type,
            "protocol_name": result.protocol or "",
            "leader": result.leader,
            "member_id": result.member_id,
            "members": [
                {
                    "member_id": m.member_id,
                    "group_instance_id": m.instance_id,
                    "metadata": _metadata_for(m, result.protocol),
                }
                for m in result.members
            ],
        }

    async def _sync_group(self, request: Any, version: int, conn: Connection) -> dict:
        error, protocol_type, protocol, assignment = await self.state.groups.sync(
            request.group_id,
            request.generation_id,
            request.member_id,
            {a.member_id: bytes(a.assignment) for a in request.assignments},
        )
        return {
            "error_code": error,
            "protocol_type": protocol_type,
            "protocol_name": protocol,
            "assignment": assignment,
        }

    def _heartbeat(self, request: Any, version: int, conn: Connection) -> dict:
        return {
            "error_code": self.state.groups.heartbeat(
                request.group_id, request.generation_id, request.member_id
            )
        }

    def _leave_group(self, request: Any, version: int, conn: Connection) -> dict:
        if version >= 3:
            ids = [m.member_id for m in request.members]
            errors = self.state.groups.leave(request.group_id, ids)
            return {
                "error_code": 0,
                "members": [
                    {
                        "member_id": m.member_id,
                        "group_instance_id": m.group_instance_id,
                        "error_code": e,
                    }
                    for m, e in zip(request.members, errors, strict=True)
                ],
            }
        return {"error_code": self.state.groups.leave(request.group_id, [request.member_id])[0]}

    def _offset_commit(self, request: Any, version: int, conn: Connection) -> dict:
        entries = [
            (
                t.name,
                p.partition_index,
                p.committed_offset,
                p.committed_metadata,
                p.committed_leader_epoch,
            )
            for t in request.topics
            for p in t.partitions
        ]
        known = [e for e in entries if self.data.partition(e[0], e[1]) is not None]
        code = self.state.groups.commit(
            request.group_id, request.generation_id_or_member_epoch, request.member_id, known
        )
        return {
            "topics": [
                {
                    "name": t.name,
                    "partitions": [
                        {
                            "partition_index": p.partition_index,
                            "error_code": code
                            if self.data.partition(t.name, p.partition_index) is not None
                            else codes.UNKNOWN_TOPIC_OR_PARTITION,
                        }
                        for p in t.partitions
                    ],
                }
                for t in request.topics
            ]
        }

    def _offset_fetch(self, request: Any, version: int, conn: Connection) -> dict:
        groups = self.state.groups
        group = groups.group(request.group_id)
        if request.topics is None:
            keys: dict[str, list[int]] = {}
            for topic, partition in sorted(group.offsets if group else {}):
                keys.setdefault(topic, []).append(partition)
        else:
            keys = {t.name: list(t.partition_indexes) for t in request.topics}
        topics = []
        for name, indexes in keys.items():
            partitions = []
            for index in indexes:
                committed = groups.committed(request.group_id, name, index)
                partitions.append(
                    {
                        "partition_index": index,
                        "committed_offset": committed.offset if committed else -1,
                        "committed_leader_epoch": committed.leader_epoch if committed else -1,
                        "metadata": (committed.metadata or "") if committed else "",
                        "error_code": 0,
                    }
                )
            topics.append({"name": name, "partitions": partitions})
        return {"topics": topics, "error_code": 0}

    def _describe_groups(self, request: Any, version: int, conn: Connection) -> dict:
        out = []
        for group_id in request.groups:
            group = self.state.groups.group(group_id)
            if group is None:
                out.append(
                    {
                        "error_code": 0,
                        "group_id": group_id,
                        "group_state": "Dead",
                        "protocol_type": "",
                        "protocol_data": "",
                    }
                )
                continue
            out.append(
                {
                    "error_code": 0,
                    "group_id": group_id,
                    "group_state": group.state,
                    "protocol_type": group.protocol_type,
                    "protocol_data": group.protocol or "",
                    "members": [
                        {
                            "member_id": m.member_id,
                            "group_instance_id": m.instance_id,
                            "client_id": m.client_id,
                            "client_host": m.client_host,
                            "member_metadata": _metadata_for(m, group.protocol),
                            "member_assignment": m.assignment,
                        }
                        for m in group.members.values()
                    ],
                }
            )
        return {"groups": out}

    def _list_groups(self, request: Any, version: int, conn: Connection) -> dict:
        states = set(request.states_filter or []) if version >= 4 else set()
        return {
            "error_code": 0,
            "groups": [
                {"group_id": g.group_id, "protocol_type": g.protocol_type, "group_state": g.state}
                for g in self.state.groups.groups.values()
                if not states or g.state in states
            ],
        }

    def _delete_groups(self, request: Any, version: int, conn: Connection) -> dict:
        return {
            "results": [
                {"group_id": g, "error_code": self.state.groups.delete(g)}
                for g in request.groups_names
            ]
        }

    def _init_producer_id(self, request: Any, version: int, conn: Connection) -> dict:
        if request.transactional_id:
            error, producer_id, epoch = self.state.transactions.init_producer(
                request.transactional_id, request.transaction_timeout_ms
            )
            return {"error_code": error, "producer_id": producer_id, "producer_epoch": epoch}
        producer_id, epoch = self.state.new_producer_id()
        return {"error_code": 0, "producer_id": producer_id, "producer_epoch": epoch}

    def _add_partitions_to_txn(self, request: Any, version: int, conn: Connection) -> dict:
        wanted = [(t.name, p) for t in request.v3_and_below_topics for p in t.partitions]
        errors = self.state.transactions.add_partitions(
            request.v3_and_below_transactional_id,
            request.v3_and_below_producer_id,
            request.v3_and_below_producer_epoch,
            wanted,
        )
        by_topic: dict[str, list[dict]] = {}
        for (name, index), error in errors.items():
            by_topic.setdefault(name, []).append(
                {"partition_index": index, "partition_error_code": error}
            )
        return {
            "results_by_topic_v3_and_below": [
                {"name": name, "results_by_partition": rows} for name, rows in by_topic.items()
            ]
        }

    def _add_offsets_to_txn(self, request: Any, version: int, conn: Connection) -> dict:
        return {
            "error_code": self.state.transactions.add_offsets(
                request.transactional_id,
                request.producer_id,
                request.producer_epoch,
                request.group_id,
            )
        }

    def _txn_offset_commit(self, request: Any, version: int, conn: Connection) -> dict:
        entries = [
            (
                t.name,
                p.partition_index,
                p.committed_offset,
                p.committed_metadata,
                p.committed_leader_epoch,
            )
            for t in request.topics
            for p in t.partitions
        ]
        error = self.state.transactions.commit_offsets(
            request.transactional_id,
            request.producer_id,
            request.producer_epoch,
            request.group_id,
            entries,
        )
        return {
            "topics": [
                {
                    "name": t.name,
                    "partitions": [
                        {"partition_index": p.partition_index, "error_code": error}
                        for p in t.partitions
                    ],
                }
                for t in request.topics
            ]
        }

    def _end_txn(self, request: Any, version: int, conn: Connection) -> dict:
        return {
            "error_code": self.state.transactions.end(
                request.transactional_id,
                request.producer_id,
                request.producer_epoch,
                request.committed,
            )
        }

    def _create_topics(self, request: Any, version: int, conn: Connection) -> dict:
        out = []
        for t in request.topics:
            entry: dict[str, Any] = {"name": t.name}
            try:
                configs = {c.name: c.value for c in t.configs}
                topic = self.service.topics.create(
                    self.data,
                    t.name,
                    t.num_partitions,
                    t.replication_factor,
                    configs,
                    validate_only=request.validate_only,
                )
                entry.update(error_code=0, error_message=None)
                if topic is not None:
                    entry.update(
                        topic_id=uuid.UUID(topic.topic_id),
                        num_partitions=len(topic.partitions),
                        replication_factor=len(topic.partitions[0].replicas),
                    )
                    self.service.emit(
                        "topic-created",
                        self.state.topic_arn(t.name),
                        partitions=len(topic.partitions),
                    )
            except TopicError as error:
                entry.update(error_code=error.code, error_message=error.message)
            out.append(entry)
        return {"topics": out}

    def _delete_topics(self, request: Any, version: int, conn: Connection) -> dict:
        out = []
        for name in request.topic_names:
            try:
                self.service.topics.delete(self.data, name)
                out.append({"name": name, "error_code": 0})
                self.service.emit("topic-deleted", self.state.topic_arn(name))
            except TopicError as error:
                out.append({"name": name, "error_code": error.code, "error_message": error.message})
        return {"responses": out}

    def _create_partitions(self, request: Any, version: int, conn: Connection) -> dict:
        out = []
        for t in request.topics:
            try:
                self.service.topics.add_partitions(
                    self.data, t.name, t.count, request.validate_only
                )
                out.append({"name": t.name, "error_code": 0, "error_message": None})
            except TopicError as error:
                out.append(
                    {"name": t.name, "error_code": error.code, "error_message": error.message}
                )
        return {"results": out}

    def _delete_records(self, request: Any, version: int, conn: Connection) -> dict:
        topics = []
        for t in request.topics:
            partitions = []
            for p in t.partitions:
                partition = self.data.partition(t.name, p.partition_index)
                if partition is None:
                    partitions.append(
                        {
                            "partition_index": p.partition_index,
                            "low_watermark": -1,
                            "error_code": codes.UNKNOWN_TOPIC_OR_PARTITION,
                        }
                    )
                    continue
                offset = partition.log.end_offset if p.offset == -1 else p.offset
                if not 0 <= offset <= partition.log.end_offset:
                    partitions.append(
                        {
                            "partition_index": p.partition_index,
                            "low_watermark": -1,
                            "error_code": codes.OFFSET_OUT_OF_RANGE,
                        }
                    )
                    continue
                low = partition.log.delete_before(offset)
                partitions.append(
                    {"partition_index": p.partition_index, "low_watermark": low, "error_code": 0}
                )
            topics.append({"name": t.name, "partitions": partitions})
        return {"topics": topics}

    def _describe_configs(self, request: Any, version: int, conn: Connection) -> dict:
        results = []
        for resource in request.resources:
            keys = resource.configuration_keys
            if resource.resource_type == TOPIC_RESOURCE:
                topic = self.data.topics.get(resource.resource_name)
                if topic is None:
                    results.append(
                        {
                            "error_code": codes.UNKNOWN_TOPIC_OR_PARTITION,
                            "error_message": "Unknown topic",
                            "resource_type": 2,
                            "resource_name": resource.resource_name,
                        }
                    )
                    continue
                from .cluster import TOPIC_DEFAULTS

                configs = []
                for name in TOPIC_DEFAULTS:
                    if keys and name not in keys:
                        continue
                    override = name in topic.configs
                    # ConfigSource: 1 dynamic topic, 4 static broker (server.properties), 5 default
                    source = (
                        1
                        if override
                        else (4 if self.data.topic_default(name) != TOPIC_DEFAULTS[name] else 5)
                    )
                    configs.append(
                        {
                            "name": name,
                            "value": self.data.topic_config(topic, name),
                            "read_only": False,
                            "is_default": not override,
                            "config_source": source,
                            "is_sensitive": False,
                        }
                    )
                results.append(
                    {
                        "error_code": 0,
                        "error_message": None,
                        "resource_type": 2,
                        "resource_name": resource.resource_name,
                        "configs": configs,
                    }
                )
            elif resource.resource_type == BROKER_RESOURCE:
                from .cluster import BROKER_DEFAULTS

                configs = []
                merged = {**BROKER_DEFAULTS, **self.data.defaults}
                for name, value in sorted(merged.items()):
                    if keys and name not in keys:
                        continue
                    configs.append(
                        {
                            "name": name,
                            "value": value,
                            "read_only": True,
                            "is_default": name not in self.data.defaults,
                            "config_source": 4 if name in self.data.defaults else 5,
                            "is_sensitive": False,
                        }
                    )
                results.append(
                    {
                        "error_code": 0,
                        "error_message": None,
                        "resource_type": 4,
                        "resource_name": resource.resource_name,
                        "configs": configs,
                    }
                )
            else:
                results.append(
                    {
                        "error_code": codes.INVALID_REQUEST,
                        "error_message": "Unsupported resource type",
                        "resource_type": resource.resource_type,
                        "resource_name": resource.resource_name,
                    }
                )
        return {"results": results}

    def _alter_configs(self, request: Any, version: int, conn: Connection) -> dict:
        return {
            "responses": [
                self._alter(r, request.validate_only, incremental=False) for r in request.resources
            ]
        }

    def _incremental_alter_configs(self, request: Any, version: int, conn: Connection) -> dict:
        return {
            "responses": [
                self._alter(r, request.validate_only, incremental=True) for r in request.resources
            ]
        }

    def _alter(self, resource: Any, validate_only: bool, incremental: bool) -> dict:
        out = {"resource_type": resource.resource_type, "resource_name": resource.resource_name}
        if resource.resource_type != TOPIC_RESOURCE:
            return {
                **out,
                "error_code": codes.CLUSTER_AUTHORIZATION_FAILED,
                "error_message": "Broker configs are set through MSK configurations (UpdateClusterConfiguration).",
            }
        topic = self.data.topics.get(resource.resource_name)
        if topic is None:
            return {
                **out,
                "error_code": codes.UNKNOWN_TOPIC_OR_PARTITION,
                "error_message": "Unknown topic",
            }
        new = {} if not incremental else dict(topic.configs)
        for config in resource.configs:
            op = config.config_operation if incremental else 0
            if op == 1:  # DELETE
                new.pop(config.name, None)
            elif op in (0,):  # SET
                new[config.name] = config.value
            else:
                return {
                    **out,
                    "error_code": codes.INVALID_CONFIG,
                    "error_message": "APPEND/SUBTRACT are not supported",
                }
        try:
            checked = self.service.topics.check_configs(new)
        except TopicError as error:
            return {**out, "error_code": error.code, "error_message": error.message}
        if not validate_only:
            topic.configs = checked
        return {**out, "error_code": 0, "error_message": None}


def _metadata_for(member: Any, protocol: str | None) -> bytes:
    for name, metadata in member.protocols:
        if name == protocol:
            return metadata
    return b""


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
