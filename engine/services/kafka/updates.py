"""Cluster updates that change recorded settings (version, broker type, monitoring, security …),
cluster operations in the V2 shape, and SCRAM secret associations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .control import KAFKA_VERSIONS, _when, bad_request, not_found

if TYPE_CHECKING:
    from .control import ControlPlane

#: Operation → (OperationType, request members copied into the cluster's settings).
SETTING_UPDATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "update_cluster_kafka_version": ("UPDATE_CLUSTER_KAFKA_VERSION", ("TargetKafkaVersion",)),
    "update_broker_type": ("UPDATE_BROKER_TYPE", ("TargetInstanceType",)),
    "update_monitoring": (
        "UPDATE_MONITORING",
        ("EnhancedMonitoring", "OpenMonitoring", "LoggingInfo"),
    ),
    "update_security": ("UPDATE_SECURITY", ("ClientAuthentication", "EncryptionInfo")),
    "update_connectivity": ("UPDATE_CONNECTIVITY", ("ConnectivityInfo",)),
    "update_storage": ("UPDATE_STORAGE", ("StorageMode", "VolumeSizeGB", "ProvisionedThroughput")),
    "update_rebalancing": ("UPDATE_REBALANCING", ("Rebalancing",)),
}


class ClusterUpdates:
    """The setting updates, V2 operation views and SCRAM secret lists of MSK clusters."""

    def __init__(self, control: ControlPlane) -> None:
        self.control = control
        for name in SETTING_UPDATES:
            setattr(self, name, self._updater(name))

    def _updater(self, name: str) -> Any:
        kind, members = SETTING_UPDATES[name]

        def update(params: dict) -> dict:
            control = self.control
            cluster = control.cluster(params["ClusterArn"])
            control._active(cluster, params["CurrentVersion"])
            if name == "update_cluster_kafka_version":
                target = params["TargetKafkaVersion"]
                current = control._software(cluster)["KafkaVersion"]
                if target not in KAFKA_VERSIONS or target <= current:
                    raise bad_request(f"Kafka version {current} can't be updated to {target}.")
            changes = {m: params[m] for m in members if m in params}
            op = control._operation(cluster, kind, changes)
            cluster.state = "UPDATING"

            def apply() -> None:
                spec = cluster.request
                for member, value in changes.items():
                    if member == "TargetKafkaVersion":
                        spec["KafkaVersion"] = value
                    elif member == "TargetInstanceType":
                        spec.setdefault("BrokerNodeGroupInfo", {})["InstanceType"] = value
                    else:
                        spec[member] = value

            control._after(cluster, op, "ACTIVE", apply)
            return {"ClusterArn": cluster.arn, "ClusterOperationArn": op.arn}

        update.__name__ = name
        update.__doc__ = f"{kind}: recorded on the cluster after an UPDATING transition."
        return update

    # -- V2 operation views ------------------------------------------------------------------
    def _v2(self, op: Any, cluster: Any, summary: bool) -> dict:
        out: dict[str, Any] = {
            "ClusterArn": op.cluster_arn,
            "ClusterType": cluster.cluster_type,
            "StartTime": _when(op.started),
            "OperationArn": op.arn,
            "OperationState": op.state,
            "OperationType": op.kind,
        }
        if op.ended is not None:
            out["EndTime"] = _when(op.ended)
        if not summary and cluster.cluster_type == "PROVISIONED":
            out["Provisioned"] = {"SourceClusterInfo": op.source, "TargetClusterInfo": op.target}
        return out

    def describe_cluster_operation_v2(self, params: dict) -> dict:
        """DescribeClusterOperationV2."""
        arn = params["ClusterOperationArn"]
        for cluster in self.control.service.clusters.values():
            for op in cluster.operations:
                if op.arn == arn:
                    return {"ClusterOperationInfo": self._v2(op, cluster, False)}
        raise not_found()

    def list_cluster_operations_v2(self, params: dict) -> dict:
        """ListClusterOperationsV2."""
        cluster = self.control.cluster(params["ClusterArn"])
        items = [self._v2(op, cluster, True) for op in reversed(cluster.operations)]
        return self.control._page(items, params, "ClusterOperationInfoList")

    # -- SCRAM secrets --------------------------------------------------------------------------
    def batch_associate_scram_secret(self, params: dict) -> dict:
        """BatchAssociateScramSecret: record the secrets (the listener does not check them)."""
        cluster = self.control.cluster(params["ClusterArn"])
        unprocessed = []
        for arn in params["SecretArnList"]:
            if not arn.split(":secret:")[-1].startswith("AmazonMSK_"):
                unprocessed.append(
                    {
                        "ErrorCode": "InvalidSecretName",
                        "ErrorMessage": "The secret name must begin with AmazonMSK_.",
                        "SecretArn": arn,
                    }
                )
            elif arn not in cluster.scram_secrets:
                cluster.scram_secrets.append(arn)
        return {"ClusterArn": cluster.arn, "UnprocessedScramSecrets": unprocessed}

    def batch_disassociate_scram_secret(self, params: dict) -> dict:
        """BatchDisassociateScramSecret."""
        cluster = self.control.cluster(params["ClusterArn"])
        unprocessed = []
        for arn in params["SecretArnList"]:
            if arn in cluster.scram_secrets:
                cluster.scram_secrets.remove(arn)
            else:
                unprocessed.append(
                    {
                        "ErrorCode": "SecretNotFound",
                        "ErrorMessage": "Not associated.",
                        "SecretArn": arn,
                    }
                )
        return {"ClusterArn": cluster.arn, "UnprocessedScramSecrets": unprocessed}

    def list_scram_secrets(self, params: dict) -> dict:
        """ListScramSecrets."""
        cluster = self.control.cluster(params["ClusterArn"])
        return self.control._page(list(cluster.scram_secrets), params, "SecretArnList")

    def list_client_vpc_connections(self, params: dict) -> dict:
        """ListClientVpcConnections: the lab has no VPC connections."""
        self.control.cluster(params["ClusterArn"])
        return {"ClientVpcConnections": []}
