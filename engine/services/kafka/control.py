"""The MSK control plane: clusters, operations, configurations, nodes, tags, policies and topics."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .cluster import server_properties
from .state import ClusterState, Operation
from .topics import TopicError

if TYPE_CHECKING:
    from .service import KafkaService

KAFKA_VERSIONS = ["2.8.1", "3.5.1", "3.6.0", "3.7.x", "3.8.x", "3.9.x"]
DEFAULT_VERSION = "3.6.0"
#: Seconds a cluster spends CREATING / UPDATING / DELETING (setting `kafka.transition_seconds`).
DEFAULT_TRANSITION = 10.0


def not_found(what: str = "The requested resource doesn't exist.") -> ServiceError:
    """MSK's NotFoundException (404)."""
    return ServiceError("NotFoundException", what, status_code=404)


def bad_request(message: str) -> ServiceError:
    """MSK's BadRequestException (400)."""
    return ServiceError("BadRequestException", message, status_code=400)


def conflict(message: str) -> ServiceError:
    """MSK's ConflictException (409)."""
    return ServiceError("ConflictException", message, status_code=409)


@dataclass(slots=True)
class Revision:
    """One revision of a configuration."""

    revision: int
    created: float
    description: str | None
    properties: bytes


@dataclass(slots=True)
class Configuration:
    """An MSK configuration: server.properties with revisions."""

    arn: str
    name: str
    description: str | None
    kafka_versions: list[str]
    created: float
    revisions: list[Revision] = field(default_factory=list)
    state: str = "ACTIVE"


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class ControlPlane:
    """AWS's MSK API over the service's clusters and configurations."""

    def __init__(self, service: KafkaService) -> None:
        self.service = service
        self.configurations: dict[str, Configuration] = {}

    # -- helpers ------------------------------------------------------------------------
    @property
    def clock(self):  # noqa: ANN201
        return self.service.clock

    def transition_seconds(self) -> float:
        """How long state transitions take in this lab."""
        return float(
            self.service.engine.settings.get("kafka.transition_seconds", DEFAULT_TRANSITION)
        )

    def cluster(self, arn: str) -> ClusterState:
        """The cluster with this ARN (a name is accepted too) or NotFoundException."""
        service = self.service
        found = service.clusters.get(arn)
        if found is None:
            for cluster in service.clusters.values():
                if cluster.name == arn:
                    return cluster
            raise not_found()
        return found

    def _active(self, cluster: ClusterState, current_version: str | None) -> None:
        if cluster.state != "ACTIVE":
            raise bad_request(
                f"The request can't be processed because the cluster is in the {cluster.state} state."
            )
        if current_version is not None and current_version != cluster.current_version:
            raise bad_request(
                "The cluster version specified in the request doesn't match the current version "
                "of the cluster."
            )

    def _defaults(self, info: dict | None) -> tuple[dict[str, str], dict | None]:
        if not info:
            return {}, None
        configuration = self.configurations.get(info["Arn"])
        if configuration is None:
            raise not_found(f"The configuration {info['Arn']} doesn't exist.")
        revision = int(info["Revision"])
        if not 1 <= revision <= len(configuration.revisions):
            raise bad_request(f"Revision {revision} of configuration {info['Arn']} doesn't exist.")
        text = configuration.revisions[revision - 1].properties.decode("utf-8", "replace")
        return server_properties(text), {"Arn": configuration.arn, "Revision": revision}

    def _operation(
        self, cluster: ClusterState, kind: str, target: dict | None = None, final: str = "ACTIVE"
    ) -> Operation:
        """Start an operation: UPDATING now, `final` after the transition time."""
        op = Operation(
            self.service.arn(
                f"cluster-operation/{cluster.name}/{cluster.uid}/{self.service.ids.uuid()}"
            ),
            cluster.arn,
            kind,
            "PENDING",
            self.clock.now(),
            source={"NumberOfBrokerNodes": cluster.broker_count},
            target=dict(target or {}),
        )
        cluster.operations.append(op)
        cluster.active_operation = op
        return op

    # -- clusters -------------------------------------------------------------------------
    def create_cluster(self, params: dict) -> dict:
        """CreateCluster (provisioned)."""
        cluster = self._create(params["ClusterName"], "PROVISIONED", params, params)
        return {"ClusterArn": cluster.arn, "ClusterName": cluster.name, "State": cluster.state}

    def create_cluster_v2(self, params: dict) -> dict:
        """CreateClusterV2 (provisioned or serverless)."""
        provisioned, serverless = params.get("Provisioned"), params.get("Serverless")
        if bool(provisioned) == bool(serverless):
            raise bad_request("Specify exactly one of Provisioned or Serverless.")
        kind = "PROVISIONED" if provisioned else "SERVERLESS"
        cluster = self._create(params["ClusterName"], kind, provisioned or {}, params)
        return {
            "ClusterArn": cluster.arn,
            "ClusterName": cluster.name,
            "State": cluster.state,
            "ClusterType": kind,
        }

    def _create(self, name: str, kind: str, spec: dict, params: dict) -> ClusterState:
        service = self.service
        if any(c.name == name for c in service.clusters.values()):
            raise conflict(f"A cluster with the name {name} already exists.")
        if kind == "PROVISIONED":
            count = int(spec.get("NumberOfBrokerNodes") or 0)
            subnets = (spec.get("BrokerNodeGroupInfo") or {}).get("ClientSubnets") or []
            if count < 1 or (subnets and count % len(subnets)):
                raise bad_request(
                    "The number of broker nodes must be a multiple of the number of Availability "
                    "Zones (client subnets)."
                )
            version = spec.get("KafkaVersion") or DEFAULT_VERSION
            if version not in KAFKA_VERSIONS:
                raise bad_request(f"Unsupported KafkaVersion {version}.")
        else:
            count = 3  # serverless: the lab simulates three brokers behind one endpoint
        defaults, configuration = self._defaults(spec.get("ConfigurationInfo"))
        uid = f"{service.ids.uuid()}-{len(service.clusters) + 1}"
        arn = service.arn(f"cluster/{name}/{uid}")
        request = json.loads(json.dumps(params, default=str))
        cluster = ClusterState(service, name, arn, uid, kind, count, request, defaults)
        cluster.configuration = configuration
        service.clusters[arn] = cluster
        op = self._operation(cluster, "CREATE")
        service.emit("created", arn, state="CREATING", brokers=count)
        self._after(cluster, op, "ACTIVE")
        return cluster

    def _after(self, cluster: ClusterState, op: Operation, final: str, apply: Any = None) -> None:
        """After the transition time: apply the change, reach `final`, finish the operation."""
        op.state = "UPDATE_IN_PROGRESS"

        def done() -> None:
            if cluster.closed:
                return
            self.service.engine.spawn(
                self._finish(cluster, op, final, apply), name=f"kafka:{op.kind}"
            )

        cluster.timers.append(self.clock.call_later(self.transition_seconds(), done))

    async def _finish(self, cluster: ClusterState, op: Operation, final: str, apply: Any) -> None:
        if apply is not None:
            apply()
        if final == "DELETED":
            await self.service.remove_cluster(cluster)
            return
        if cluster.listener is None:
            await self.service.open_listener(cluster)
        cluster.state = final
        op.state = "UPDATE_COMPLETE"
        op.ended = self.clock.now()
        cluster.active_operation = None
        if op.kind != "CREATE":
            cluster.current_version = "K" + self.service.ids.hex(12).upper()
        self.service.emit("state-changed", cluster.arn, state=final, operation=op.kind)

    def delete_cluster(self, params: dict) -> dict:
        """DeleteCluster: DELETING, then gone (listener closed, data released)."""
        cluster = self.cluster(params["ClusterArn"])
        current = params.get("CurrentVersion")
        if current is not None and current != cluster.current_version:
            raise bad_request(
                "The cluster version specified in the request doesn't match the current version "
                "of the cluster."
            )
        if cluster.state == "DELETING":
            raise bad_request("The cluster is already being deleted.")
        cluster.state = "DELETING"
        for timer in cluster.timers:
            timer.cancel()
        cluster.timers.clear()
        op = self._operation(cluster, "DELETE")
        self.service.emit("state-changed", cluster.arn, state="DELETING")
        self._after(cluster, op, "DELETED")
        return {"ClusterArn": cluster.arn, "State": "DELETING"}

    def describe_cluster(self, params: dict) -> dict:
        """DescribeCluster."""
        return {"ClusterInfo": self._info(self.cluster(params["ClusterArn"]))}

    def describe_cluster_v2(self, params: dict) -> dict:
        """DescribeClusterV2."""
        return {"ClusterInfo": self._info_v2(self.cluster(params["ClusterArn"]))}

    def list_clusters(self, params: dict) -> dict:
        """ListClusters (provisioned clusters)."""
        prefix = params.get("ClusterNameFilter") or ""
        items = [
            self._info(c)
            for c in self.service.clusters.values()
            if c.cluster_type == "PROVISIONED" and c.name.startswith(prefix)
        ]
        return self._page(items, params, "ClusterInfoList")

    def list_clusters_v2(self, params: dict) -> dict:
        """ListClustersV2."""
        prefix = params.get("ClusterNameFilter") or ""
        wanted = params.get("ClusterTypeFilter")
        items = [
            self._info_v2(c)
            for c in self.service.clusters.values()
            if c.name.startswith(prefix) and (not wanted or c.cluster_type == wanted)
        ]
        return self._page(items, params, "ClusterInfoList")

    @staticmethod
    def _page(items: list, params: dict, key: str) -> dict:
        start = (
            int(params.get("NextToken") or 0)
            if str(params.get("NextToken") or "0").isdigit()
            else 0
        )
        size = int(params.get("MaxResults") or 100)
        out: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            out["NextToken"] = str(start + size)
        return out

    def _info(self, cluster: ClusterState) -> dict:
        spec = cluster.request
        group = dict(spec.get("BrokerNodeGroupInfo") or {})
        group.setdefault("InstanceType", "kafka.m5.large")
        group.setdefault("ClientSubnets", [])
        info: dict[str, Any] = {
            "BrokerNodeGroupInfo": group,
            "ClusterArn": cluster.arn,
            "ClusterName": cluster.name,
            "CreationTime": _when(cluster.created),
            "CurrentBrokerSoftwareInfo": self._software(cluster),
            "CurrentVersion": cluster.current_version,
            "EncryptionInfo": spec.get("EncryptionInfo")
            or {"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT", "InCluster": True}},
            "EnhancedMonitoring": spec.get("EnhancedMonitoring", "DEFAULT"),
            "NumberOfBrokerNodes": cluster.broker_count,
            "State": cluster.state,
            "Tags": dict(cluster.tags),
            "StorageMode": spec.get("StorageMode", "LOCAL"),
            "ClientAuthentication": spec.get("ClientAuthentication")
            or {"Unauthenticated": {"Enabled": True}},
        }
        if cluster.active_operation is not None:
            info["ActiveOperationArn"] = cluster.active_operation.arn
        return info

    def _software(self, cluster: ClusterState) -> dict:
        software: dict[str, Any] = {
            "KafkaVersion": (cluster.request.get("Provisioned") or cluster.request).get(
                "KafkaVersion", DEFAULT_VERSION
            )
        }
        if cluster.configuration:
            software["ConfigurationArn"] = cluster.configuration["Arn"]
            software["ConfigurationRevision"] = cluster.configuration["Revision"]
        return software

    def _info_v2(self, cluster: ClusterState) -> dict:
        info: dict[str, Any] = {
            "ClusterType": cluster.cluster_type,
            "ClusterArn": cluster.arn,
            "ClusterName": cluster.name,
            "CreationTime": _when(cluster.created),
            "CurrentVersion": cluster.current_version,
            "State": cluster.state,
            "Tags": dict(cluster.tags),
        }
        if cluster.active_operation is not None:
            info["ActiveOperationArn"] = cluster.active_operation.arn
        if cluster.cluster_type == "SERVERLESS":
            serverless = cluster.request.get("Serverless") or {}
            info["Serverless"] = {
                "VpcConfigs": serverless.get("VpcConfigs", []),
                "ClientAuthentication": serverless.get("ClientAuthentication")
                or {"Sasl": {"Iam": {"Enabled": True}}},
            }
        else:
            v1 = self._info(cluster)
            info["Provisioned"] = {
                key: v1[key]
                for key in (
                    "BrokerNodeGroupInfo",
                    "CurrentBrokerSoftwareInfo",
                    "ClientAuthentication",
                    "EncryptionInfo",
                    "EnhancedMonitoring",
                    "NumberOfBrokerNodes",
                    "StorageMode",
                )
            }
        return info

    def get_bootstrap_brokers(self, params: dict) -> dict:
        """GetBootstrapBrokers: the lab's real loopback listener (PLAINTEXT)."""
        cluster = self.cluster(params["ClusterArn"])
        if cluster.listener is None:
            raise bad_request(
                f"The request can't be processed because the cluster is in the {cluster.state} state."
            )
        brokers = cluster.bootstrap()
        out = {"BootstrapBrokerString": brokers}
        auth = (cluster.request.get("Provisioned") or cluster.request).get("ClientAuthentication")
        if auth and ((auth.get("Sasl") or {}).get("Scram") or {}).get("Enabled"):
            # SASL/SCRAM is not negotiated by the lab's listener: the same plaintext port
            # answers (documented in docs/services/kafka.md).
            out["BootstrapBrokerStringSaslScram"] = brokers
        return out

    def list_nodes(self, params: dict) -> dict:
        """ListNodes: one broker node per simulated broker."""
        cluster = self.cluster(params["ClusterArn"])
        host, port = cluster.address()
        group = cluster.request.get("BrokerNodeGroupInfo") or {}
        instance = group.get("InstanceType", "kafka.m5.large")
        subnets = group.get("ClientSubnets") or ["subnet-0lab"]
        nodes = []
        for broker in cluster.data.broker_ids:
            nodes.append(
                {
                    "AddedToClusterTime": _when(cluster.created).isoformat(),
                    "InstanceType": instance,
                    "NodeARN": self.service.arn(f"broker/{cluster.name}/{cluster.uid}/{broker}"),
                    "NodeType": "BROKER",
                    "BrokerNodeInfo": {
                        "BrokerId": float(broker),
                        "ClientSubnet": subnets[(broker - 1) % len(subnets)],
                        "ClientVpcIpAddress": host,
                        "CurrentBrokerSoftwareInfo": self._software(cluster),
                        "Endpoints": [f"{host}:{port}"],
                    },
                }
            )
        return self._page(nodes, params, "NodeInfoList")

    def update_broker_count(self, params: dict) -> dict:
        """UpdateBrokerCount: brokers can only be added; new ones hold no partitions."""
        cluster = self.cluster(params["ClusterArn"])
        self._active(cluster, params["CurrentVersion"])
        target = params["TargetNumberOfBrokerNodes"]
        if target <= cluster.broker_count:
            raise bad_request(
                "The number of broker nodes can't be decreased. Specify a number larger than "
                f"{cluster.broker_count}."
            )
        op = self._operation(cluster, "INCREASE_BROKER_COUNT", {"NumberOfBrokerNodes": target})
        cluster.state = "UPDATING"

        def apply() -> None:
            data = cluster.data
            data.broker_ids.extend(range(len(data.broker_ids) + 1, target + 1))

        self._after(cluster, op, "ACTIVE", apply)
        return {"ClusterArn": cluster.arn, "ClusterOperationArn": op.arn}

    def update_broker_storage(self, params: dict) -> dict:
        """UpdateBrokerStorage (recorded; storage is not a limit in the lab)."""
        cluster = self.cluster(params["ClusterArn"])
        self._active(cluster, params["CurrentVersion"])
        volumes = params["TargetBrokerEBSVolumeInfo"]
        op = self._operation(cluster, "UPDATE_BROKER_STORAGE", {"BrokerEBSVolumeInfo": volumes})
        cluster.state = "UPDATING"

        def apply() -> None:
            group = cluster.request.setdefault("BrokerNodeGroupInfo", {})
            size = volumes[0].get("VolumeSizeGB") if volumes else None
            if size:
                group["StorageInfo"] = {"EbsStorageInfo": {"VolumeSize": size}}

        self._after(cluster, op, "ACTIVE", apply)
        return {"ClusterArn": cluster.arn, "ClusterOperationArn": op.arn}

    def update_cluster_configuration(self, params: dict) -> dict:
        """UpdateClusterConfiguration: new server properties become the topics' defaults."""
        cluster = self.cluster(params["ClusterArn"])
        self._active(cluster, params["CurrentVersion"])
        defaults, configuration = self._defaults(params["ConfigurationInfo"])
        op = self._operation(
            cluster, "UPDATE_CLUSTER_CONFIGURATION", {"ConfigurationInfo": configuration}
        )
        cluster.state = "UPDATING"

        def apply() -> None:
            cluster.data.defaults = defaults
            cluster.configuration = configuration

        self._after(cluster, op, "ACTIVE", apply)
        return {"ClusterArn": cluster.arn, "ClusterOperationArn": op.arn}

    def reboot_broker(self, params: dict) -> dict:
        """RebootBroker: the broker goes down (leaders move), then comes back."""
        cluster = self.cluster(params["ClusterArn"])
        self._active(cluster, None)
        ids = [int(b) for b in params["BrokerIds"]]
        for broker in ids:
            if broker not in cluster.data.broker_ids:
                raise bad_request(f"Broker {broker} doesn't exist in this cluster.")
        op = self._operation(cluster, "REBOOT_NODE", {"BrokerIds": ids})
        cluster.state = "REBOOTING_BROKER"
        for broker in ids:
            cluster.data.set_down(broker, True)

        def apply() -> None:
            for broker in ids:
                cluster.data.set_down(broker, False)

        self._after(cluster, op, "ACTIVE", apply)
        return {"ClusterArn": cluster.arn, "ClusterOperationArn": op.arn}

    def list_cluster_operations(self, params: dict) -> dict:
        """ListClusterOperations."""
        cluster = self.cluster(params["ClusterArn"])
        items = [self._describe_op(op) for op in reversed(cluster.operations)]
        return self._page(items, params, "ClusterOperationInfoList")

    def describe_cluster_operation(self, params: dict) -> dict:
        """DescribeClusterOperation."""
        arn = params["ClusterOperationArn"]
        for cluster in self.service.clusters.values():
            for op in cluster.operations:
                if op.arn == arn:
                    return {"ClusterOperationInfo": self._describe_op(op)}
        raise not_found()

    def _describe_op(self, op: Operation) -> dict:
        out: dict[str, Any] = {
            "ClusterArn": op.cluster_arn,
            "CreationTime": _when(op.started),
            "OperationArn": op.arn,
            "OperationState": op.state,
            "OperationType": op.kind,
            "SourceClusterInfo": op.source,
            "TargetClusterInfo": op.target,
        }
        if op.ended is not None:
            out["EndTime"] = _when(op.ended)
        return out

    # -- versions ---------------------------------------------------------------------------
    def list_kafka_versions(self, params: dict) -> dict:
        """ListKafkaVersions."""
        return {"KafkaVersions": [{"Version": v, "Status": "ACTIVE"} for v in KAFKA_VERSIONS]}

    def get_compatible_kafka_versions(self, params: dict) -> dict:
        """GetCompatibleKafkaVersions."""
        if params.get("ClusterArn"):
            current = self._software(self.cluster(params["ClusterArn"]))["KafkaVersion"]
        else:
            current = DEFAULT_VERSION
        newer = [v for v in KAFKA_VERSIONS if v > current]
        return {"CompatibleKafkaVersions": [{"SourceVersion": current, "TargetVersions": newer}]}

    # -- configurations -------------------------------------------------------------------------
    def create_configuration(self, params: dict) -> dict:
        """CreateConfiguration: revision 1 of a server.properties text."""
        name = params["Name"]
        if any(c.name == name for c in self.configurations.values()):
            raise conflict(f"A configuration with the name {name} already exists.")
        properties = self._properties(params["ServerProperties"])
        arn = self.service.arn(f"configuration/{name}/{self.service.ids.uuid()}-1")
        now = self.clock.now()
        config = Configuration(
            arn, name, params.get("Description"), list(params.get("KafkaVersions") or []), now
        )
        config.revisions.append(Revision(1, now, params.get("Description"), properties))
        self.configurations[arn] = config
        return {
            "Arn": arn,
            "CreationTime": _when(now),
            "LatestRevision": self._revision(config.revisions[-1]),
            "Name": name,
            "State": "ACTIVE",
        }

    @staticmethod
    def _properties(blob: bytes | str) -> bytes:
        data = blob.encode() if isinstance(blob, str) else bytes(blob)
        try:
            server_properties(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise bad_request(f"ServerProperties is not a valid properties file: {error}") from None
        return data

    @staticmethod
    def _revision(revision: Revision) -> dict:
        out: dict[str, Any] = {
            "CreationTime": _when(revision.created),
            "Revision": revision.revision,
        }
        if revision.description:
            out["Description"] = revision.description
        return out

    def _configuration(self, arn: str) -> Configuration:
        config = self.configurations.get(arn)
        if config is None:
            raise not_found()
        return config

    def describe_configuration(self, params: dict) -> dict:
        """DescribeConfiguration."""
        config = self._configuration(params["Arn"])
        out = {
            "Arn": config.arn,
            "CreationTime": _when(config.created),
            "KafkaVersions": list(config.kafka_versions),
            "LatestRevision": self._revision(config.revisions[-1]),
            "Name": config.name,
            "State": config.state,
        }
        if config.description:
            out["Description"] = config.description
        return out

    def describe_configuration_revision(self, params: dict) -> dict:
        """DescribeConfigurationRevision: the properties text of one revision."""
        config = self._configuration(params["Arn"])
        number = params["Revision"]
        if not 1 <= number <= len(config.revisions):
            raise not_found()
        revision = config.revisions[number - 1]
        out = {
            "Arn": config.arn,
            "CreationTime": _when(revision.created),
            "Revision": revision.revision,
            "ServerProperties": revision.properties,
        }
        if revision.description:
            out["Description"] = revision.description
        return out

    def list_configurations(self, params: dict) -> dict:
        """ListConfigurations."""
        items = [self.describe_configuration({"Arn": a}) for a in self.configurations]
        return self._page(items, params, "Configurations")

    def list_configuration_revisions(self, params: dict) -> dict:
        """ListConfigurationRevisions."""
        config = self._configuration(params["Arn"])
        return self._page([self._revision(r) for r in config.revisions], params, "Revisions")

    def update_configuration(self, params: dict) -> dict:
        """UpdateConfiguration: a new revision (clusters keep theirs until updated)."""
        config = self._configuration(params["Arn"])
        properties = self._properties(params["ServerProperties"])
        revision = Revision(
            len(config.revisions) + 1, self.clock.now(), params.get("Description"), properties
        )
        config.revisions.append(revision)
        return {"Arn": config.arn, "LatestRevision": self._revision(revision)}

    def delete_configuration(self, params: dict) -> dict:
        """DeleteConfiguration (refused while a cluster uses it)."""
        config = self._configuration(params["Arn"])
        for cluster in self.service.clusters.values():
            if cluster.configuration and cluster.configuration["Arn"] == config.arn:
                raise bad_request("The configuration is in use by a cluster and can't be deleted.")
        del self.configurations[config.arn]
        return {"Arn": config.arn, "State": "DELETING"}

    # -- tags and policies ---------------------------------------------------------------------
    def _tagged(self, arn: str) -> dict[str, str]:
        if arn in self.service.clusters:
            return self.service.clusters[arn].tags
        raise not_found()

    def tag_resource(self, params: dict) -> dict:
        """TagResource."""
        tags = self._tagged(params["ResourceArn"])
        if len({**tags, **params["Tags"]}) > 50:
            raise bad_request("A resource can have at most 50 tags.")
        tags.update(params["Tags"])
        return {}

    def untag_resource(self, params: dict) -> dict:
        """UntagResource."""
        tags = self._tagged(params["ResourceArn"])
        for key in params["TagKeys"]:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        """ListTagsForResource."""
        return {"Tags": dict(self._tagged(params["ResourceArn"]))}

    def put_cluster_policy(self, params: dict) -> dict:
        """PutClusterPolicy: a resource policy (JSON) for the cluster."""
        cluster = self.cluster(params["ClusterArn"])
        try:
            json.loads(params["Policy"])
        except ValueError:
            raise bad_request("The policy is not valid JSON.") from None
        current = params.get("CurrentVersion")
        if (
            current is not None
            and cluster.policy is not None
            and current != str(cluster.policy_version)
        ):
            raise conflict("The policy version specified in the request doesn't match.")
        cluster.policy = params["Policy"]
        cluster.policy_version += 1
        return {"CurrentVersion": str(cluster.policy_version)}

    def get_cluster_policy(self, params: dict) -> dict:
        """GetClusterPolicy."""
        cluster = self.cluster(params["ClusterArn"])
        if cluster.policy is None:
            raise not_found()
        return {"CurrentVersion": str(cluster.policy_version), "Policy": cluster.policy}

    def delete_cluster_policy(self, params: dict) -> dict:
        """DeleteClusterPolicy."""
        cluster = self.cluster(params["ClusterArn"])
        cluster.policy = None
        return {}

    # -- topics (MSK's topic API) ----------------------------------------------------------------
    def _ready(self, params: dict) -> ClusterState:
        cluster = self.cluster(params["ClusterArn"])
        if cluster.listener is None:
            raise bad_request(
                f"The request can't be processed because the cluster is in the {cluster.state} state."
            )
        return cluster

    @staticmethod
    def _topic_configs(text: str | None) -> dict[str, str]:
        if not text:
            return {}
        try:
            decoded = base64.b64decode(text, validate=True).decode()
        except ValueError:
            decoded = text
        try:
            value = json.loads(decoded)
            if isinstance(value, dict):
                return {str(k): str(v) for k, v in value.items()}
        except ValueError:
            pass
        try:
            return server_properties(decoded)
        except ValueError as error:
            raise bad_request(f"Configs is not valid: {error}") from None

    def _raise_topic(self, error: TopicError) -> ServiceError:
        if error.code == 36:
            return ServiceError("TopicExistsException", error.message, status_code=409)
        if error.code == 3:
            return ServiceError("UnknownTopicOrPartitionException", error.message, status_code=404)
        return bad_request(error.message)

    def create_topic(self, params: dict) -> dict:
        """CreateTopic."""
        cluster = self._ready(params)
        try:
            self.service.topics.create(
                cluster.data,
                params["TopicName"],
                params["PartitionCount"],
                params["ReplicationFactor"],
                self._topic_configs(params.get("Configs")),
            )
        except TopicError as error:
            raise self._raise_topic(error) from None
        self.service.emit("topic-created", cluster.topic_arn(params["TopicName"]))
        return {
            "TopicArn": cluster.topic_arn(params["TopicName"]),
            "TopicName": params["TopicName"],
            "Status": "CREATING",
        }

    def _topic(self, cluster: ClusterState, name: str) -> Any:
        topic = cluster.data.topics.get(name)
        if topic is None:
            raise ServiceError(
                "UnknownTopicOrPartitionException",
                "This server does not host this topic-partition.",
                404,
            )
        return topic

    def describe_topic(self, params: dict) -> dict:
        """DescribeTopic: partitions, replication and configs (base64 JSON)."""
        cluster = self._ready(params)
        topic = self._topic(cluster, params["TopicName"])
        configs = {name: cluster.data.topic_config(topic, name) for name in sorted(topic.configs)}
        return {
            "TopicArn": cluster.topic_arn(topic.name),
            "TopicName": topic.name,
            "ReplicationFactor": len(topic.partitions[0].replicas),
            "PartitionCount": len(topic.partitions),
            "Configs": base64.b64encode(json.dumps(configs).encode()).decode(),
            "Status": "ACTIVE",
        }

    def describe_topic_partitions(self, params: dict) -> dict:
        """DescribeTopicPartitions: leader, replicas and ISR per partition."""
        cluster = self._ready(params)
        topic = self._topic(cluster, params["TopicName"])
        items = [
            {
                "Partition": p.index,
                "Leader": p.leader,
                "Replicas": list(p.replicas),
                "Isr": list(p.isr),
            }
            for p in topic.partitions
        ]
        return self._page(items, params, "Partitions")

    def list_topics(self, params: dict) -> dict:
        """ListTopics."""
        cluster = self._ready(params)
        prefix = params.get("TopicNameFilter") or ""
        items = [
            {
                "TopicArn": cluster.topic_arn(t.name),
                "TopicName": t.name,
                "ReplicationFactor": len(t.partitions[0].replicas),
                "PartitionCount": len(t.partitions),
                "OutOfSyncReplicaCount": sum(len(p.replicas) - len(p.isr) for p in t.partitions),
            }
            for t in cluster.data.topics.values()
            if t.name.startswith(prefix)
        ]
        return self._page(items, params, "Topics")

    def update_topic(self, params: dict) -> dict:
        """UpdateTopic: configs and/or more partitions."""
        cluster = self._ready(params)
        topic = self._topic(cluster, params["TopicName"])
        try:
            configs = None
            if params.get("Configs"):
                configs = self.service.topics.check_configs(
                    {**topic.configs, **self._topic_configs(params["Configs"])}
                )
            if params.get("PartitionCount"):
                self.service.topics.add_partitions(
                    cluster.data, topic.name, params["PartitionCount"], False
                )
            if configs is not None:
                topic.configs = configs
        except TopicError as error:
            raise self._raise_topic(error) from None
        return {
            "TopicArn": cluster.topic_arn(topic.name),
            "TopicName": topic.name,
            "Status": "UPDATING",
        }

    def delete_topic(self, params: dict) -> dict:
        """DeleteTopic."""
        cluster = self._ready(params)
        try:
            self.service.topics.delete(cluster.data, params["TopicName"])
        except TopicError as error:
            raise self._raise_topic(error) from None
        self.service.emit("topic-deleted", cluster.topic_arn(params["TopicName"]))
        return {
            "TopicArn": cluster.topic_arn(params["TopicName"]),
            "TopicName": params["TopicName"],
            "Status": "DELETING",
        }
