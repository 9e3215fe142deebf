"""`kafka produce|consume|groups|lag`: the lab's own Kafka tools beside MSK's AWS operations.

`kafka <operation>` (create-cluster, get-bootstrap-brokers …) stays AWS CLI syntax; the parser
routes these four subcommands here.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from ..render import records_table
from ..result import CommandResult
from ..timefmt import parse_duration

if TYPE_CHECKING:
    from engine.services.kafka.state import ClusterState

    from ..console import Console

USAGE = {
    "produce": "kafka produce TOPIC [--cluster C] [--key K] [--header k=v]… [--partition N] "
    "VALUE | --file F | --rate N/s [--for DURATION]",
    "consume": "kafka consume TOPIC [--cluster C] [--group G] [--from-beginning] [--max N]",
    "groups": "kafka groups [--cluster C]",
    "lag": "kafka lag GROUP [--cluster C]",
}
#: Options that take a value, per subcommand (the rest are flags).
VALUED = {
    "--cluster",
    "--key",
    "--header",
    "--file",
    "--rate",
    "--for",
    "--group",
    "--max",
    "--partition",
}
OPTIONS = {
    "produce": ("--cluster", "--key", "--header", "--partition", "--file", "--rate", "--for"),
    "consume": ("--cluster", "--group", "--from-beginning", "--max"),
    "groups": ("--cluster",),
    "lag": ("--cluster",),
}


class Usage(Exception):
    """A malformed kafka lab command (the message is the one line to show)."""


def _parse(sub: str, args: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    positional: list[str] = []
    options: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        word = args[i]
        if word.startswith("--"):
            if word not in OPTIONS[sub]:
                raise Usage(f"kafka {sub}: unknown option {word} — usage: {USAGE[sub]}")
            if word in VALUED:
                if i + 1 >= len(args):
                    raise Usage(f"kafka {sub}: {word} needs a value — usage: {USAGE[sub]}")
                options.setdefault(word, []).append(args[i + 1])
                i += 2
                continue
            options.setdefault(word, []).append("")
        else:
            positional.append(word)
        i += 1
    return positional, options


def _cluster(console: Console, options: dict[str, list[str]], topic: str | None) -> ClusterState:
    service = console.engine.service("kafka")
    if "--cluster" in options:
        return service.resolve(options["--cluster"][-1])
    clusters = [c for c in service.clusters.values() if c.listener is not None]
    if topic is not None:
        holding = [c for c in clusters if topic in c.data.topics]
        if len(holding) == 1:
            return holding[0]
        if not holding:
            raise Usage(f"kafka: no ACTIVE cluster has a topic named {topic}")
    if len(clusters) == 1:
        return clusters[0]
    if not clusters:
        raise Usage("kafka: no ACTIVE MSK cluster (kafka create-cluster …, then wait for ACTIVE)")
    raise Usage("kafka: several clusters — name one with --cluster")


def _text(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(data).decode()


async def produce(console: Console, args: list[str]) -> CommandResult:
    """Produce records with the default partitioner (murmur2 of the key)."""
    positional, options = _parse("produce", args)
    if not positional:
        raise Usage(f"usage: {USAGE['produce']}")
    topic = positional[0]
    cluster = _cluster(console, options, topic)
    service = console.engine.service("kafka")
    key = options["--key"][-1].encode() if "--key" in options else None
    headers = []
    for header in options.get("--header", []):
        name, sep, value = header.partition("=")
        if not sep or not name:
            raise Usage(f"kafka produce: --header wants k=v, got '{header}'")
        headers.append((name, value.encode()))
    partition = None
    if "--partition" in options:
        try:
            partition = int(options["--partition"][-1])
        except ValueError:
            raise Usage("kafka produce: --partition wants a number") from None
    if "--rate" in options:
        return _start_rate(console, cluster, topic, options, key, headers, partition)
    if "--file" in options:
        path = Path(options["--file"][-1]).expanduser()
        try:
            lines = path.read_text().splitlines()
        except OSError as error:
            raise Usage(f"kafka produce: cannot read {path}: {error.strerror}") from None
        values = [line.encode() for line in lines if line]
    elif len(positional) == 2:
        values = [positional[1].encode()]
    else:
        raise Usage(f"usage: {USAGE['produce']}")
    placed = service.produce(cluster, topic, [(key, v, headers) for v in values], partition)
    value = [{"Topic": topic, "Partition": p, "Offset": o} for p, o in placed]
    if len(value) == 1:
        text = Text(f"produced to {topic}-{value[0]['Partition']} at offset {value[0]['Offset']}")
        return CommandResult(ok=True, value=value[0], output=text)
    return CommandResult(ok=True, value=value, output=records_table(value, f"Produced to {topic}"))


def _start_rate(
    console: Console,
    cluster: ClusterState,
    topic: str,
    options: dict[str, list[str]],
    key: bytes | None,
    headers: list,
    partition: int | None,
) -> CommandResult:
    raw = options["--rate"][-1]
    number = raw[:-2] if raw.endswith("/s") else raw
    try:
        rate = float(number)
        duration = parse_duration(options["--for"][-1]) if "--for" in options else 10.0
    except ValueError:
        raise Usage("kafka produce: --rate wants N/s (e.g. 50/s) and --for a duration") from None
    if not 0 < rate <= 100_000:
        raise Usage("kafka produce: --rate must be between 0 and 100000 records/s")
    service = console.engine.service("kafka")
    service.topic(cluster, topic)  # fail now, not in the background
    engine = console.engine
    total = max(1, int(rate * duration))

    async def run() -> None:
        clock = engine.clock
        start = clock.now()
        sent = 0
        while sent < total and not cluster.closed:
            due = min(total, int((clock.now() - start) * rate) + 1)
            if due > sent:
                records = [(key, b"record %d" % i, headers) for i in range(sent, due)]
                service.produce(cluster, topic, records, partition)
                sent = due
            await clock.sleep(max(1.0 / rate, 0.05))

    engine.spawn(run(), name=f"kafka-produce:{topic}")
    value = {"Topic": topic, "Rate": rate, "Seconds": duration, "Records": total}
    text = Text(f"producing {rate:g} records/s to {topic} for {duration:g}s ({total} records)")
    return CommandResult(ok=True, value=value, output=text)


async def consume(console: Console, args: list[str]) -> CommandResult:
    """Read records (as a group: from its committed offsets, committing after)."""
    positional, options = _parse("consume", args)
    if len(positional) != 1:
        raise Usage(f"usage: {USAGE['consume']}")
    topic_name = positional[0]
    cluster = _cluster(console, options, topic_name)
    service = console.engine.service("kafka")
    topic = service.topic(cluster, topic_name)
    try:
        limit = int(options["--max"][-1]) if "--max" in options else 100
    except ValueError:
        raise Usage("kafka consume: --max wants a number") from None
    group_id = options["--group"][-1] if "--group" in options else None
    from_beginning = "--from-beginning" in options
    rows: list[dict[str, Any]] = []
    commits = []
    for partition in topic.partitions:
        log = partition.log
        committed = (
            cluster.groups.committed(group_id, topic_name, partition.index) if group_id else None
        )
        if committed is not None:
            start = committed.offset
        else:  # auto.offset.reset: earliest with --from-beginning, else latest
            start = log.log_start_offset if from_beginning else log.end_offset
        records = service.read(
            cluster, topic_name, partition.index, start, max(limit - len(rows), 0)
        )
        for record in records:
            rows.append(
                {
                    "Partition": partition.index,
                    "Offset": record.offset,
                    "Key": _text(record.key),
                    "Value": _text(record.value),
                    "Headers": {k: _text(v) for k, v in record.headers},
                    "Timestamp": record.timestamp,
                }
            )
        next_offset = records[-1].offset + 1 if records else start
        commits.append((topic_name, partition.index, next_offset, None, partition.leader_epoch))
    if group_id:
        code = cluster.groups.commit(group_id, -1, "", commits)
        if code:
            raise Usage(
                f"kafka consume: group {group_id} has active members; the lab's consumer "
                "commits as a standalone consumer only to an empty group"
            )
    if not rows:
        where = "committed offsets" if group_id and any(c for c in commits) else "the end"
        return CommandResult(
            ok=True, value=[], output=Text(f"no records after {where} of {topic_name}")
        )
    return CommandResult(ok=True, value=rows, output=records_table(rows, f"{topic_name}"))


async def groups(console: Console, args: list[str]) -> CommandResult:
    """Consumer groups with state, members, generation and total lag."""
    positional, options = _parse("groups", args)
    if positional:
        raise Usage(f"usage: {USAGE['groups']}")
    service = console.engine.service("kafka")
    clusters = (
        [_cluster(console, options, None)]
        if "--cluster" in options
        else list(service.clusters.values())
    )
    rows = []
    for cluster in clusters:
        for group in cluster.groups.groups.values():
            lag = service.group_lag(cluster, group.group_id)
            rows.append(
                {
                    "Cluster": cluster.name,
                    **cluster.groups.describe(group),
                    "Lag": sum(r[4] for r in lag),
                }
            )
    if not rows:
        return CommandResult(ok=True, value=[], output=Text("No consumer groups."))
    return CommandResult(ok=True, value=rows, output=records_table(rows, "Consumer groups"))


async def lag(console: Console, args: list[str]) -> CommandResult:
    """One group's lag per partition: committed offset, end offset, records behind."""
    positional, options = _parse("lag", args)
    if len(positional) != 1:
        raise Usage(f"usage: {USAGE['lag']}")
    group_id = positional[0]
    service = console.engine.service("kafka")
    if "--cluster" in options:
        cluster = _cluster(console, options, None)
    else:
        found = [c for c in service.clusters.values() if c.groups.group(group_id) is not None]
        if not found:
            raise Usage(f"kafka lag: no consumer group named {group_id}")
        cluster = found[0]
    rows = [
        {"Topic": t, "Partition": p, "Committed": c, "EndOffset": e, "Lag": lag_}
        for t, p, c, e, lag_ in service.group_lag(cluster, group_id)
    ]
    if not rows:
        return CommandResult(
            ok=True, value=[], output=Text(f"{group_id} has committed no offsets yet.")
        )
    return CommandResult(ok=True, value=rows, output=records_table(rows, f"Lag of {group_id}"))


def _wrap(handler: Any) -> Any:
    async def run(console: Console, args: list[str]) -> CommandResult:
        try:
            return await handler(console, args)
        except Usage as error:
            return CommandResult.fail(str(error))

    return run


def completions(console: Console, command: str, args: list[str]) -> list[tuple[str, str, str]]:
    """Topics, groups, clusters and options for `kafka produce|consume|groups|lag`."""
    sub = command.split()[1]
    names = console.resource_names()
    if args and args[-1] == "--cluster":
        return [(n, n, "MSK cluster") for n, kind, _ in names if kind == "cluster"]
    if args and args[-1] == "--group":
        return [(n, n, "consumer group") for n, kind, _ in names if kind == "consumer-group"]
    if args and args[-1] in VALUED:
        return []
    if not [a for a in args if not a.startswith("--")]:
        if sub in ("produce", "consume"):
            return [(n, n, "Kafka topic") for n, kind, _ in names if kind == "kafka-topic"]
        if sub == "lag":
            return [(n, n, "consumer group") for n, kind, _ in names if kind == "consumer-group"]
    return [(w, w, command) for w in OPTIONS[sub] if w not in args]


def register(console: Console) -> None:
    """Register `kafka produce`, `kafka consume`, `kafka groups` and `kafka lag`."""
    handlers = {"produce": produce, "consume": consume, "groups": groups, "lag": lag}
    for sub, handler in handlers.items():
        console.register_command(
            f"kafka {sub}", _wrap(handler), f"{USAGE[sub]} — the lab's Kafka tools", OPTIONS[sub]
        )
