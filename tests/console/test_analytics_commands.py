"""`analytics query|results|stop|start`: windowed SQL over a stream from the console."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)


async def test_adhoc_query_prints_windows_as_they_close(run, clock):
    await run("kinesis create-stream --stream-name clicks --shard-count 1")
    put = "kinesis put-record --stream-name clicks --partition-key a --cli-binary-format raw-in-base64-out --data "
    await run(put + """'{"page":"home","ms":12}'""")
    result = await run(
        "analytics query clicks 'SELECT STREAM page, COUNT(*) AS n FROM clicks "
        "GROUP BY page, STEP(ROWTIME BY INTERVAL ''10'' SECOND)'"
    )
    assert result.ok, result.error
    assert result.value["columns"] == ["page", "ms"]
    for page in ("home", "cart", "home"):
        await run(put + f"""'{{"page":"{page}","ms":1}}'""")
    assert (await run("analytics results")).value == []
    await clock.advance(11)
    rows = (await run("analytics results")).value
    assert sorted((r["page"], r["n"]) for r in rows) == [("cart", 1), ("home", 2)]
    assert (await run("analytics stop")).value == {"stopped": 1}


async def test_bad_input_gives_one_line(run):
    await run("kinesis create-stream --stream-name empty --shard-count 1")
    result = await run("analytics query empty 'SELECT 1 FROM empty'")
    assert not result.ok and "UnableToDetectSchemaException" in result.error
    result = await run("analytics start nothing")
    assert not result.ok and "ResourceNotFoundException" in result.error
    result = await run("analytics query")
    assert not result.ok and result.error.startswith("usage:")
