"""Multi-Region secrets in a one-Region lab: replicas are recorded with AWS's replication status.

The lab serves one Region, so a replica is not a second copy anyone can read; it is the primary's
record of where AWS would keep one. A new replica reports `InProgress` for its first seconds on
the lab clock and `InSync` afterwards (read lazily, no timer). StopReplicationToReplica takes the
replica's ARN (the primary's ARN with the replica's Region), as AWS expects it in that Region.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ...errors import ServiceError
from .models import Replica, Secret

if TYPE_CHECKING:
    from .service import SecretsManagerService

#: How long (lab seconds) a new replica reports InProgress before InSync.
SYNC_SECONDS = 2.0
DEFAULT_KEY = "alias/aws/secretsmanager"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class Replication:
    """ReplicateSecretToRegions, RemoveRegionsFromReplication, StopReplicationToReplica."""

    def __init__(self, service: SecretsManagerService) -> None:
        self.service = service

    # -- status ----------------------------------------------------------------------------------
    def status(self, secret: Secret) -> list[dict[str, Any]]:
        """The ReplicationStatus list, as DescribeSecret and the replication calls show it."""
        now = self.service.clock.now()
        entries = []
        for replica in secret.replicas.values():
            synced = now >= replica.started + SYNC_SECONDS
            entry: dict[str, Any] = {
                "Region": replica.region,
                "KmsKeyId": replica.kms_key_id,
                "Status": "InSync" if synced else "InProgress",
                "StatusMessage": "Replication succeeded" if synced else "Replication in progress",
            }
            if replica.accessed is not None:
                entry["LastAccessedDate"] = datetime.fromtimestamp(replica.accessed, UTC)
            entries.append(entry)
        return entries

    # -- adding and removing ---------------------------------------------------------------------
    def add(self, secret: Secret, regions: list[dict[str, Any]]) -> None:
        """Add replicas (CreateSecret's AddReplicaRegions too); all checked before any is added."""
        home = self.service.region
        wanted: dict[str, str] = {}
        for entry in regions:
            region = entry.get("Region", "")
            if not _REGION.match(region):
                raise ServiceError("InvalidParameterException", f"Invalid Region: {region}")
            if region == home:
                raise ServiceError(
                    "InvalidParameterException",
                    "Invalid replica region. A replica can't be in the primary secret's Region.",
                )
            if region in wanted:
                raise ServiceError(
                    "InvalidParameterException", f"Duplicate replica region: {region}"
                )
            wanted[region] = entry.get("KmsKeyId") or DEFAULT_KEY
        now = self.service.clock.now()
        for region, key in wanted.items():
            if region not in secret.replicas:
                secret.replicas[region] = Replica(region, key, now)
                self.service.emit("replicated", secret.arn, region=region)

    def replicate_secret_to_regions(self, params: dict) -> dict:
        secret = self.service.secret_for(params["SecretId"])
        self.add(secret, params["AddReplicaRegions"])
        return {"ARN": secret.arn, "ReplicationStatus": self.status(secret)}

    def remove_regions_from_replication(self, params: dict) -> dict:
        secret = self.service.secret_for(params["SecretId"])
        regions = params["RemoveReplicaRegions"]
        for region in regions:
            if region not in secret.replicas:
                raise ServiceError(
                    "InvalidParameterException",
                    f"The secret {secret.name} isn't replicated to Region {region}.",
                )
        for region in regions:
            del secret.replicas[region]
            self.service.emit("replica-removed", secret.arn, region=region)
        return {"ARN": secret.arn, "ReplicationStatus": self.status(secret)}

    def stop_replication_to_replica(self, params: dict) -> dict:
        secret_id = params["SecretId"]
        found = self.replica_named(secret_id)
        if found is None:
            if self.service.find(secret_id) is None:
                raise ServiceError(
                    "ResourceNotFoundException", "Secrets Manager can't find the specified secret."
                )
            raise ServiceError(
                "InvalidRequestException",
                "StopReplicationToReplica is only valid on a replica secret; "
                f"{secret_id} is a primary secret.",
            )
        secret, region = found
        del secret.replicas[region]
        arn = replica_arn(secret.arn, region)
        self.service.emit("replica-promoted", secret.arn, region=region, replica=arn)
        return {"ARN": arn}

    def replica_named(self, secret_id: str) -> tuple[Secret, str] | None:
        """(primary, Region) for a replica's ARN (full or without the random suffix)."""
        parts = secret_id.split(":", 5)
        if len(parts) < 6 or not secret_id.startswith("arn:") or parts[3] == self.service.region:
            return None
        region = parts[3]
        for secret in self.service.secrets.values():
            if region in secret.replicas:
                arn = replica_arn(secret.arn, region)
                if secret_id in (arn, arn[:-7]):
                    return secret, region
        return None


def replica_arn(primary_arn: str, region: str) -> str:
    """A replica's ARN: the primary's, in the replica's Region."""
    parts = primary_arn.split(":", 5)
    parts[3] = region
    return ":".join(parts)
