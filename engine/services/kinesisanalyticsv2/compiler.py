"""Application code → a `Plan`: sqlglot parses, the lab finds sources, windows and sinks.

Flink SQL (the lab's convention for FLINK-* runtimes): `CREATE TABLE … WITH ('connector' = …)`
declares sources, sinks and S3 reference tables; each `INSERT INTO sink SELECT …` is a query.
Legacy SQL (SQL-1_0): the application's inputs are in-application streams (`NamePrefix_001`),
`CREATE STREAM` declares in-application streams, each pump's `INSERT INTO … SELECT STREAM …` is a
query, and outputs map in-application streams to destinations.
Windows: Flink's window TVFs (`TABLE(TUMBLE|HOP|SESSION(…))`), the group-window functions
(`GROUP BY TUMBLE|HOP|SESSION(ts, …)` with `*_START`/`*_END`) and the legacy `STEP(ts BY i)` /
`FLOOR(ts TO unit)`; the SELECT becomes DuckDB SQL over `__win`, the rows of closed windows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import dialect
from .dialect import code_error
from .plan import Column, Plan, Query, Reference, Sink, Source, Window

_UNITS_MS = {
    "MILLISECOND": 1,
    "SECOND": 1000,
    "MINUTE": 60_000,
    "HOUR": 3_600_000,
    "DAY": 86_400_000,
}
_GROUP_WINDOWS = {"TUMBLE": "tumble", "HOP": "hop", "SESSWIN": "session", "STEP": "tumble"}
_WINDOW_TVFS = {"TUMBLE": "tumble", "HOP": "hop", "SESSWIN": "session"}
_AUXILIARY = re.compile(r"^(TUMBLE|HOP|SESSION|SESSWIN)_(START|END|ROWTIME|PROCTIME)$", re.I)
WIN = "__win"

#: Resolves a connector's options to (kind, arn); raises ServiceError when the target is missing.
Resolver = Callable[[str, dict[str, str]], tuple[str, str]]


def _sqlglot() -> Any:
    import sqlglot  # heavy: imported when the first application compiles

    return sqlglot


def parse(text: str) -> list[Any]:
    """Statements of a script; a syntax error names its line, column and token."""
    sqlglot = _sqlglot()
    try:
        statements = sqlglot.parse(text, read="risingwave")
    except sqlglot.errors.ParseError as error:
        first = error.errors[0] if error.errors else {}
        raise code_error(
            f'SQL parse failed. Encountered "{first.get("highlight", "")}" at line '
            f"{first.get('line', 1)}, column {first.get('col', 1)}: {first.get('description', error)}"
        ) from None
    except sqlglot.errors.TokenError as error:
        raise code_error(f"SQL parse failed. {error}") from None
    return [s for s in statements if s is not None]


def interval_ms(node: Any) -> int:
    """An `INTERVAL 'n' UNIT` literal in milliseconds."""
    exp = _sqlglot().exp
    if not isinstance(node, exp.Interval):
        raise code_error(f"Expected an INTERVAL literal, found {node.sql()}")
    unit = str(node.args.get("unit").name if node.args.get("unit") else "SECOND").upper()
    unit = unit[:-1] if unit.endswith("S") and unit[:-1] in _UNITS_MS else unit
    try:
        amount = float(node.this.name)
    except ValueError:
        raise code_error(f"Bad INTERVAL value {node.this.sql()}") from None
    if unit not in _UNITS_MS or amount <= 0:
        raise code_error(f"Unsupported INTERVAL {node.sql()}")
    return int(amount * _UNITS_MS[unit])


def duckdb_type(sql_type: str) -> str:
    """A Flink or legacy SQL type as a DuckDB type."""
    text = sql_type.strip().upper()
    base = text.split("(")[0].strip()
    if base in ("STRING", "VARCHAR", "CHAR", "CHARACTER", "TEXT"):
        return "VARCHAR"
    if base.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if base in ("INT", "INTEGER"):
        return "INTEGER"
    if base in ("DOUBLE", "FLOAT", "REAL", "DOUBLE PRECISION"):
        return "DOUBLE"
    if base in ("BIGINT", "SMALLINT", "TINYINT", "BOOLEAN", "DATE", "TIME"):
        return base
    if base in ("DECIMAL", "NUMERIC"):
        return text.replace("NUMERIC", "DECIMAL")
    raise code_error(f"Unsupported column type {sql_type}")


def _name(node: Any) -> str:
    return node.name if node is not None else ""


def _options(create: Any) -> dict[str, str]:
    properties = create.args.get("properties")
    options: dict[str, str] = {}
    for prop in properties.expressions if properties else []:
        key = prop.this.name if hasattr(prop.this, "name") else str(prop.this)
        value = prop.args.get("value")
        options[str(key).lower()] = value.name if value is not None else ""
    return options


class _Translator:
    """Turns one SELECT into (source name, window, DuckDB SQL)."""

    def __init__(self, plan: Plan, legacy: bool) -> None:
        self.plan = plan
        self.legacy = legacy
        self.exp = _sqlglot().exp

    def translate(self, select: Any) -> tuple[str, Window | None, str]:
        exp = self.exp
        if not isinstance(select, exp.Select):
            raise code_error(f"Only SELECT queries can feed a stream, not: {select.sql()[:80]}")
        if select.find(exp.Window) is not None:
            raise code_error(
                "Sliding windows with OVER (… PRECEDING) are not emulated by the lab; for a "
                "sliding aggregate use HOP(ts, slide, size) in GROUP BY."
            )
        source, window, alias = self._from(select)
        group = select.args.get("group")
        grouped = group is not None or any(
            isinstance(node, exp.AggFunc) for node in select.find_all(exp.AggFunc)
        )
        if window is None and group is not None:
            window = self._group_window(select, source)
        if grouped and window is None:
            raise code_error(
                "A GROUP BY or an aggregate over a stream needs a window over the time column: "
                + (
                    "STEP(ROWTIME BY INTERVAL ...) or FLOOR(ROWTIME TO unit) in GROUP BY."
                    if self.legacy
                    else "TUMBLE, HOP or SESSION (window TVF or GROUP BY window function)."
                )
            )
        if window is not None and window.kind == "session" and not window.partition:
            window.partition = [
                e.name
                for e in (group.expressions if group else [])
                if isinstance(e, exp.Column) and e.name not in ("window_start", "window_end")
            ]
        for node in list(select.find_all(exp.Floor)):
            if node.args.get("to") is not None:
                node.replace(self._truncate(node))
        select.set(
            "from_",
            exp.From(
                this=exp.Table(
                    this=exp.to_identifier(WIN),
                    alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)),
                )
            ),
        )
        return source.name, window, select.sql(dialect="duckdb")

    def _truncate(self, node: Any) -> Any:
        """FLOOR(ts TO unit) as DuckDB says it: date_trunc('unit', ts)."""
        exp = self.exp
        unit = exp.Literal.string(node.args["to"].name.lower())
        return exp.Anonymous(this="date_trunc", expressions=[unit, node.this])

    def _duckdb(self, node: Any) -> str:
        exp = self.exp
        if isinstance(node, exp.Floor) and node.args.get("to") is not None:
            node = self._truncate(node)
        for inner in list(node.find_all(exp.Floor)):
            if inner.args.get("to") is not None:
                inner.replace(self._truncate(inner))
        return node.sql(dialect="duckdb")

    # -- FROM ---------------------------------------------------------------------------
    def _from(self, select: Any) -> tuple[Source, Window | None, str]:
        exp = self.exp
        frm = select.args.get("from_")
        if frm is None:
            raise code_error("A streaming query needs a FROM clause naming a stream.")
        node = frm.this
        call = (
            node.this.this
            if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Table)
            else None
        )
        if isinstance(call, exp.Anonymous) and call.name.upper() in _WINDOW_TVFS:
            return self._tvf(call, node.alias)
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            source = self._source(node.name)
            return source, None, node.alias or source.name
        raise code_error(f"Unsupported FROM clause: {node.sql()[:80]}")

    def _source(self, name: str) -> Source:
        source = self.plan.sources.get(name) or self.plan.sources.get(name.upper())
        if source is None:
            if name in self.plan.references:
                raise code_error(
                    f"Reference table '{name}' cannot be the stream a query reads; join it."
                )
            raise code_error(f"Object '{name}' not found")
        return source

    def _time_attribute(self, source: Source, column: str) -> None:
        if column.upper() == "ROWTIME" and self.legacy:
            return
        if column != source.time_column:
            raise code_error(
                f"Window aggregate can only be defined over a time attribute column, but "
                f"'{column}' of '{source.name}' is not one (declare WATERMARK FOR {column} or "
                f"{column} AS PROCTIME())."
            )

    def _tvf(self, call: Any, alias: str) -> tuple[Source, Window, str]:
        exp = self.exp
        kind = _WINDOW_TVFS[call.name.upper()]
        args = list(call.expressions)
        if not args or not isinstance(args[0], exp.Column):
            raise code_error(f"{call.name}: the first argument must be TABLE <name>.")
        source = self._source(args[0].name)
        partition: list[str] = []
        rest = args[1:]
        if rest and isinstance(rest[0], exp.Anonymous) and rest[0].name.upper() == "PARTITION_BY":
            partition = [e.name for e in rest[0].expressions]
            rest = rest[1:]
        if not rest or not (
            isinstance(rest[0], exp.Anonymous) and rest[0].name.upper() == "DESCRIPTOR"
        ):
            raise code_error(f"{call.name}: the second argument must be DESCRIPTOR(<time column>).")
        self._time_attribute(source, rest[0].expressions[0].name)
        sizes = [interval_ms(node) for node in rest[1:]]
        window = self._window(kind, sizes, call.name)
        window.partition = partition
        return source, window, alias or source.name

    def _window(self, kind: str, sizes: list[int], name: str) -> Window:
        if kind == "hop":
            if len(sizes) != 2:
                raise code_error(f"{name} takes a slide and a size interval.")
            slide, size = sizes
            if size % slide:
                raise code_error(f"{name}: the window size must be a multiple of the slide.")
            return Window("hop", size, slide_ms=slide)
        if len(sizes) != 1:
            raise code_error(f"{name} takes one interval.")
        if kind == "session":
            return Window("session", sizes[0], gap_ms=sizes[0])
        return Window("tumble", sizes[0], slide_ms=sizes[0])

    # -- GROUP BY windows ---------------------------------------------------------------------
    def _group_window(self, select: Any, source: Source) -> Window | None:
        exp = self.exp
        group = select.args["group"]
        stagger = next(
            (
                n
                for n in group.expressions
                if isinstance(n, exp.Anonymous) and n.name.upper() == "STAGGERWIN"
            ),
            None,
        )
        if stagger is not None:
            # Legacy stagger windows: per partition key, from its first row's ROWTIME on.
            size = interval_ms(stagger.expressions[0])
            stagger.pop()
            keys = [self._duckdb(e.copy()) for e in group.expressions]
            group.append("expressions", exp.column("window_start"))
            group.append("expressions", exp.column("window_end"))
            return Window("stagger", size, keys=keys)
        found: tuple[Any, Window] | None = None
        for node in list(group.expressions):
            window = self._window_call(node, source)
            if window is not None:
                found = (node, window)
                node.pop()
        if found is None:
            return None
        marker, window = found
        group.append("expressions", exp.column("window_start"))
        group.append("expressions", exp.column("window_end"))
        for node in list(select.find_all(exp.Anonymous, exp.Floor)):
            replacement = self._auxiliary(node, marker)
            if replacement is not None:
                node.replace(replacement)
        return window

    def _window_call(self, node: Any, source: Source) -> Window | None:
        exp = self.exp
        if isinstance(node, exp.Floor) and node.args.get("to") is not None:
            self._time_attribute(source, node.this.name)
            unit = node.args["to"].name.upper()
            if unit not in _UNITS_MS:
                raise code_error(f"FLOOR(... TO {unit}) is not a supported window unit")
            return Window("tumble", _UNITS_MS[unit], slide_ms=_UNITS_MS[unit])
        if isinstance(node, exp.Anonymous) and node.name.upper() in _GROUP_WINDOWS:
            args = list(node.expressions)
            if not args:
                raise code_error(f"{node.name} needs a time column.")
            self._time_attribute(source, args[0].name)
            return self._window(
                _GROUP_WINDOWS[node.name.upper()], [interval_ms(a) for a in args[1:]], node.name
            )
        return None

    def _auxiliary(self, node: Any, marker: Any) -> Any:
        exp = self.exp
        if node == marker:
            return exp.column("window_start")
        match = _AUXILIARY.match(node.name or "") if isinstance(node, exp.Anonymous) else None
        if match is None:
            return None
        part = match.group(2).upper()
        if part == "START":
            return exp.column("window_start")
        if part == "END":
            return exp.column("window_end")
        return exp.Sub(
            this=exp.column("window_end"),
            expression=exp.Interval(this=exp.Literal.string("1"), unit=exp.Var(this="MILLISECOND")),
        )


# -- Flink SQL ----------------------------------------------------------------------------------
def compile_flink(text: str, resolve: Resolver) -> Plan:
    """A Flink SQL script (the lab's convention for FLINK-* application code) → a Plan."""
    rewritten, metadata = dialect.flink(text)
    statements = parse(rewritten)
    exp = _sqlglot().exp
    plan = Plan()
    tables: dict[str, tuple[Any, dict[str, str]]] = {}
    inserts: list[Any] = []
    for statement in statements:
        if isinstance(statement, exp.Create) and str(statement.args.get("kind")).upper() == "TABLE":
            schema = statement.this
            table = schema.this if isinstance(schema, exp.Schema) else schema
            tables[table.name] = (statement, _options(statement))
        elif isinstance(statement, exp.Insert | exp.Select):
            inserts.append(statement)
        elif isinstance(statement, exp.Set | exp.Command):
            continue
        else:
            raise code_error(f"Unsupported statement: {statement.sql()[:80]}")
    targets = {_insert_target(i) for i in inserts if isinstance(i, exp.Insert)}
    for name, (create, options) in tables.items():
        _declare_flink(plan, name, create, options, metadata, name in targets, resolve)
    translator = _Translator(plan, legacy=False)
    for number, statement in enumerate(inserts, 1):
        if isinstance(statement, exp.Insert):
            sink_name, select = _insert_target(statement), statement.expression
            if sink_name not in plan.sinks:
                raise code_error(f"Object '{sink_name}' not found (declare it with CREATE TABLE)")
        else:
            sink_name, select = "__print", statement
            plan.sinks.setdefault("__print", Sink("__print", "print"))
        source, window, sql = translator.translate(select)
        plan.queries.append(Query(f"query-{number}", source, sink_name, sql, window))
    if not plan.queries:
        raise code_error("The application code has no INSERT INTO … SELECT statement.")
    return plan


def _insert_target(insert: Any) -> str:
    target = insert.this
    return (
        target.this.name
        if hasattr(target, "this")
        and hasattr(target.this, "name")
        and not isinstance(target.this, str)
        else target.name
    )


def _declare_flink(
    plan: Plan,
    name: str,
    create: Any,
    options: dict[str, str],
    metadata: dict[str, str],
    is_sink: bool,
    resolve: Resolver,
) -> None:
    exp = _sqlglot().exp
    connector = options.get("connector", "")
    if not connector:
        raise code_error(f"Table '{name}' needs WITH ('connector' = ...)")
    columns: list[Column] = []
    time_column, time_kind, delay = None, "processing", 0
    for node in create.this.expressions:
        if isinstance(node, exp.WatermarkColumnConstraint):
            time_column = node.this.name
            time_kind = "event"
            bound = node.expression
            delay = interval_ms(bound.expression) if isinstance(bound, exp.Sub) else 0
        elif isinstance(node, exp.ColumnDef):
            computed = node.find(exp.ComputedColumnConstraint)
            if computed is not None:
                if (
                    isinstance(computed.this, exp.Anonymous)
                    and computed.this.name.upper() == "PROCTIME"
                ):
                    time_column, time_kind = node.name, "processing"
                    columns.append(Column(node.name, "TIMESTAMP", "__proctime"))
                    continue
                raise code_error(
                    f"Computed column '{node.name}' is not supported (only AS PROCTIME())"
                )
            sql_type = node.args["kind"].sql() if node.args.get("kind") else "STRING"
            mapping = f"__meta:{metadata[node.name]}" if node.name in metadata else f"$.{node.name}"
            columns.append(Column(node.name, duckdb_type(sql_type), mapping))
    fmt = options.get("format", "json").upper()
    if fmt not in ("JSON", "CSV"):
        raise code_error(f"Table '{name}': format '{fmt.lower()}' is not supported (json, csv)")
    if fmt == "CSV":
        for index, column in enumerate(c for c in columns if c.mapping.startswith("$.")):
            column.mapping = str(index)
    if connector == "filesystem":
        path = options.get("path", "")
        if not path.startswith("s3://"):
            raise code_error(f"Table '{name}': filesystem 'path' must be s3://bucket/key")
        bucket, _, key = path[5:].partition("/")
        plan.references[name] = Reference(
            name, columns, bucket, key, fmt, options.get("csv.field-delimiter", ",")
        )
        return
    if is_sink:
        if connector in ("print", "blackhole"):
            plan.sinks[name] = Sink(name, connector)
            return
        if connector == "kafka":
            raise code_error(
                f"Table '{name}': the lab's kafka connector reads topics, it is no sink"
            )
        kind, arn = resolve(connector, options)
        plan.sinks[name] = Sink(name, kind, arn, fmt)
        return
    kind, arn = resolve(connector, options)
    if time_column is None:
        time_kind = "processing"
    if kind == "kafka":
        mode = options.get("scan.startup.mode", "group-offsets")
        starts = {
            "earliest-offset": "TRIM_HORIZON",
            "latest-offset": "LATEST",
            "group-offsets": "LATEST",
        }
        if mode not in starts:
            raise code_error(
                f"Table '{name}': scan.startup.mode must be one of {', '.join(starts)}"
            )
        start = starts[mode]
    else:
        start = options.get(
            "scan.stream.initpos", options.get("source.init.position", "LATEST")
        ).upper()
    if start not in ("LATEST", "TRIM_HORIZON"):
        raise code_error(f"Table '{name}': scan.stream.initpos must be LATEST or TRIM_HORIZON")
    plan.sources[name] = Source(
        name,
        columns,
        kind,
        arn,
        fmt,
        options.get("csv.field-delimiter", ","),
        time_column,
        time_kind,
        delay,
        start,
        options.get("topic", ""),
        options.get("properties.group.id", f"flink-{name}"),
    )


# -- legacy SQL ---------------------------------------------------------------------------------
def compile_legacy(
    text: str, sources: list[Source], references: list[Reference], outputs: dict[str, Sink]
) -> Plan:
    """Legacy Kinesis Data Analytics SQL (SQL-1_0) with the application's inputs and outputs."""
    rewritten, pumps = dialect.legacy(text)
    statements = parse(rewritten)
    exp = _sqlglot().exp
    plan = Plan()
    for source in sources:
        plan.sources[source.name] = source
    for reference in references:
        plan.references[reference.name] = reference
    pump_names = list(pumps.values())
    inserts: list[Any] = []
    declared: dict[str, Any] = {}
    for statement in statements:
        if isinstance(statement, exp.Create):
            schema = statement.this
            table = schema.this if isinstance(schema, exp.Schema) else schema
            declared[table.name] = statement
        elif isinstance(statement, exp.Insert):
            inserts.append(statement)
        else:
            raise code_error(f"Unsupported statement: {statement.sql()[:80]}")
    translator = _Translator(plan, legacy=True)
    for number, insert in enumerate(inserts):
        target = _insert_target(insert)
        if target not in declared:
            raise code_error(
                f"Object '{target}' not found (declare it with CREATE OR REPLACE STREAM)"
            )
        if target in outputs:
            plan.sinks[target] = outputs[target]
        else:
            plan.sinks[target] = Sink(target, "stream")
            columns = [
                Column(d.name, duckdb_type(d.args["kind"].sql()), f"$.{d.name}")
                for d in declared[target].this.expressions
                if isinstance(d, exp.ColumnDef) and d.args.get("kind") is not None
            ]
            plan.sources.setdefault(target, Source(target, columns, "stream"))
        names = [d.name for d in declared[target].this.expressions if isinstance(d, exp.ColumnDef)]
        items = len(insert.expression.expressions)
        if names and items != len(names):
            raise code_error(
                f"Number of INSERT target columns ({len(names)}) does not equal number of "
                f"source items ({items}) for '{target}'"
            )
        source, window, sql = translator.translate(insert.expression)
        name = pump_names[number] if number < len(pump_names) else f"pump-{number + 1}"
        # An in-application stream's rows take its declared column names, by position.
        plan.queries.append(Query(name, source, target, sql, window, columns=names))
    if not plan.queries:
        raise code_error(
            "The application code has no pump (CREATE OR REPLACE PUMP … AS INSERT INTO …)."
        )
    return plan
