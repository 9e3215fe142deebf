"""Save and open: MSK configurations, clusters, topics with their records, and group offsets.

A restored cluster is ACTIVE (an operation under way at save time counts as finished) and opens
a new listener, so its port differs; idempotent and transactional producer state, group
membership and lag history start afresh, as after a broker restart.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from .cluster import Partition, Topic
from .control import Configuration, Revision
from .state import ClusterState

if TYPE_CHECKING:
    from .service import KafkaService


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def dump_kafka(service: KafkaService) -> dict[str, Any]:
    """Everything the service holds, as JSON-able data."""
    configurations = [
        {
            "arn": c.arn,
            "name": c.name,
            "description": c.description,
            "kafka_versions": list(c.kafka_versions),
            "created": c.created,
            "revisions": [
                {
                    "revision": r.revision,
                    "created": r.created,
                    "description": r.description,
                    "properties": _b64(r.properties),
                }
                for r in c.revisions
            ],
        }
        for c in service.control.configurations.values()
    ]
    clusters = []
    for cluster in service.clusters.values():
        if cluster.state == "DELETING":
            continue
        data = cluster.data
        clusters.append(
            {
                "name": cluster.name,
                "arn": cluster.arn,
                "uid": cluster.uid,
                "type": cluster.cluster_type,
                "request": cluster.request,
                "created": cluster.created,
                "current_version": cluster.current_version,
                "tags": dict(cluster.tags),
                "policy": cluster.policy,
                "policy_version": cluster.policy_version,
                "configuration": cluster.configuration,
                "scram_secrets": list(cluster.scram_secrets),
                "kafka_cluster_id": cluster.kafka_cluster_id,
                "brokers": list(data.broker_ids),
                "down": sorted(data.down),
                "defaults": dict(data.defaults),
                "topics": [
                    {
                        "name": topic.name,
                        "topic_id": topic.topic_id,
                        "configs": dict(topic.configs),
                        "partitions": [
                            {
                                "index": p.index,
                                "replicas": list(p.replicas),
                                "leader_epoch": p.leader_epoch,
                                "log_start": p.log.log_start_offset,
                                "end": p.log.end_offset,
                                "batches": [[b, _b64(d)] for b, d in p.log.batches()],
                            }
                            for p in topic.partitions
                        ],
                    }
                    for topic in data.topics.values()
                ],
                "groups": [
                    {
                        "group_id": g.group_id,
                        "offsets": [
                            [t, p, c.offset, c.metadata, c.leader_epoch]
                            for (t, p), c in g.offsets.items()
                        ],
                    }
                    for g in cluster.groups.groups.values()
                    if g.offsets
                ],
            }
        )
    return {"configurations": configurations, "clusters": clusters}


def load_kafka(service: KafkaService, saved: dict[str, Any]) -> None:
    """Restore what `dump_kafka` produced into an empty service."""
    control = service.control
    for item in saved.get("configurations", []):
        config = Configuration(
            item["arn"],
            item["name"],
            item["description"],
            list(item["kafka_versions"]),
            item["created"],
        )
        config.revisions = [
            Revision(
                r["revision"], r["created"], r["description"], base64.b64decode(r["properties"])
            )
            for r in item["revisions"]
        ]
        control.configurations[config.arn] = config
    for item in saved.get("clusters", []):
        cluster = ClusterState(
            service,
            item["name"],
            item["arn"],
            item["uid"],
            item["type"],
            len(item["brokers"]),
            item["request"],
            dict(item["defaults"]),
        )
        cluster.state = "ACTIVE"
        cluster.created = item["created"]
        cluster.current_version = item["current_version"]
        cluster.tags = dict(item["tags"])
        cluster.policy = item["policy"]
        cluster.policy_version = item["policy_version"]
        cluster.configuration = item["configuration"]
        cluster.scram_secrets = list(item["scram_secrets"])
        cluster.kafka_cluster_id = item["kafka_cluster_id"]
        data = cluster.data
        data.broker_ids = list(item["brokers"])
        data.down = set(item["down"])
        for saved_topic in item["topics"]:
            topic = Topic(
                saved_topic["name"], saved_topic["topic_id"], [], dict(saved_topic["configs"])
            )
            for p in saved_topic["partitions"]:
                partition = Partition(topic.name, p["index"], list(p["replicas"]))
                data.elect(partition)
                partition.leader_epoch = max(partition.leader_epoch, p["leader_epoch"])
                partition.log.restore(
                    [(base, base64.b64decode(text)) for base, text in p["batches"]],
                    p["log_start"],
                    p["end"],
                )
                topic.partitions.append(partition)
            data.topics[topic.name] = topic
            data.by_id[topic.topic_id] = topic
        for saved_group in item["groups"]:
            group = cluster.groups.group(saved_group["group_id"], create=True)
            assert group is not None
            cluster.groups.store(group, [tuple(entry) for entry in saved_group["offsets"]])
        service.clusters[cluster.arn] = cluster
        service.engine.spawn(service.open_listener(cluster), name=f"kafka:open:{cluster.name}")
