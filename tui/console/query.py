"""JMESPath for `--query`, `expect` and `${…}`: one way to search, one kind of error."""

from __future__ import annotations

from typing import Any


class QueryError(ValueError):
    """A JMESPath expression that cannot be compiled or evaluated, in one line."""


def search(expression: str, value: Any) -> Any:
    """`jmespath.search`, with every failure (bad syntax, comparing a number with text) a QueryError."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.search(expression, value)
    except JMESPathError as error:
        raise QueryError(" ".join(str(error).split())) from None
    except (TypeError, ValueError) as error:
        # The library raises where the spec says null (e.g. `>` between a number and a string).
        raise QueryError(f"cannot evaluate {expression!r}: {error}") from None
