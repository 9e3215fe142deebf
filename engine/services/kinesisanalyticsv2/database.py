"""One application's in-memory DuckDB database, with statements retried when a signal cuts them.

DuckDB's Python client checks for pending signals while a statement runs and aborts it with
"Query interrupted" when one is delivered (the lab's worker processes come and go). A statement
is atomic, so running it again is safe; a statement interrupted three times in a row is raised.
"""

from __future__ import annotations

from typing import Any

ATTEMPTS = 3


class Database:
    """`execute(sql, params)` on a private DuckDB connection, retried when interrupted."""

    def __init__(self) -> None:
        import duckdb  # heavy: imported when the first application starts

        self.duckdb = duckdb
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

    def close(self) -> None:
        """Release the database and everything in it."""
        self.connection.close()
