"""A running application: readers feed micro-batches into DuckDB, closed windows go to sinks.

Records a reader takes wait in the source's pending list; a micro-batch runs when a timer set
`BATCH_SECONDS` after the first of them fires (or at once when `BATCH_RECORDS` wait). A batch is
staged once per source (decoded by DuckDB: JSON paths or CSV fields), each query buffers the
staged rows that are not late, and every query whose watermark passed a window's end emits.
Results leave in order through one outbox, so a given input sequence gives the same output once.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import deque
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError
from engine.service import Envelope

from .database import BATCH_TABLE, Database
from .plan import Column, Plan, Query, Reference, Sink, Source
from .readers import FirehoseReader, KafkaReader, KinesisReader
from .windows import NEVER, WindowedQuery

if TYPE_CHECKING:
    from .service import AnalyticsService

BATCH_SECONDS = 0.2
BATCH_RECORDS = 50_000
#: Most windows one query closes in one step (stagger windows of a key close one by one).
MAX_CLOSES = 1000
#: Lambda output: how many result rows one invocation carries.
LAMBDA_BATCH = 500

Listener = Callable[[str, list[str], list[tuple]], None]


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def encode_rows(names: list[str], rows: list[tuple], fmt: str) -> list[bytes]:
    """Result rows as records: one JSON object (or CSV line) each."""
    if fmt == "CSV":
        return [
            ",".join(
                ""
                if v is None
                else str(_json_value(v) if not isinstance(v, str | int | float) else v)
                for v in row
            ).encode()
            for row in rows
        ]
    return [
        json.dumps(
            dict(zip(names, row, strict=True)), default=_json_value, separators=(",", ":")
        ).encode()
        for row in rows
    ]


def _cast(text: str, sql_type: str) -> str:
    if sql_type == "TIMESTAMP":  # ISO text, or epoch milliseconds (a lab convenience)
        return f"COALESCE(epoch_ms(TRY_CAST({text} AS BIGINT)), TRY_CAST({text} AS TIMESTAMP))"
    return f"TRY_CAST({text} AS {sql_type})"


def decode_sql(columns: list[Column], fmt: str, delimiter: str) -> tuple[str, str]:
    """(the fields of a record `j` as the list `l`, the typed columns over `l`).

    Each record is parsed once: every JSON path in one `json_extract_string` call (NULL for
    a record that is not JSON), or one split of a CSV line.
    """
    exprs: list[str] = []
    paths: list[str] = []
    for column in columns:
        mapping = column.mapping
        if mapping == "__proctime":
            exprs.append(f'epoch_ms($now::BIGINT) AS "{column.name}"')
        elif mapping.startswith("__meta:"):
            exprs.append(f'epoch_ms(a) AS "{column.name}"')
        elif fmt == "CSV":
            text = f"l[{int(mapping or 0) + 1}]"
            exprs.append(f'{_cast(text, column.sql_type)} AS "{column.name}"')
        else:
            path = mapping if mapping.startswith("$") else f"$.{mapping or column.name}"
            paths.append("'" + path.replace("'", "''") + "'")
            text = f"l[{len(paths)}]"
            exprs.append(f'{_cast(text, column.sql_type)} AS "{column.name}"')
    if fmt == "CSV":
        quoted = delimiter.replace("'", "''")
        fields = f"string_split(j, '{quoted}') AS l"
    else:
        listed = ", ".join(paths) or "'$'"
        fields = f"try(json_extract_string(j, [{listed}])) AS l"
    return fields, ", ".join(exprs)


class Job:
    """One application's running queries, over one in-memory DuckDB database."""

    def __init__(self, service: AnalyticsService, app_arn: str, plan: Plan) -> None:
        self.service = service
        self.engine = service.engine
        self.clock = service.clock
        self.app_arn = app_arn
        self.plan = plan
        self.db = Database()
        self.pending: dict[str, list[tuple[bytes, int]]] = {name: [] for name in plan.sources}
        self.pending_count = 0
        self.readers: list[Any] = []
        self.queries: list[WindowedQuery] = []
        self.outbox: deque[tuple[Sink, Query, list[str], list[tuple], str | None]] = deque()
        self.sent = 0  # records handed to sinks (numbers the Kinesis partition keys)
        self.listeners: list[Listener] = []
        self.printed: deque[dict] = deque(maxlen=1000)
        self.timer: Any = None
        self.close_timer: Any = None
        self.draining: asyncio.Task | None = None
        self.rid = 0
        self.records_in = 0
        self.records_out = 0
        self.late = 0
        self.errors = 0
        self.invalid = 0
        self.running = False
        self._stage_sql: dict[str, str] = {}

    # -- start and stop -------------------------------------------------------------------
    def start(self, positions: dict[str, dict[int, int]] | None = None) -> None:
        """Load reference tables, create buffers, attach readers (ServiceError if a part is missing)."""
        for reference in self.plan.references.values():
            self._load_reference(reference)
        for source in self.plan.sources.values():
            fields, cols = decode_sql(source.columns, source.format, source.delimiter)
            valid = "WHERE l IS NOT NULL" if source.format == "JSON" else ""
            self._stage_sql[source.name] = (
                f'CREATE OR REPLACE TEMP TABLE "__stage_{source.name}" AS SELECT * FROM '
                f"(SELECT *, {self._time_sql(source)} AS __t FROM (SELECT {cols}"
                f"{', ' if cols else ''}epoch_ms(a) AS ROWTIME, r AS __rid FROM (SELECT {fields}, "
                f"a, r FROM {BATCH_TABLE}) {valid})) WHERE __t IS NOT NULL"
            )
            self._stage(source.name, [], 0)
        for index, query in enumerate(self.plan.queries):
            source = self.plan.sources[query.source]
            visible = [c.name for c in source.columns] + ["ROWTIME"]
            self.queries.append(WindowedQuery(self.db, index, query, source, visible))
        self.running = True
        for source in self.plan.sources.values():
            if source.kind == "kinesis":
                start = (positions or {}).get(source.name)
                self.readers.append(KinesisReader(self, source, start))
            elif source.kind == "firehose":
                self.readers.append(FirehoseReader(self, source))
            elif source.kind == "kafka":
                self.readers.append(KafkaReader(self, source))

    def _time_sql(self, source: Source) -> str:
        if source.time_kind == "event" and source.time_column:
            return f'epoch_ms("{source.time_column}")'
        if source.time_kind == "processing":
            return "$now::BIGINT"
        return "epoch_ms(ROWTIME)"

    def _load_reference(self, reference: Reference) -> None:
        s3 = self.engine.service("s3")
        body = s3.get_object_internal(reference.bucket, reference.key)
        lines = [line for line in body.decode("utf-8", "replace").splitlines() if line.strip()]
        fields, cols = decode_sql(reference.columns, reference.format, reference.delimiter)
        self.db.execute(
            f'CREATE OR REPLACE TABLE "{reference.name}" AS SELECT {cols} FROM '
            f"(SELECT {fields}, a FROM (SELECT unnest($j::VARCHAR[]) AS j, 0 AS a))",
            {"j": lines},
        )

    def stop(self) -> None:
        """Detach readers, cancel timers and release the database (windows still open are lost)."""
        self.running = False
        for reader in self.readers:
            reader.close()
        self.readers.clear()
        for timer in (self.timer, self.close_timer):
            if timer is not None:
                timer.cancel()
        self.timer = self.close_timer = None
        if self.draining is not None and not self.draining.done():
            self.draining.cancel()
        self.outbox.clear()
        self.pending = {name: [] for name in self.plan.sources}
        self.db.close()

    def positions(self) -> dict[str, dict[int, int]]:
        """Where each Kinesis reader stands, by source (for snapshots)."""
        return {
            r.source.name: dict(r.positions) for r in self.readers if isinstance(r, KinesisReader)
        }

    # -- input ----------------------------------------------------------------------------
    def take(self, source: str, records: list[tuple[bytes, int]]) -> None:
        """Records a reader read: batch them now if many wait, else within BATCH_SECONDS."""
        if not self.running or not records:
            return
        self.pending[source].extend(records)
        self.pending_count += len(records)
        if self.pending_count >= BATCH_RECORDS:
            self.run_batch()
        elif self.timer is None:
            self.timer = self.clock.call_later(BATCH_SECONDS, self._tick)

    def _tick(self) -> None:
        self.timer = None
        if self.running:
            for reader in self.readers:
                reader.poll()
            self.run_batch()

    def _stage(self, source: str, records: list[tuple[bytes, int]], now_ms: int) -> str:
        sql = self._stage_sql[source]
        params = {"now": now_ms} if "$now" in sql else None
        self.db.stage(records, self.rid, sql, params)
        self.rid += len(records)
        return f'"__stage_{source}"'

    def run_batch(self) -> None:
        """Stage what waits, feed every query, and emit every window that closed."""
        if not self.running:
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        now_ms = self.clock.now_ms()
        batches = [(name, records) for name, records in self.pending.items() if records]
        for name in self.pending:
            self.pending[name] = []
        self.pending_count = 0
        for name, records in batches:
            stage = self._stage(name, records, now_ms)
            (staged,) = self.db.execute(f"SELECT count(*) FROM {stage}").fetchone()
            self.invalid += len(records) - staged
            self.records_in += len(records)
            for query in self.queries:
                if query.query.source == name and not query.failed:
                    try:
                        late = query.ingest(stage, now_ms)
                    except self.db.duckdb.Error as error:
                        self._failed(query, error)
                        continue
                    if late:
                        self.late += late
                        self.service.emit(
                            "late-dropped",
                            self.app_arn,
                            query=query.query.name,
                            count=late,
                            watermark=query.watermark,
                        )
        self.close_due(now_ms)

    def close_due(self, now_ms: int) -> None:
        """Emit the windows whose end the watermark passed; arm the clock for the next one."""
        next_clock = NEVER
        for query in self.queries:
            if query.failed:
                continue
            query.advance_clock(now_ms)
            # Stagger windows of one key may close one after another in a single step.
            for _ in range(MAX_CLOSES):
                if not query.due():
                    break
                try:
                    names, rows = query.close()
                except self.db.duckdb.Error as error:
                    self._failed(query, error)
                    break
                # A window's result starts a journey of its own: its records carry this trace id.
                trace_id = None
                if self.service.trace.enabled:
                    trace_id = self.service.ids.trace_id(self.clock.now())
                    preview = json.dumps(
                        [dict(zip(names, row, strict=True)) for row in rows[:5]],
                        default=_json_value,
                    )[:256]
                    self.service.emit(
                        "window-closed",
                        self.app_arn,
                        trace_id=trace_id,
                        query=query.query.name,
                        rows=len(rows),
                        watermark=query.watermark,
                        sink=query.query.sink,
                        window=query.query.window.kind if query.query.window else None,
                        results=preview,
                    )
                if rows:
                    self._emit(query.query, names, rows, trace_id)
            if query.source.time_kind != "event" and query.next_close < NEVER:
                next_clock = min(next_clock, query.next_close)
        if self.close_timer is not None:
            self.close_timer.cancel()
            self.close_timer = None
        if next_clock < NEVER and self.running:
            self.close_timer = self.clock.call_at(next_clock / 1000, self._on_close_timer)

    def _failed(self, query: WindowedQuery, error: Exception) -> None:
        """A query whose SQL fails on the data stops; the others run on (Flink restarts a
        failing job from its last checkpoint and fails again; the lab traces it once)."""
        query.failed = str(error).splitlines()[0][:300]
        self.errors += 1
        self.service.emit("failed", self.app_arn, query=query.query.name, error=query.failed)

    def _on_close_timer(self) -> None:
        self.close_timer = None
        if self.running:
            for reader in self.readers:
                reader.poll()
            self.run_batch()

    # -- output ---------------------------------------------------------------------------
    def _emit(
        self, query: Query, names: list[str], rows: list[tuple], trace_id: str | None
    ) -> None:
        sink = self.plan.sinks[query.sink]
        self.records_out += len(rows)
        for listener in list(self.listeners):
            listener(query.name, names, rows)
        if sink.kind == "stream":
            data = encode_rows(names, rows, "JSON")
            now_ms = self.clock.now_ms()
            self.pending[sink.name].extend((d, now_ms) for d in data)
            self.pending_count += len(data)
            if self.timer is None:
                self.timer = self.clock.call_later(BATCH_SECONDS, self._tick)
            return
        if sink.kind == "print":
            for row in rows:
                self.printed.append(dict(zip(names, row, strict=True)))
            return
        if sink.kind == "blackhole":
            return
        self.outbox.append((sink, query, names, rows, trace_id))
        if self.draining is None or self.draining.done():
            self.draining = self.engine.spawn(self._drain(), name=f"analytics-out:{self.app_arn}")

    async def _drain(self) -> None:
        while self.outbox:
            sink, query, names, rows, trace_id = self.outbox.popleft()
            data = encode_rows(names, rows, sink.format)
            try:
                if sink.kind == "lambda":
                    await self._to_lambda(sink, data, trace_id)
                else:
                    await self._to_stream(sink, data, trace_id)
            except ServiceError as error:
                self.errors += len(data)
                self.service.emit(
                    "delivery-failed",
                    self.app_arn,
                    trace_id=trace_id,
                    sink=sink.arn,
                    error=error.code,
                    records=len(data),
                )
                continue
            self.service.emit(
                "delivered",
                self.app_arn,
                trace_id=trace_id,
                sink=sink.arn,
                query=query.name,
                records=len(data),
            )

    async def _to_stream(self, sink: Sink, data: list[bytes], trace_id: str | None) -> None:
        fabric = self.engine.fabric
        for body in data:
            self.sent += 1
            options = {"partition_key": str(self.sent)} if sink.kind == "kinesis" else {}
            envelope = Envelope(
                body=body, source_arn=self.app_arn, trace_id=trace_id, options=options
            )
            await fabric.deliver(sink.arn, envelope)

    async def _to_lambda(self, sink: Sink, data: list[bytes], trace_id: str | None) -> None:
        for start in range(0, len(data), LAMBDA_BATCH):
            chunk = data[start : start + LAMBDA_BATCH]
            event = {
                "invocationId": self.service.ids.uuid(),
                "applicationArn": self.app_arn,
                "records": [
                    {
                        "recordId": self.service.ids.uuid(),
                        "lambdaDeliveryRecordMetadata": {"retryHint": 0},
                        "data": base64.b64encode(body).decode(),
                    }
                    for body in chunk
                ],
            }
            await self.engine.fabric.deliver(
                sink.arn,
                Envelope(
                    body=event,
                    source_arn=self.app_arn,
                    trace_id=trace_id,
                    options={"invocation_type": "RequestResponse"},
                ),
            )

    # -- views ----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Counters and window state for the flow map and the console."""
        watermarks = [q.watermark for q in self.queries if q.watermark > -NEVER]
        return {
            "received": self.records_in,
            "emitted": self.records_out,
            "open_windows": sum(q.open_windows() for q in self.queries) if self.running else 0,
            "late_dropped": self.late,
            "errors": self.errors,
            "rejected": self.invalid,
            "buffered_rows": sum(q.buffered for q in self.queries),
            "watermark_ms": min(watermarks) if watermarks else None,
        }

    def millis_behind(self) -> int:
        """How far the readers are behind the newest record (0 when caught up)."""
        return max((reader.millis_behind() for reader in self.readers), default=0)
