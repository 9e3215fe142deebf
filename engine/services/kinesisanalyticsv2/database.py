"""One application's in-memory DuckDB database, with statements retried when a signal cuts them.

DuckDB's Python client checks for pending signals while a statement runs and aborts it with
"Query interrupted" when one is delivered (the lab's worker processes come and go). A statement
is atomic, so running it again is safe; a statement interrupted three times in a row is raised.
A micro-batch reaches DuckDB as an Arrow table (`j` text, `a` arrival ms, `r` row id): handing
over columns costs far less than converting a Python list value by value.
"""

from __future__ import annotations

from typing import Any

ATTEMPTS = 3
#: The name a staged micro-batch is visible under while its statement runs.
BATCH_TABLE = "__batch_in"


class Database:
    """`execute(sql, params)` on a private DuckDB connection, retried when interrupted."""

    def __init__(self) -> None:
        import duckdb  # heavy: imported when the first application starts
        import pyarrow

        self.duckdb = duckdb
        self.arrow = pyarrow
        self.connection = duckdb.connect(":memory:", config={"threads": 1})

    def execute(self, sql: str, params: Any = None) -> Any:
        """Run one statement; the connection (a cursor over its result) comes back."""
        for attempt in range(ATTEMPTS):
            try:
                if params is None:
                    return self.connection.execute(sql)
                return self.connection.execute(sql, params)
            except (RuntimeError, self.duckdb.InterruptException) as error:
                if "interrupted" not in str(error).lower() or attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def stage(
        self, records: list[tuple[bytes, int]], first_id: int, sql: str, params: Any = None
    ) -> None:
        """Run `sql` with the records visible as BATCH_TABLE (j, a, r)."""
        pa = self.arrow
        datas = pa.array([data for data, _ in records], pa.binary())
        try:
            texts = datas.cast(pa.string())
        except pa.ArrowInvalid:  # not UTF-8: replace what does not decode, as a reader would
            texts = pa.array([d.decode("utf-8", "replace") for d, _ in records], pa.string())
        batch = pa.table(
            {
                "j": texts,
                "a": pa.array([arrival for _, arrival in records], pa.int64()),
                "r": pa.array(range(first_id, first_id + len(records)), pa.int64()),
            }
        )
        # A result read with fetchone() stays open until completed; registering needs none open.
        self.connection.complete()
        self.connection.register(BATCH_TABLE, batch)
        try:
            self.execute(sql, params)
        finally:
            self.connection.unregister(BATCH_TABLE)

    def close(self) -> None:
        """Release the database and everything in it."""
        self.connection.close()
