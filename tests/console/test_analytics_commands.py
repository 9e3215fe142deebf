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


async def test_create_start_and_sensor_generator(run, clock, console):
    for name in ("temps", "hot-temps"):
        await run(f"kinesis create-stream --stream-name {name} --shard-count 1")
    created = await run(
        'analytics create temp-watch "CREATE TABLE r (sensor_id STRING, temperature DOUBLE, '
        "at TIMESTAMP(3), WATERMARK FOR at AS at - INTERVAL '1' SECOND) WITH ('connector' = "
        "'kinesis', 'stream' = 'temps'); CREATE TABLE o (sensor_id STRING) WITH ('connector' = "
        "'kinesis', 'stream' = 'hot-temps'); INSERT INTO o SELECT sensor_id, AVG(temperature) AS t "
        "FROM TABLE(TUMBLE(TABLE r, DESCRIPTOR(at), INTERVAL '10' SECOND)) "
        'GROUP BY window_start, window_end, sensor_id HAVING AVG(temperature) > 80;"'
    )
    assert created.ok, created.error
    assert created.value["ApplicationStatus"] == "READY"
    assert (await run("analytics start temp-watch")).ok
    await clock.advance(5)
    generated = await run("analytics sensors temps --sensors 3 --rate 3/s --for 30s --hot sensor-2")
    assert generated.value == {"stream": "temps", "readings": 90, "sensors": 3}
    await clock.advance(31)
    job = console.engine.service("kinesisanalyticsv2").job_of("temp-watch")
    assert job.records_in == 90
    assert job.records_out >= 2  # only sensor-2's windows pass the threshold
    bad = await run("analytics sensors temps --rate fast")
    assert not bad.ok and "usage" in bad.error
    assert (await run("analytics stop temp-watch")).ok


async def test_completion_offers_streams_apps_and_columns(run, console):
    from tui.console.completion import complete

    await run("kinesis create-stream --stream-name taps --shard-count 1")
    put = "kinesis put-record --stream-name taps --partition-key a --cli-binary-format raw-in-base64-out --data "
    await run(put + """'{"page":"home","ms":3}'""")
    console.resource_names()  # refresh the cache
    line = "analytics query "
    assert "taps" in [c.text for c in complete(console, line, len(line))]
    line = "analytics query taps "
    texts = [c.text for c in complete(console, line, len(line))]
    assert "page" in texts and "ms" in texts
    assert any(t.startswith("'SELECT page, COUNT(*)") for t in texts)


async def test_save_and_open_keep_a_running_application(run, clock, console, tmp_path):
    for name in ("keep-in", "keep-out"):
        await run(f"kinesis create-stream --stream-name {name} --shard-count 1")
    created = await run(
        "analytics create keeper \"CREATE TABLE s (v INT, p AS PROCTIME()) WITH ('connector' = "
        "'kinesis', 'stream' = 'keep-in'); CREATE TABLE o (v INT) WITH ('connector' = 'kinesis', "
        "'stream' = 'keep-out'); INSERT INTO o SELECT v FROM s;\""
    )
    assert created.ok, created.error
    await run("analytics start keeper")
    await clock.advance(5)
    put = "kinesis put-record --stream-name keep-in --partition-key a --cli-binary-format raw-in-base64-out --data "
    await run(put + """'{"v": 1}'""")
    await clock.advance(1)
    path = tmp_path / "lab.json"
    assert (await run(f"save {path}")).ok
    opened = await run(f"open {path}")
    assert opened.ok, opened.error
    await run("resume")
    await clock.advance(1)
    described = await run("kinesisanalyticsv2 describe-application --application-name keeper")
    assert described.value["ApplicationDetail"]["ApplicationStatus"] == "RUNNING"
    await run(put + """'{"v": 2}'""")
    await clock.advance(1)
    job = console.engine.service("kinesisanalyticsv2").job_of("keeper")
    assert job.records_out == 1  # v=2 only: v=1 was read before the save, not again
