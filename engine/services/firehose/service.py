"""Amazon Data Firehose (boto3 `firehose`): buffer records, transform them, deliver them.

Internal API: `accept(stream_name_or_arn, data: bytes, trace_id=None) -> record id` puts one
record as PutRecord would; `flush(name)` delivers the buffer now (lessons and the UI);
`http_transport` is the coroutine `(url, headers, body) -> (status, response body)` used for
HTTP endpoint destinations — a real POST by default, replaceable to reach an in-lab endpoint.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from engine.errors import ServiceError
from engine.service import Envelope, Service, delegate_operations
from engine.topology import Edge, Node

from .config import MIB, describe_destination, invalid, parse_destination
from .delivery import Deliverer, post_http
from .settings import StreamSettings
from .source import KinesisSource
from .stream import DeliveryStream, Pending

STREAM_NAME = re.compile(r"[a-zA-Z0-9_.-]+")
DESTINATION_ID = "destinationId-000000000001"
#: Record and request quotas (Firehose quotas page).
MAX_RECORD_BYTES = 1_024_000
MAX_BATCH_BYTES = 4 * MIB
MAX_DELIVERY_STREAMS = 5000
_UPDATE_KINDS = {
    "S3DestinationUpdate": "S3",
    "ExtendedS3DestinationUpdate": "ExtendedS3",
    "HttpEndpointDestinationUpdate": "HttpEndpoint",
}


class FirehoseService(Service):
    """Delivery streams with DirectPut or Kinesis sources and S3 or HTTP endpoint destinations."""

    name = "firehose"
    validation_error_code = "ValidationException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.streams: dict[str, DeliveryStream] = {}
        self._sources: dict[str, KinesisSource] = {}
        self._record_count = 0
        self.http_transport: Callable[[str, dict[str, str], bytes], Awaitable[tuple[int, bytes]]]
        self.http_transport = self._post_http
        self.settings_api = StreamSettings(self)

    async def _post_http(self, url: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        """POST to an HTTP endpoint the lab may reach; a refused host is a failed connection."""
        try:
            self.engine.outbound.check(url, "firehose")
        except OSError as refused:
            return 0, str(refused).encode()
        return await post_http(url, headers, body)

    async def close(self) -> None:
        """Stop timers and Kinesis readers."""
        for stream in self.streams.values():
            if stream.timer is not None:
                stream.timer.cancel()
        for source in self._sources.values():
            source.cancel()

    # -- lookups ------------------------------------------------------------------------
    def stream_named(self, name: str) -> DeliveryStream:
        stream = self.streams.get(name)
        if stream is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Firehose {name} under account {self.account_id} not found.",
            )
        return stream

    def _when(self, epoch: float) -> datetime:
        return datetime.fromtimestamp(epoch, UTC)

    # -- delivery streams ---------------------------------------------------------------
    def create_delivery_stream(self, params: dict) -> dict:
        """CreateDeliveryStream: DirectPut or a Kinesis stream source; S3 or HTTP destination."""
        name = params["DeliveryStreamName"]
        if not STREAM_NAME.fullmatch(name):
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{name}' at 'deliveryStreamName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                "[a-zA-Z0-9_.-]+",
            )
        kind = params.get("DeliveryStreamType", "DirectPut")
        if kind not in ("DirectPut", "KinesisStreamAsSource", "MSKAsSource"):
            raise invalid(f"Pipework does not emulate delivery stream type {kind}.")
        source_config = params.get("KinesisStreamSourceConfiguration")
        if kind == "KinesisStreamAsSource" and source_config is None:
            raise invalid(
                "KinesisStreamSourceConfiguration is required for a KinesisStreamAsSource "
                "delivery stream."
            )
        if kind == "DirectPut" and source_config is not None:
            raise invalid(
                "KinesisStreamSourceConfiguration is only valid for a KinesisStreamAsSource "
                "delivery stream."
            )
        msk_config = params.get("MSKSourceConfiguration")
        if (kind == "MSKAsSource") != (msk_config is not None):
            raise invalid(
                "MSKSourceConfiguration is required for, and only valid for, an MSKAsSource "
                "delivery stream."
            )
        if msk_config is not None:
            kafka: Any = self.engine.service("kafka")
            if kafka.cluster_for_arn(msk_config["MSKClusterARN"]) is None:
                raise invalid(f"MSK cluster {msk_config['MSKClusterARN']} is not found.")
        destination = parse_destination(params)
        if name in self.streams:
            raise ServiceError(
                "ResourceInUseException",
                f"Firehose {name} under accountId {self.account_id} already exists.",
            )
        if len(self.streams) >= MAX_DELIVERY_STREAMS:
            raise ServiceError(
                "LimitExceededException",
                f"You have already consumed your limit of {MAX_DELIVERY_STREAMS} Firehose streams.",
            )
        self.settings_api.check_tags(params.get("Tags", []), {})
        kinesis: Any = None
        if source_config is not None:
            kinesis = self.engine.service("kinesis")
            if kinesis.stream_for_arn(source_config["KinesisStreamARN"]) is None:
                raise invalid(
                    f"Kinesis stream {source_config['KinesisStreamARN']} is not found or not "
                    "ACTIVE."
                )
        now = self.clock.now()
        stream = DeliveryStream(
            name=name,
            arn=self.arn(f"deliverystream/{name}"),
            kind=kind,
            destination=destination,
            created=now,
            tags={t["Key"]: t.get("Value", "") for t in params.get("Tags", [])},
        )
        if "DirectPutSourceConfiguration" in params:
            stream.throughput_hint = params["DirectPutSourceConfiguration"]["ThroughputHintInMBs"]
        encryption = params.get("DeliveryStreamEncryptionConfigurationInput")
        if encryption is not None:
            stream.encryption = self.settings_api.checked_encryption(stream, encryption)
        self.streams[name] = stream
        if source_config is not None:
            stream.source_arn = source_config["KinesisStreamARN"]
            stream.source_role = source_config["RoleARN"]
            self._sources[name] = KinesisSource(self, stream, kinesis)
        if msk_config is not None:
            from engine.services.kafka.firehose_source import MskSource

            stream.source_arn = msk_config["MSKClusterARN"]
            stream.source_role = msk_config["AuthenticationConfiguration"]["RoleARN"]
            stream.msk = dict(msk_config)
            self._sources[name] = MskSource(self, stream, msk_config, kafka)
        self.emit("created", stream.arn, source=kind, destination=destination.kind)
        return {"DeliveryStreamARN": stream.arn}

    def delete_delivery_stream(self, params: dict) -> dict:
        """DeleteDeliveryStream: buffered data not yet delivered is lost, as on AWS."""
        stream = self.stream_named(params["DeliveryStreamName"])
        del self.streams[stream.name]
        if stream.timer is not None:
            stream.timer.cancel()
        source = self._sources.pop(stream.name, None)
        if source is not None:
            source.close()
        stream.status = "DELETING"
        self.emit("deleted", stream.arn, dropped=len(stream.buffer))
        return {}

    def describe_delivery_stream(self, params: dict) -> dict:
        """DescribeDeliveryStream: status, source, the destination and versions."""
        stream = self.stream_named(params["DeliveryStreamName"])
        description: dict[str, Any] = {
            "DeliveryStreamName": stream.name,
            "DeliveryStreamARN": stream.arn,
            "DeliveryStreamStatus": stream.status,
            "DeliveryStreamEncryptionConfiguration": copy.deepcopy(
                stream.encryption or {"Status": "DISABLED"}
            ),
            "DeliveryStreamType": stream.kind,
            "VersionId": str(stream.version),
            "CreateTimestamp": self._when(stream.created),
            "Destinations": [
                {"DestinationId": DESTINATION_ID, **describe_destination(stream.destination)}
            ],
            "HasMoreDestinations": False,
        }
        if stream.updated is not None:
            description["LastUpdateTimestamp"] = self._when(stream.updated)
        if stream.kind == "KinesisStreamAsSource":
            description["Source"] = {
                "KinesisStreamSourceDescription": {
                    "KinesisStreamARN": stream.source_arn,
                    "RoleARN": stream.source_role,
                    "DeliveryStartTimestamp": self._when(stream.created),
                }
            }
        elif stream.kind == "MSKAsSource" and stream.msk is not None:
            description["Source"] = {
                "MSKSourceDescription": {
                    "MSKClusterARN": stream.msk["MSKClusterARN"],
                    "TopicName": stream.msk["TopicName"],
                    "AuthenticationConfiguration": dict(stream.msk["AuthenticationConfiguration"]),
                    "DeliveryStartTimestamp": self._when(stream.created),
                }
            }
        elif stream.throughput_hint is not None:
            description["Source"] = {
                "DirectPutSourceDescription": {"ThroughputHintInMBs": stream.throughput_hint}
            }
        return {"DeliveryStreamDescription": description}

    def list_delivery_streams(self, params: dict) -> dict:
        """ListDeliveryStreams: names in order, optionally of one type, paginated."""
        kind = params.get("DeliveryStreamType")
        names = sorted(n for n, s in self.streams.items() if kind is None or s.kind == kind)
        after = params.get("ExclusiveStartDeliveryStreamName")
        if after is not None:
            names = [n for n in names if n > after]
        limit = params.get("Limit", 10)
        return {"DeliveryStreamNames": names[:limit], "HasMoreDeliveryStreams": len(names) > limit}

    def update_destination(self, params: dict) -> dict:
        """UpdateDestination: change the destination settings; the version id goes up."""
        stream = self.stream_named(params["DeliveryStreamName"])
        if params["CurrentDeliveryStreamVersionId"] != str(stream.version):
            raise ServiceError(
                "ConcurrentModificationException",
                f"Firehose {stream.name} has been modified: its current version id is "
                f"{stream.version}.",
            )
        if params["DestinationId"] != DESTINATION_ID:
            raise invalid(f"Destination {params['DestinationId']} not found.")
        updates = [name for name in params if name in _UPDATE_KINDS]
        unsupported = [n for n in params if n.endswith("DestinationUpdate") and n not in updates]
        if unsupported or len(updates) != 1:
            raise invalid("Exactly one supported destination update must be provided.")
        update = updates[0]
        current = stream.destination
        config = copy.deepcopy(current.config)
        if _UPDATE_KINDS[update] != current.kind and not (
            {current.kind, _UPDATE_KINDS[update]} == {"S3", "ExtendedS3"}
        ):
            raise invalid("Changing the destination type is not supported by Pipework.")
        _merge(config, copy.deepcopy(params[update]))
        config_name = (
            "ExtendedS3DestinationConfiguration"
            if _UPDATE_KINDS[update] == "ExtendedS3"
            else f"{_UPDATE_KINDS[update]}DestinationConfiguration"
        )
        stream.destination = parse_destination({config_name: config})
        stream.version += 1
        stream.updated = self.clock.now()
        return {}

    # -- records ------------------------------------------------------------------------
    def _direct_put_stream(self, name: str) -> DeliveryStream:
        stream = self.stream_named(name)
        if stream.kind != "DirectPut":
            raise invalid(
                "This operation is not permitted on KinesisStreamAsSource delivery stream type."
            )
        return stream

    def _data(self, record: dict, path: str) -> bytes:
        data = record["Data"]
        if isinstance(data, str):
            data = data.encode()
        elif not isinstance(data, bytes):
            data = bytes(data)
        if len(data) > MAX_RECORD_BYTES:
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value at '{path}' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_RECORD_BYTES}",
            )
        return data

    def put_record(self, params: dict) -> dict:
        """PutRecord: one record into the buffer."""
        stream = self._direct_put_stream(params["DeliveryStreamName"])
        data = self._data(params["Record"], "record.data")
        record_id = self._enqueue(stream, [data], None)[0]
        return {"RecordId": record_id, "Encrypted": self._encrypted(stream)}

    def put_record_batch(self, params: dict) -> dict:
        """PutRecordBatch: up to 500 records and 4 MiB into the buffer."""
        stream = self._direct_put_stream(params["DeliveryStreamName"])
        datas = [
            self._data(record, f"records.{index}.member.data")
            for index, record in enumerate(params["Records"], 1)
        ]
        if sum(len(d) for d in datas) > MAX_BATCH_BYTES:
            raise invalid("Records size exceeds 4 MiB limit")
        ids = self._enqueue(stream, datas, None)
        return {
            "FailedPutCount": 0,
            "Encrypted": self._encrypted(stream),
            "RequestResponses": [{"RecordId": record_id} for record_id in ids],
        }

    def _encrypted(self, stream: DeliveryStream) -> bool:
        return bool(stream.encryption and stream.encryption.get("Status") == "ENABLED")

    def _new_record_id(self) -> str:
        self._record_count += 1
        return f"{self.ids.hex(40)}{self._record_count:016x}"

    def _enqueue(
        self,
        stream: DeliveryStream,
        datas: list[bytes],
        trace_id: str | None,
        kinesis: list[dict] | None = None,
    ) -> list[str]:
        now = self.clock.now()
        ids = []
        tracing = self.trace.enabled
        for index, data in enumerate(datas):
            record_id = self._new_record_id()
            trace = trace_id or (self.ids.trace_id(now) if tracing else None)
            stream.buffer.append(
                Pending(record_id, data, now, trace, kinesis[index] if kinesis else None)
            )
            stream.buffered_bytes += len(data)
            ids.append(record_id)
            if tracing:
                self.emit("put", stream.arn, message_id=record_id, trace_id=trace, size=len(data))
        stream.received += len(datas)
        for tap in list(stream.taps):
            tap(datas, now)
        self._buffered(stream)
        return ids

    def accept_values(self, stream: DeliveryStream, values: list[bytes]) -> None:
        """Take record values an MSK source read (called by MskSource)."""
        self._enqueue(stream, values, None)

    def accept_from_kinesis(
        self, stream: DeliveryStream, source: Any, shard: Any, records: list[dict]
    ) -> None:
        """Take records a Kinesis source read (called by KinesisSource)."""
        metadata = [
            {
                "shardId": shard.shard_id,
                "partitionKey": r["PartitionKey"],
                "approximateArrivalTimestamp": int(
                    r["ApproximateArrivalTimestamp"].timestamp() * 1000
                ),
                "sequenceNumber": r["SequenceNumber"],
                "subsequenceNumber": "",
            }
            for r in records
        ]
        self._enqueue(stream, [r["Data"] for r in records], None, metadata)

    # -- buffering ----------------------------------------------------------------------
    def _buffered(self, stream: DeliveryStream) -> None:
        """Flush when the size hint is reached; otherwise make sure the interval timer runs."""
        destination = stream.destination
        if stream.buffered_bytes >= destination.size_limit or destination.interval == 0:
            self._flush(stream, "size" if destination.interval else "interval")
        elif stream.timer is None and stream.buffer:
            stream.timer = self.clock.call_later(
                destination.interval, self._flush, stream, "interval"
            )

    def _flush(self, stream: DeliveryStream, reason: str) -> None:
        if stream.timer is not None:
            stream.timer.cancel()
            stream.timer = None
        batch = stream.buffer
        if not batch or self.streams.get(stream.name) is not stream:
            return
        stream.buffer = []
        size, stream.buffered_bytes = stream.buffered_bytes, 0
        stream.flushes += 1
        self.emit("flushed", stream.arn, records=len(batch), bytes=size, reason=reason)
        stream.in_flight += 1
        self.engine.spawn(self._deliver(stream, batch), name=f"firehose:{stream.name}")

    async def _deliver(self, stream: DeliveryStream, batch: list[Pending]) -> None:
        try:
            await Deliverer(self, stream).run(batch)
        finally:
            stream.in_flight -= 1

    # -- internal API -------------------------------------------------------------------
    def accept(self, name_or_arn: str, data: bytes, trace_id: str | None = None) -> str:
        """Put one record into a DirectPut delivery stream; returns its record id."""
        name = name_or_arn.rsplit("/", 1)[-1]
        stream = self._direct_put_stream(name)
        data = self._data({"Data": data}, "record.data")
        return self._enqueue(stream, [data], trace_id)[0]

    def flush(self, name: str) -> None:
        """Deliver whatever is buffered now, without waiting for size or interval."""
        self._flush(self.stream_named(name), "manual")

    # -- the fabric ---------------------------------------------------------------------
    def owns(self, arn: str) -> bool:
        """Whether a delivery stream with this ARN exists."""
        stream = self.streams.get(arn.rsplit("/", 1)[-1])
        return stream is not None and stream.arn == arn

    async def deliver(self, target_arn: str, envelope: Envelope) -> Any:
        """Put one record (EventBridge, SNS, Pipes targets); returns the record id."""
        if not self.owns(target_arn):
            raise ServiceError(
                "ResourceNotFoundException",
                f"Firehose {target_arn.rsplit('/', 1)[-1]} under account {self.account_id} "
                "not found.",
            )
        body = envelope.body
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = json.dumps(body).encode()
        return self.accept(target_arn, body, envelope.trace_id)

    # -- save and open -------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """Delivery streams with their settings and buffered records (None when there are none)."""
        if not self.streams:
            return None
        return {"delivery_streams": [_dump_stream(stream) for stream in self.streams.values()]}

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` produced; a Kinesis source resumes from LATEST."""
        for item in data.get("delivery_streams", []):
            config_name = (
                "ExtendedS3DestinationConfiguration"
                if item["destination_kind"] == "ExtendedS3"
                else f"{item['destination_kind']}DestinationConfiguration"
            )
            stream = DeliveryStream(
                name=item["name"],
                arn=item["arn"],
                kind=item["kind"],
                destination=parse_destination({config_name: item["destination"]}),
                created=item["created"],
                source_arn=item["source_arn"],
                source_role=item["source_role"],
                throughput_hint=item["throughput_hint"],
                version=item["version"],
                updated=item["updated"],
                tags=dict(item["tags"]),
                encryption=item["encryption"],
            )
            self.streams[stream.name] = stream
            kinesis: Any = self.engine.service("kinesis")
            if stream.source_arn and kinesis.stream_for_arn(stream.source_arn) is not None:
                self._sources[stream.name] = KinesisSource(self, stream, kinesis)
            buffered = [base64.b64decode(data) for data in item["buffer"]]
            if buffered:
                self._enqueue(stream, buffered, None)
                stream.received -= len(buffered)

    # -- views --------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        """Delivery streams, their Kinesis sources, Lambda transforms and destinations."""
        nodes: list[Node] = []
        edges: list[Edge] = []
        for stream in self.streams.values():
            nodes.append(
                Node(
                    stream.arn,
                    "delivery-stream",
                    stream.name,
                    self.name,
                    {
                        "buffered": len(stream.buffer),
                        "buffered_bytes": stream.buffered_bytes,
                        "received": stream.received,
                        "delivered": stream.delivered,
                        "errors": stream.failed,
                        "flushes": stream.flushes,
                    },
                )
            )
            if stream.source_arn is not None:
                edges.append(Edge(stream.source_arn, stream.arn, "delivery", "source"))
            destination = stream.destination
            if destination.processor is not None:
                edges.append(
                    Edge(stream.arn, destination.processor.lambda_arn, "integration", "transform")
                )
            if destination.kind == "HttpEndpoint":
                edges.append(Edge(stream.arn, destination.url or "", "destination", "http"))
            for bucket, label in (
                (destination.bucket, "s3"),
                (destination.backup.bucket if destination.backup else None, "backup"),
            ):
                if bucket:
                    edges.append(Edge(stream.arn, f"arn:aws:s3:::{bucket}", "destination", label))
        return nodes, edges


def _dump_stream(stream: DeliveryStream) -> dict[str, Any]:
    return {
        "name": stream.name,
        "arn": stream.arn,
        "kind": stream.kind,
        "destination_kind": stream.destination.kind,
        "destination": copy.deepcopy(stream.destination.config),
        "created": stream.created,
        "source_arn": stream.source_arn,
        "source_role": stream.source_role,
        "throughput_hint": stream.throughput_hint,
        "version": stream.version,
        "updated": stream.updated,
        "tags": dict(stream.tags),
        "encryption": copy.deepcopy(stream.encryption),
        "buffer": [base64.b64encode(record.data).decode() for record in stream.buffer],
    }


def _merge(target: dict, update: dict) -> None:
    """Apply an UpdateDestination structure onto a configuration, member by member."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


delegate_operations(FirehoseService, {"settings_api": StreamSettings})
