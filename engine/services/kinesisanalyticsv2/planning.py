"""Application code → a Plan, with the application's inputs, outputs and references resolved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from . import compiler
from .plan import Column, Plan, Reference, Sink, Source

if TYPE_CHECKING:
    from .application import Application
    from .service import AnalyticsService

OUTPUT_KINDS = {
    "KinesisStreamsOutput": "kinesis",
    "KinesisFirehoseOutput": "firehose",
    "LambdaOutput": "lambda",
}


def bucket_name(arn: str) -> str:
    """The bucket an S3 bucket ARN names."""
    return arn.rsplit(":", 1)[-1]


class Planner:
    """Application code → a Plan, with the application's inputs, outputs and references resolved."""

    def __init__(self, service: AnalyticsService) -> None:
        self.service = service

    def resolve(self, connector: str, options: dict[str, str]) -> tuple[str, str]:
        if connector == "kinesis":
            stream = options.get("stream.arn") or options.get("stream", "")
            if not stream:
                raise compiler.code_error("The kinesis connector needs 'stream' (a name or an ARN)")
            arn = (
                stream
                if stream.startswith("arn:")
                else self.service.arn(f"stream/{stream}", service="kinesis")
            )
            return "kinesis", arn
        if connector == "firehose":
            name = options.get("delivery-stream", "")
            if not name:
                raise compiler.code_error("The firehose connector needs 'delivery-stream'")
            arn = (
                name
                if name.startswith("arn:")
                else self.service.arn(f"deliverystream/{name}", service="firehose")
            )
            return "firehose", arn
        if connector == "lambda":
            function = options.get("function", "")
            arn = (
                function
                if function.startswith("arn:")
                else self.service.arn(f"function:{function}", service="lambda")
            )
            return "lambda", arn
        if connector == "kafka":
            servers = options.get("properties.bootstrap.servers", "")
            if not servers or not options.get("topic"):
                raise compiler.code_error(
                    "The kafka connector needs 'topic' and 'properties.bootstrap.servers'"
                )
            return "kafka", servers
        raise compiler.code_error(
            f"Connector '{connector}' is not available in the lab (kinesis, firehose, kafka, "
            "lambda, filesystem with an s3:// path, print, blackhole)"
        )

    def plan(self, app: Application, start: str = "LATEST") -> Plan:
        text = app.text()
        if not text.strip():
            raise ServiceError(
                "InvalidArgumentException", "The application has no code (TextContent)."
            )
        if not app.sql:
            return compiler.compile_flink(text, self.resolve)
        sources = [self.legacy_source(d, start) for d in app.inputs]
        references = [self.legacy_reference(d) for d in app.references]
        outputs = {d["Name"]: self.legacy_sink(d) for d in app.outputs}
        return compiler.compile_legacy(text, sources, references, outputs)

    def columns(self, schema: dict[str, Any]) -> tuple[list[Column], str, str]:
        fmt = schema["RecordFormat"]["RecordFormatType"]
        mapping = schema["RecordFormat"].get("MappingParameters") or {}
        delimiter = (mapping.get("CSVMappingParameters") or {}).get("RecordColumnDelimiter", ",")
        columns = [
            Column(
                c["Name"],
                compiler.duckdb_type(c["SqlType"]),
                str(index) if fmt == "CSV" else c.get("Mapping") or f"$.{c['Name']}",
            )
            for index, c in enumerate(schema["RecordColumns"])
        ]
        return columns, fmt, delimiter

    def legacy_source(self, described: dict, start: str) -> Source:
        columns, fmt, delimiter = self.columns(described["InputSchema"])
        if "KinesisStreamsInputDescription" in described:
            kind, arn = "kinesis", described["KinesisStreamsInputDescription"]["ResourceARN"]
        else:
            kind, arn = "firehose", described["KinesisFirehoseInputDescription"]["ResourceARN"]
        name = described["InAppStreamNames"][0]
        return Source(name, columns, kind, arn, fmt, delimiter, None, "arrival", 0, start)

    def legacy_reference(self, described: dict) -> Reference:
        columns, fmt, delimiter = self.columns(described["ReferenceSchema"])
        s3 = described["S3ReferenceDataSourceDescription"]
        return Reference(
            described["TableName"],
            columns,
            bucket_name(s3["BucketARN"]),
            s3["FileKey"],
            fmt,
            delimiter,
        )

    def legacy_sink(self, described: dict) -> Sink:
        fmt = described["DestinationSchema"]["RecordFormatType"]
        for key, kind in OUTPUT_KINDS.items():
            if key + "Description" in described:
                return Sink(
                    described["Name"], kind, described[key + "Description"]["ResourceARN"], fmt
                )
        raise ServiceError("InvalidArgumentException", "An output needs a destination")

    def validate(self, app: Application) -> None:
        if app.text().strip():
            self.plan(app)
