"""`kafka produce|consume|groups|lag` beside MSK's AWS operations, and `chaos broker-down`."""

from __future__ import annotations

import pytest

from engine import Engine
from tests.engine.kafka_lab import active_cluster, topic
from tui.console import Console
from tui.console.completion import complete

pytestmark = pytest.mark.timeout(30)


async def test_produce_consume_groups_and_lag(eng: Engine, console: Console) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "orders", 3)
    done = await console.execute("kafka produce orders --key customer-7 --header source=web hello")
    assert done.ok, done.error
    partition = done.value["Partition"]
    again = await console.execute("kafka produce orders --key customer-7 again")
    assert (
        again.value["Partition"] == partition and again.value["Offset"] == done.value["Offset"] + 1
    )
    read = await console.execute("kafka consume orders --group billing --from-beginning")
    assert [r["Value"] for r in read.value] == ["hello", "again"]
    assert read.value[0]["Headers"] == {"source": "web"}
    await console.execute("kafka produce orders --key customer-7 third")
    lag = await console.execute("kafka lag billing")
    assert sum(r["Lag"] for r in lag.value) == 1
    groups = await console.execute("kafka groups")
    assert groups.value[0]["GroupId"] == "billing" and groups.value[0]["Lag"] == 1
    more = await console.execute("kafka consume orders --group billing")
    assert [r["Value"] for r in more.value] == ["third"]
    # the AWS operations of the same service still parse as AWS CLI commands
    listed = await console.execute("kafka list-clusters-v2")
    assert listed.ok and listed.value["ClusterInfoList"][0]["ClusterName"] == "lab"


async def test_bad_kafka_lab_commands_say_what_is_wrong(eng: Engine, console: Console) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "orders", 1)
    for line, expected in [
        ("kafka produce", "usage: kafka produce"),
        ("kafka produce orders --header nokey hi", "--header wants k=v"),
        ("kafka produce orders --bogus hi", "unknown option --bogus"),
        ("kafka produce missing hi", "no ACTIVE cluster has a topic named missing"),
        ("kafka lag nobody", "no consumer group named nobody"),
        ("kafka produce orders --rate fast", "--rate wants N/s"),
    ]:
        result = await console.execute(line)
        assert not result.ok and expected in result.error, (line, result.error)


async def test_rate_produces_on_the_clock(eng: Engine, console: Console) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "ticks", 2)
    started = await console.execute("kafka produce ticks --rate 10/s --for 3s")
    assert started.ok and started.value["Records"] == 30
    await eng.clock.advance(4)
    cluster = eng.service("kafka").resolve(arn)
    assert sum(p.log.end_offset for p in cluster.data.topics["ticks"].partitions) == 30


async def test_completion_offers_lab_subcommands_topics_and_groups(
    eng: Engine, console: Console
) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "orders", 1)
    await console.execute("kafka produce orders x")
    await console.execute("kafka consume orders --group billing --from-beginning")
    words = {c.text for c in complete(console, "kafka ", 6)}
    assert {"produce", "consume", "groups", "lag", "create-cluster"} <= words
    assert "orders" in {c.text for c in complete(console, "kafka produce ", 14)}
    assert "billing" in {c.text for c in complete(console, "kafka lag ", 10)}
    line = "kafka consume orders --group "
    assert "billing" in {c.text for c in complete(console, line, len(line))}


async def test_chaos_broker_down_shows_under_replicated_partitions(
    eng: Engine, console: Console
) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "orders", 3)
    down = await console.execute("chaos broker-down lab 2")
    assert down.ok and len(down.value) == 3
    assert all(2 not in row["Isr"] and row["Leader"] != 2 for row in down.value)
    up = await console.execute("chaos broker-up lab 2")
    assert up.ok and up.value == []
    bad = await console.execute("chaos broker-down lab two")
    assert not bad.ok and "usage: chaos broker-down CLUSTER BROKER_ID" in bad.error


async def test_save_and_open_keep_clusters_topics_records_and_offsets(
    eng: Engine, console: Console, tmp_path
) -> None:
    arn, _ = await active_cluster(eng)
    await topic(eng, arn, "orders", 2, cleanup_policy="compact")
    for n in range(3):
        await console.execute(f"kafka produce orders --key k{n} v{n}")
    await console.execute("kafka consume orders --group billing --from-beginning --max 2")
    path = tmp_path / "lab.json"
    assert (await console.execute(f"save {path}")).ok
    opened = await console.execute(f"open {path}")
    assert opened.ok, opened.error
    await eng.clock.advance(0.1)
    cluster = eng.service("kafka").resolve("lab")
    assert cluster.state == "ACTIVE" and cluster.listener is not None
    assert cluster.data.topic_config(cluster.data.topics["orders"], "cleanup.policy") == "compact"
    rows = (await console.execute("kafka consume orders --group billing")).value
    assert len(rows) == 1  # the group resumes after the two records it had read
    everything = (
        await console.execute("kafka consume orders --group again --from-beginning")
    ).value
    assert sorted(r["Value"] for r in everything) == ["v0", "v1", "v2"]
