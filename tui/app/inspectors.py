"""Per-kind details for the resource panel, read from the services' internal APIs.

Each inspector runs where the engine runs (see engine_host) and returns plain data; the panel
renders it. Kinds without an inspector show the generic panel only. Inspectors exist for the
services that document an internal API: SQS (peek), Kinesis (shards and lag, see
docs/services/kinesis.md), MSK topics (partitions and group lag, docs/services/kafka.md), Lambda (recent log lines) and API Gateway (routes and recent
requests, see api_inspector.py) and AppFlow flows (execution history, docs/services/appflow.md).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import Any

from engine import Engine
from engine.topology import Node
from engine.trace import TraceRecorder

from .api_inspector import api_details

#: Messages shown by the queue peek (the oldest retained ones).
PEEK_COUNT = 6
#: Lag samples drawn per consumer and shard.
LAG_POINTS = 40
#: Log lines shown for a function.
LOG_LINES = 10

_SQS_STATES = {0: "delayed", 1: "visible", 2: "in flight"}


def inspect(
    engine: Engine, node: Node, recorder: TraceRecorder | None = None
) -> dict[str, Any] | None:
    """The details of `node` for its kind, or None when there are none (or it is gone).

    `recorder` (the app's trace recorder) lets the API inspector list recent requests.
    """
    try:
        if node.kind == "api":
            return api_details(engine, node, recorder)
        inspector = INSPECTORS.get(node.kind)
        if inspector is None:
            return None
        return inspector(engine, node)
    except Exception as error:  # noqa: BLE001 — the resource may vanish between look and read
        return {"error": f"{type(error).__name__}: {error}"}


def _queue(engine: Engine, node: Node) -> dict[str, Any]:
    sqs: Any = engine.service("sqs")
    queue = sqs.queue_for_arn(node.id)
    peek = []
    for message in islice(queue.retention, 0, PEEK_COUNT * 4):
        state = _SQS_STATES.get(message.state)
        if state is None:
            continue  # deleted, not yet swept from the retention order
        peek.append(
            {
                "id": message.message_id,
                "state": state,
                "receives": message.receive_count,
                "body": message.body[:120],
            }
        )
        if len(peek) >= PEEK_COUNT:
            break
    policy = queue.settings.redrive_policy
    sources = [
        q.name
        for q in sqs.queues.values()
        if q.settings.redrive_policy and q.settings.redrive_policy.dead_letter_target_arn == node.id
    ]
    return {
        "kind": "queue",
        "fifo": queue.fifo,
        "peek": peek,
        "dead_letter_target": policy.dead_letter_target_arn if policy else None,
        "max_receive_count": policy.max_receive_count if policy else None,
        "dead_letter_sources": sources,
    }


def _stream(engine: Engine, node: Node) -> dict[str, Any]:
    kinesis: Any = engine.service("kinesis")
    stream = kinesis.stream_for_arn(node.id)
    if stream is None:
        return {"error": "stream not found"}
    shards = [
        {
            "id": shard.shard_id,
            "open": shard.is_open,
            "start": shard.start_hash,
            "end": shard.end_hash,
            "records": shard.retained,
            "put": shard.puts,
        }
        for shard in stream.shards.values()
    ]
    rows = kinesis.lag(node.id)
    history = kinesis.lag_history(node.id)
    lag = [
        {
            "consumer": row.consumer,
            "consumer_name": _consumer_name(engine, row.consumer, row.consumer_kind),
            "consumer_kind": row.consumer_kind,
            "shard": row.shard_id,
            "behind": row.records_behind,
            "age_ms": row.iterator_age_ms,
            "series": [s.records_behind for s in history.get((row.consumer, row.shard_id), [])][
                -LAG_POINTS:
            ],
        }
        for row in rows
    ]
    return {"kind": "stream", "shards": shards, "lag": lag}


def _consumer_name(engine: Engine, consumer: str, kind: str) -> str:
    """A lag row's consumer as a person named it: a mapping by its function (`λ analyse`)."""
    if kind == "event-source-mapping":  # only Lambda makes these: its service is loaded
        mapping = getattr(engine.service("lambda"), "mappings", {}).get(consumer)
        if mapping is not None:
            return f"λ {mapping.function_name}"
    return consumer


def _kafka_topic(engine: Engine, node: Node) -> dict[str, Any]:
    """Partitions (leader, ISR, offsets, size) and each consumer group's lag per partition."""
    kafka: Any = engine.service("kafka")
    cluster_arn = node.parent or ""
    cluster = kafka.cluster_for_arn(cluster_arn)
    topic = cluster.data.topics.get(node.name) if cluster is not None else None
    if topic is None:
        return {"error": "topic not found"}
    partitions = [
        {
            "partition": p.index,
            "leader": p.leader,
            "replicas": list(p.replicas),
            "isr": list(p.isr),
            "start": p.log.log_start_offset,
            "end": p.log.end_offset,
            "bytes": p.log.size,
        }
        for p in topic.partitions
    ]
    lag = []
    for group in cluster.groups.groups.values():
        if not any(t == topic.name for t, _ in group.offsets):
            continue
        rows = kafka.group_lag(cluster, group.group_id)
        for name, index, committed, _end, behind in rows:
            if name != topic.name:
                continue
            history = group.lag_history.get((name, index), ())
            lag.append(
                {
                    "group": group.group_id,
                    "state": group.state,
                    "generation": group.generation,
                    "members": len(group.members),
                    "rebalances": group.rebalances,
                    "partition": index,
                    "committed": committed,
                    "behind": behind,
                    "series": [value for _, value in history][-LAG_POINTS:],
                }
            )
    return {"kind": "kafka-topic", "partitions": partitions, "lag": lag}


def _function(engine: Engine, node: Node) -> dict[str, Any]:
    lam: Any = engine.service("lambda")
    return {"kind": "function", "logs": lam.function_logs(node.name)[-LOG_LINES:]}


def _flow(engine: Engine, node: Node) -> dict[str, Any]:
    """An AppFlow flow's trigger and execution history (docs/services/appflow.md)."""
    appflow: Any = engine.service("appflow")
    history = appflow.history(node.id)
    if history is None:
        return {"error": "flow not found"}
    return {"kind": "flow", **history}


def _video_stream(engine: Engine, node: Node) -> dict[str, Any]:
    """The fragment timeline: counters, the newest fragments' sizes and the gaps between them."""
    video: Any = engine.service("kinesisvideo")
    stream = video.stream_for_arn(node.id)
    if stream is None:
        return {"error": "stream not found"}
    timeline = video.timeline(stream, int(engine.clock.now() * 1000))
    recent = stream.fragments.all()[-LAG_POINTS:]
    gaps = sum(
        1
        for before, after in zip(recent, recent[1:], strict=False)
        if after.producer_ms - before.producer_end_ms > before.length_ms
    )
    return {
        "kind": "video-stream",
        **timeline,
        "sizes": [f.size for f in recent],
        "gaps": gaps,
        "thumbnail": _thumbnail(engine, recent[-1]) if recent else None,
    }


#: The latest frame's thumbnail in cells (two pixel rows per cell with half blocks).
THUMB_WIDTH, THUMB_ROWS = 32, 9


def _thumbnail(engine: Engine, fragment: Any) -> list[list[list[int]]] | None:
    """The fragment's last frame as rows of RGB pixels, or None without PyAV or on bad media."""
    try:
        archived: Any = engine.service("kinesis-video-archived-media")
        frames = archived.decoder.frames(fragment, "thumbnail")
        picture = frames[-1][1].reformat(width=THUMB_WIDTH, height=THUMB_ROWS * 2, format="rgb24")
        return picture.to_ndarray().tolist()
    except Exception:  # noqa: BLE001 — no media library, or media that does not decode
        return None


def _state_machine(engine: Engine, node: Node) -> dict[str, Any]:
    return {"kind": "state-machine"}


INSPECTORS: dict[str, Callable[[Engine, Node], dict[str, Any]]] = {
    "state-machine": _state_machine,
    "queue": _queue,
    "stream": _stream,
    "function": _function,
    "kafka-topic": _kafka_topic,
    "flow": _flow,
    "video-stream": _video_stream,
}
