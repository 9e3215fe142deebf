"""One continuous query's state on DuckDB: its buffered rows, watermark and closing windows.

Rows wait in the query's buffer table until every window they belong to has closed; then the
query's SQL runs over the closed windows' rows (`__win`), the rows are deleted, and the result
rows are handed back in a fixed order. A window closes when the watermark passes its end: the
largest event time seen minus the bounded out-of-orderness (event time), or the engine clock
(ROWTIME / processing time). A row whose every window has already closed is late: dropped and
counted, as Flink drops late rows from window aggregations.
"""

from __future__ import annotations

from typing import Any

from .plan import Query, Source

NEVER = 2**62


class WindowedQuery:
    """The buffer, watermark and counters of one query; `ingest` then `close` per micro-batch."""

    def __init__(
        self, db: Any, index: int, query: Query, source: Source, visible: list[str]
    ) -> None:
        self.db = db
        self.query = query
        self.source = source
        self.table = f"__buf_{index}"
        self.watermark = -NEVER  # ms; nothing has closed yet
        self.emitted = -NEVER  # the watermark at the last emission
        self.next_close = NEVER
        self.records_in = 0
        self.records_out = 0
        self.late = 0
        self.windows_closed = 0
        self.buffered = 0
        self.failed: str | None = None  # why the query stopped (its SQL failed on the data)
        self.oldest: int | None = None  # the smallest buffered event time (None: unknown)
        window = query.window
        names = ", ".join(f'"{name}"' for name in visible)
        self._window_key = (
            "window_start, window_end"
            + "".join(f', "{k}"' for k in (window.partition if window is not None else []))
            + "".join(f", {k}" for k in (window.keys if window is not None else []))
        )
        db.execute(f'CREATE TABLE {self.table} AS SELECT * FROM "__stage_{source.name}" LIMIT 0')
        self._late_sql, self._win_sql, self._release_sql = self._statements(window, names)

    # -- SQL per window kind --------------------------------------------------------------
    def _statements(self, window: Any, names: str) -> tuple[str, str, str]:
        table = self.table
        if window is None:
            return ("FALSE", f"SELECT {names} FROM {table}", f"DELETE FROM {table}")
        if window.kind in ("tumble", "hop"):
            size, slide = window.size_ms, window.slide_ms
            win = (
                f"SELECT {names}, epoch_ms(w) AS window_start, epoch_ms(w + {size}) AS window_end, "
                f"epoch_ms(w + {size} - 1) AS window_time FROM (SELECT b.*, "
                f"(b.__t // {slide}) * {slide} - r.i * {slide} AS w FROM {table} b, "
                f"range(0, {size // slide}) r(i)) WHERE w + {size} <= $wm AND w + {size} > $emitted"
            )
            # The last window holding a row starts on the row's own slide (tumble: slide = size).
            last_end = f"(__t // {slide}) * {slide} + {size}"
            return (f"{last_end} <= $wm", win, f"DELETE FROM {table} WHERE {last_end} <= $wm")
        if window.kind == "stagger":
            return self._stagger(window, names)
        keys = ", ".join(f'"{k}"' for k in window.partition)
        by = f"PARTITION BY {keys} " if keys else ""
        gap = window.gap_ms
        sessions = (
            f"WITH __s AS (SELECT *, CASE WHEN __t - lag(__t) OVER ({by}ORDER BY __t, __rid) < {gap} "
            f"THEN 0 ELSE 1 END AS __new FROM {table}), __g AS (SELECT *, sum(__new) OVER ({by}ORDER "
            f"BY __t, __rid ROWS UNBOUNDED PRECEDING) AS __sid FROM __s), __w AS (SELECT *, "
            f"min(__t) OVER (PARTITION BY {keys + ', ' if keys else ''}__sid) AS __ws, max(__t) OVER "
            f"(PARTITION BY {keys + ', ' if keys else ''}__sid) + {gap} AS __we FROM __g)"
        )
        self._sessions = sessions
        win = (
            f"{sessions} SELECT {names}, epoch_ms(__ws) AS window_start, epoch_ms(__we) AS "
            f"window_end, epoch_ms(__we - 1) AS window_time FROM __w WHERE __we <= $wm"
        )
        release = f"DELETE FROM {table} WHERE __rid IN ({sessions} SELECT __rid FROM __w WHERE __we <= $wm)"
        return (f"__t + {gap} <= $wm", win, release)

    def _stagger(self, window: Any, names: str) -> tuple[str, str, str]:
        # A key's window opens at its first row's time and closes `size` later; its rows are
        # those before the close, and the next row of that key opens the next window.
        table, size = self.table, window.size_ms
        by = f"PARTITION BY {', '.join(window.keys)}" if window.keys else ""
        self._sessions = f"WITH __w AS (SELECT *, min(__t) OVER ({by}) AS __ws FROM {table})"
        closed = f"__t < __ws + {size} AND __ws + {size} <= $wm"
        win = (
            f"{self._sessions} SELECT {names}, epoch_ms(__ws) AS window_start, "
            f"epoch_ms(__ws + {size}) AS window_end, epoch_ms(__ws + {size} - 1) AS window_time "
            f"FROM __w WHERE {closed}"
        )
        release = (
            f"DELETE FROM {table} WHERE __rid IN ({self._sessions} SELECT __rid FROM __w "
            f"WHERE {closed})"
        )
        return ("FALSE", win, release)

    # -- per micro-batch ------------------------------------------------------------------
    def ingest(self, stage: str, clock_ms: int) -> int:
        """Buffer a staged batch's rows (late ones dropped); returns how many were late."""
        db = self.db
        if self.source.time_kind != "event":
            self.watermark = max(self.watermark, clock_ms)
        late_sql = self._late_sql
        params = {"wm": self.watermark} if "$wm" in late_sql else {}
        total, late, newest, oldest = db.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {late_sql}), max(__t), "
            f"min(__t) FILTER (WHERE NOT ({late_sql})) FROM {stage}",
            params,
        ).fetchone()
        if not total:
            return 0
        db.execute(f"INSERT INTO {self.table} SELECT * FROM {stage} WHERE NOT ({late_sql})", params)
        self.records_in += total
        self.late += late
        self.buffered += total - late
        if oldest is not None and self.oldest is not None:
            self.oldest = min(self.oldest, oldest)
        elif oldest is not None and self.buffered == total - late:  # the buffer was empty
            self.oldest = oldest
        if self.source.time_kind == "event" and newest is not None:
            self.watermark = max(self.watermark, newest - self.source.delay_ms)
        self._plan_next_close()
        return late

    def _plan_next_close(self) -> None:
        window = self.query.window
        if window is None:
            self.next_close = -NEVER if self.buffered else NEVER
            return
        if not self.buffered:
            self.next_close = NEVER
            return
        if window.kind == "session":
            (end,) = self.db.execute(f"{self._sessions} SELECT min(__we) FROM __w").fetchone()
            self.next_close = NEVER if end is None else end
            return
        if self.oldest is None:  # only after a close: ingest keeps it up to date
            (self.oldest,) = self.db.execute(f"SELECT min(__t) FROM {self.table}").fetchone()
        oldest = self.oldest
        if window.kind == "stagger":
            self.next_close = oldest + window.size_ms
            return
        # Window ends fall on multiples of the slide; the first one holding the oldest row ends
        # one slide after that row's slide, and nothing at or before the last emission is open.
        slide = window.slide_ms
        first = (oldest // slide) * slide + slide
        after = (self.emitted // slide) * slide + slide if self.emitted > -NEVER else first
        self.next_close = max(first, after)

    def due(self) -> bool:
        """Whether a window has closed (or, without windows, rows wait)."""
        return self.watermark >= self.next_close

    def advance_clock(self, clock_ms: int) -> None:
        """Move a ROWTIME / processing-time watermark to the engine clock."""
        if self.source.time_kind != "event":
            self.watermark = max(self.watermark, clock_ms)

    def close(self) -> tuple[list[str], list[tuple]]:
        """Run the query over every closed window, release their rows; (column names, rows)."""
        params = {"wm": self.watermark, "emitted": self.emitted}
        win_params = {k: v for k, v in params.items() if f"${k}" in self._win_sql}
        closed = f"__closed_{self.table}"
        self.db.execute(f"CREATE OR REPLACE TEMP TABLE {closed} AS {self._win_sql}", win_params)
        sql = (
            f"WITH __win AS (SELECT * FROM {closed}) SELECT * FROM ({self.query.sql}) ORDER BY ALL"
        )
        cursor = self.db.execute(sql)
        names = [d[0] for d in cursor.description]
        if self.query.columns and len(self.query.columns) == len(names):
            names = list(self.query.columns)
        rows = cursor.fetchall()
        if self.query.window is not None:
            (windows,) = self.db.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT {self._window_key} FROM {closed})"
            ).fetchone()
            self.windows_closed += windows
        self.db.execute(f"DROP TABLE {closed}")
        release_params = {"wm": self.watermark} if "$wm" in self._release_sql else {}
        self.db.execute(self._release_sql, release_params)
        (self.buffered,) = self.db.execute(f"SELECT count(*) FROM {self.table}").fetchone()
        self.oldest = None
        self.emitted = self.watermark
        self.records_out += len(rows)
        self._plan_next_close()
        return names, rows

    def open_windows(self) -> int:
        """How many windows hold rows now (for the flow map)."""
        window = self.query.window
        if window is None or not self.buffered:
            return 0
        if window.kind == "stagger":
            keys = ", ".join(window.keys) or "1"
            sql = f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {self.table})"
            return int(self.db.execute(sql).fetchone()[0])
        if window.kind == "session":
            keys = "".join(f'"{k}", ' for k in window.partition)
            sql = f"{self._sessions} SELECT count(*) FROM (SELECT DISTINCT {keys}__sid FROM __w)"
            return int(self.db.execute(sql).fetchone()[0])
        slide = window.slide_ms
        (count,) = self.db.execute(
            f"SELECT count(DISTINCT (__t // {slide})) FROM {self.table}"
        ).fetchone()
        return int(count) + window.size_ms // slide - 1
