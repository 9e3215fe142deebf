"""Where a flow's records go: S3 (JSON lines, CSV or Parquet, with AppFlow's prefix and aggregation
settings), EventBridge (partner events on the flow's partner event source) and Salesforce
(insert, update, upsert, delete); failed records can go to an S3 error location."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ...errors import ServiceError

if TYPE_CHECKING:
    from .service import AppFlowService, Execution, Flow

Record = dict[str, Any]
#: Records per file when aggregation is None (AppFlow writes one file per batch it transfers).
RECORDS_PER_FILE = 1000
_EXTENSIONS = {"JSON": "json", "CSV": "csv", "PARQUET": "parquet"}
_CONTENT_TYPES = {
    "JSON": "application/json",
    "CSV": "text/csv",
    "PARQUET": "application/octet-stream",
}
_DATE_PARTS = {"YEAR": 1, "MONTH": 2, "DAY": 3, "HOUR": 4, "MINUTE": 5}
PARTNER_PREFIX = "aws.partner/appflow"


@dataclass(slots=True)
class WriteResult:
    """What one destination write achieved."""

    written: int = 0
    bytes_written: int = 0
    failed: list[tuple[Record, str]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # S3 objects written


def encode(records: list[Record], file_type: str, preserve_types: bool) -> bytes:
    """The records as one file of the given type."""
    if file_type == "CSV":
        names: dict[str, None] = {}
        for record in records:
            names.update(dict.fromkeys(record))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(names), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
        return out.getvalue().encode()
    if file_type == "PARQUET":
        import pyarrow as pa  # heavy: loaded by the first Parquet write
        import pyarrow.parquet as pq

        if not preserve_types:
            # AppFlow writes every Parquet column as a string unless asked to keep source types.
            columns: dict[str, list] = {}
            for name in dict.fromkeys(k for r in records[:1] for k in r):
                columns[name] = [None if (v := r.get(name)) is None else str(v) for r in records]
            extra = {k for r in records for k in r} - columns.keys() if len(records) > 1 else set()
            for name in sorted(extra):
                columns[name] = [None if (v := r.get(name)) is None else str(v) for r in records]
            table = pa.table(columns) if columns else pa.table({})
        else:
            table = pa.Table.from_pylist(records)
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return sink.getvalue()
    return "".join(
        json.dumps(r, default=str, separators=(",", ":")) + "\n" for r in records
    ).encode()


class S3Destination:
    """Writes a run's records as files under `bucket/prefix/flow-name/…/execution-id/`."""

    def __init__(self, service: AppFlowService, props: dict) -> None:
        self.service = service
        self.bucket = props["bucketName"]
        self.prefix = props.get("bucketPrefix", "")
        config = props.get("s3OutputFormatConfig") or {}
        self.file_type = config.get("fileType", "JSON")
        self.preserve = bool(config.get("preserveSourceDataTyping", False))
        prefix = config.get("prefixConfig") or {}
        self.prefix_type = prefix.get("prefixType")
        self.prefix_format = prefix.get("prefixFormat")
        #: What the path holds after the date (AppFlow: the run's id unless told otherwise).
        self.hierarchy = list(prefix.get("pathPrefixHierarchy") or ["EXECUTION_ID"])
        aggregation = config.get("aggregationConfig") or {}
        self.single_file = aggregation.get("aggregationType") == "SingleFile"
        self.target_mb = aggregation.get("targetFileSize")

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket}"

    def check(self) -> None:
        """ValidationException unless the bucket exists."""
        if not self.service.engine.service("s3").owns(self.arn):
            raise ServiceError(
                "ValidationException",
                f"Destination bucket {self.bucket} does not exist or AppFlow cannot write to it",
            )

    def _folder(self, flow: Flow, execution: Execution) -> tuple[str, str]:
        moment = datetime.fromtimestamp(execution.started, UTC)
        parts = [p for p in (self.prefix.strip("/"), flow.name) if p]
        stamp = ""
        depth = _DATE_PARTS.get(self.prefix_format or "", 0)
        if depth and self.prefix_type in ("PATH", "PATH_AND_FILENAME"):
            fmt = ("%Y", "%m", "%d", "%H", "%M")[:depth]
            parts.extend(moment.strftime(f) for f in fmt)
        if depth and self.prefix_type in ("FILENAME", "PATH_AND_FILENAME"):
            stamp = (
                moment.strftime(
                    ("%Y", "%Y-%m", "%Y-%m-%d", "%Y-%m-%dT%H", "%Y-%m-%dT%H-%M")[depth - 1]
                )
                + "-"
            )
        for element in self.hierarchy:
            parts.append(execution.id if element == "EXECUTION_ID" else "schemaVersion_1")
        return "/".join(parts), stamp

    def write(self, flow: Flow, execution: Execution, records: list[Record]) -> WriteResult:
        """Write the records as files; returns what was written."""
        result = WriteResult()
        if not records:
            return result
        folder, stamp = self._folder(flow, execution)
        if self.single_file:
            batches = [records]
            if self.target_mb:
                # targetFileSize: split so that each file stays near that many megabytes.
                body = encode(records[:100], self.file_type, self.preserve)
                per_record = max(1, len(body) // min(100, len(records)))
                size = max(1, int(self.target_mb * 1024 * 1024 // per_record))
                batches = [records[i : i + size] for i in range(0, len(records), size)]
        else:
            batches = [
                records[i : i + RECORDS_PER_FILE] for i in range(0, len(records), RECORDS_PER_FILE)
            ]
        s3 = self.service.engine.service("s3")
        ext = _EXTENSIONS[self.file_type]
        for number, batch in enumerate(batches):
            body = encode(batch, self.file_type, self.preserve)
            key = f"{folder}/{stamp}part-{number:05d}-{execution.id[:8]}.{ext}"
            s3.put_object_internal(
                self.bucket, key, body, content_type=_CONTENT_TYPES[self.file_type]
            )
            result.written += len(batch)
            result.bytes_written += len(body)
            result.keys.append(key)
        return result


class EventBridgeDestination:
    """Sends each record as a partner event to the bus associated with the partner event source."""

    def __init__(self, service: AppFlowService, props: dict) -> None:
        self.service = service
        self.source_name = props["object"]

    @property
    def arn(self) -> str:
        return self.service.arn(f"event-bus/{self.source_name}", service="events")

    def check(self) -> None:
        if not self.source_name.startswith(PARTNER_PREFIX + "/"):
            raise ServiceError(
                "ValidationException",
                f"The EventBridge destination object must be a partner event source named "
                f"{PARTNER_PREFIX}/…, not {self.source_name}",
            )

    def associated(self) -> bool:
        """Whether a partner event bus for the source exists."""
        return self.source_name in self.service.engine.service("events").buses

    def write(self, flow: Flow, execution: Execution, records: list[Record]) -> WriteResult:
        result = WriteResult()
        events = self.service.engine.service("events")
        detail_type = flow.source_object
        for record in records:
            try:
                events.put_event(
                    self.source_name,
                    {
                        "Source": self.source_name,
                        "DetailType": detail_type,
                        "Detail": json.dumps(record, default=str),
                        "Resources": [flow.arn],
                    },
                    execution.trace_id,
                )
            except ServiceError as error:
                result.failed.append((record, f"{error.code}: {error.message}"))
                continue
            result.written += 1
            result.bytes_written += len(json.dumps(record, default=str))
        return result


class SalesforceDestination:
    """Writes records into the Salesforce sandbox, one result per record."""

    def __init__(self, service: AppFlowService, props: dict) -> None:
        self.service = service
        self.object = props["object"]
        self.operation = props.get("writeOperationType", "INSERT")
        self.id_fields = list(props.get("idFieldNames") or [])

    @property
    def arn(self) -> str:
        return "saas:salesforce"

    def check(self) -> None:
        app = self.service.saas.app("salesforce")
        if self.object not in app.tables:
            raise ServiceError("ValidationException", f"Salesforce has no object {self.object}")
        if self.operation in ("UPSERT", "UPDATE", "DELETE") and not self.id_fields:
            raise ServiceError(
                "ValidationException",
                f"idFieldNames is required for the {self.operation} write operation",
            )

    def write(self, flow: Flow, execution: Execution, records: list[Record]) -> WriteResult:
        result = WriteResult()
        app = self.service.saas.app("salesforce")
        for record in records:
            record_id, error = app.write(self.object, self.operation, record, self.id_fields)  # type: ignore[attr-defined]
            if error is not None:
                result.failed.append((record, error))
            else:
                result.written += 1
                result.bytes_written += len(json.dumps(record, default=str))
        return result


class CustomConnectorDestination:
    """Writes records through a custom connector's WriteData, one batch per call."""

    def __init__(self, service: AppFlowService, config: dict, props: dict) -> None:
        self.service = service
        self.profile_name = config.get("connectorProfileName") or ""
        self.entity = props["entityName"]
        self.operation = props.get("writeOperationType", "INSERT")
        self.id_fields = list(props.get("idFieldNames") or [])

    @property
    def arn(self) -> str:
        profile = self.service.profiles.get(self.profile_name)
        label = profile.label if profile is not None else self.profile_name
        return self.service.arn(f"connector/{label}")

    def check(self) -> None:
        profile = self.service.profiles.get(self.profile_name)
        if profile is None or profile.connector_type != "CustomConnector":
            raise ServiceError(
                "ValidationException",
                f"connectorProfileName {self.profile_name} is not a custom connector profile",
            )

    async def write(self, flow: Flow, execution: Execution, records: list[Record]) -> WriteResult:
        result = WriteResult()
        profile = self.service.profiles[self.profile_name]
        outcome = await self.service.custom.write(
            profile, self.entity, self.operation, self.id_fields, records
        )
        for record, error in outcome:
            if error is None:
                result.written += 1
                result.bytes_written += len(json.dumps(record, default=str))
            else:
                result.failed.append((record, error))
        return result


Destination = (
    S3Destination | EventBridgeDestination | SalesforceDestination | CustomConnectorDestination
)


def destination_for(service: AppFlowService, config: dict) -> Destination:
    """The writer for one DestinationFlowConfig (ValidationException for unsupported ones)."""
    kind = config["connectorType"]
    props = config.get("destinationConnectorProperties") or {}
    if kind == "S3" and "S3" in props:
        return S3Destination(service, props["S3"])
    if kind == "EventBridge" and "EventBridge" in props:
        return EventBridgeDestination(service, props["EventBridge"])
    if kind == "Salesforce" and "Salesforce" in props:
        return SalesforceDestination(service, props["Salesforce"])
    if kind == "CustomConnector" and "CustomConnector" in props:
        return CustomConnectorDestination(service, config, props["CustomConnector"])
    raise ServiceError(
        "ValidationException",
        f"Destination connector {kind} is not available in the lab (S3, EventBridge, "
        f"Salesforce and custom connectors are), or destinationConnectorProperties has no "
        f"{kind} entry",
    )


def error_config(config: dict) -> dict | None:
    """The destination's errorHandlingConfig, if it has one."""
    for props in (config.get("destinationConnectorProperties") or {}).values():
        if isinstance(props, dict) and props.get("errorHandlingConfig"):
            return props["errorHandlingConfig"]
    return None
