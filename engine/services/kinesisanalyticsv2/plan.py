"""What a compiled application runs: its sources, windows, queries and sinks, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Column:
    """One input column: its name, DuckDB type and where it comes from in a record."""

    name: str
    sql_type: str  # a DuckDB type
    mapping: str = ""  # JSON path ("$.page") for JSON records, 0-based index text for CSV


@dataclass(slots=True)
class Source:
    """A stream the application reads: a Kinesis stream, a Firehose stream or a query's output."""

    name: str  # the in-application stream / table name the SQL uses
    columns: list[Column]
    kind: str = "kinesis"  # kinesis | firehose | kafka (an MSK topic) | stream (a query's output)
    arn: str = ""
    format: str = "JSON"  # JSON | CSV
    delimiter: str = ","
    time_column: str | None = None  # the event-time column; None: ROWTIME / processing time
    time_kind: str = "arrival"  # event | arrival (ROWTIME, Kinesis arrival time) | processing
    delay_ms: int = 0  # bounded out-of-orderness of the watermark
    start: str = "LATEST"  # LATEST | TRIM_HORIZON
    topic: str = ""  # kafka: the topic
    group: str = ""  # kafka: the consumer group (properties.group.id)


@dataclass(slots=True)
class Reference:
    """A bounded table joined to the stream: an S3 object read when the application starts."""

    name: str
    columns: list[Column]
    bucket: str
    key: str
    format: str = "JSON"
    delimiter: str = ","


@dataclass(slots=True)
class Window:
    """How rows are grouped in time: tumbling, hopping (sliding), session or stagger windows."""

    kind: str  # tumble | hop | session | stagger
    size_ms: int
    slide_ms: int = 0
    gap_ms: int = 0
    partition: list[str] = field(default_factory=list)  # session keys (column names)
    keys: list[str] = field(default_factory=list)  # stagger keys (DuckDB expressions)


@dataclass(slots=True)
class Sink:
    """Where a query's rows go."""

    name: str
    kind: str  # kinesis | firehose | lambda | stream | print | blackhole
    arn: str = ""
    format: str = "JSON"


@dataclass(slots=True)
class Query:
    """One continuous query (a Flink INSERT or a legacy pump): source → window → SQL → sink."""

    name: str
    source: str  # the Source name
    sink: str  # the Sink name
    sql: str  # DuckDB SQL over the relation "__win" (rows of closed windows, or of the batch)
    window: Window | None = None
    columns: list[str] = field(default_factory=list)  # output names by position (legacy streams)


@dataclass(slots=True)
class Plan:
    """A whole application: everything the job needs, nothing about how it runs."""

    sources: dict[str, Source] = field(default_factory=dict)
    references: dict[str, Reference] = field(default_factory=dict)
    sinks: dict[str, Sink] = field(default_factory=dict)
    queries: list[Query] = field(default_factory=list)
