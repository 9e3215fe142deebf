"""Save and open: IAM's entities as plain data (STS sessions are temporary and not kept)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .entities import (
    AccessKey,
    Group,
    InstanceProfile,
    ManagedPolicy,
    PolicyVersion,
    Role,
    ServiceCredential,
    User,
)
from .store import IamStore


def dump(store: IamStore) -> dict[str, Any] | None:
    """Users, groups, roles, customer managed policies, instance profiles and keys."""
    policies = [p for p in store.policies.values() if not p.aws_managed]
    if not (store.users or store.groups or store.roles or policies or store.profiles):
        return None

    def policy_data(policy: ManagedPolicy) -> dict[str, Any]:
        data = asdict(policy)
        data["attached_to"] = sorted(policy.attached_to)
        data["boundary_of"] = sorted(policy.boundary_of)
        return data

    return {
        "users": [asdict(u) for u in store.users.values()],
        "groups": [asdict(g) for g in store.groups.values()],
        "roles": [asdict(r) for r in store.roles.values()],
        "policies": [policy_data(p) for p in policies],
        "aws_attachments": {
            p.arn: sorted(p.attached_to) for p in store.policies.values() if p.aws_managed
        },
        "profiles": [asdict(p) for p in store.profiles.values()],
    }


def load(store: IamStore, data: dict[str, Any]) -> None:
    """Restore what `dump` produced into a fresh store."""
    for item in data.get("policies", []):
        versions = {k: PolicyVersion(**v) for k, v in item.pop("versions").items()}
        policy = ManagedPolicy(**item, versions=versions)
        policy.attached_to = set(item["attached_to"])
        policy.boundary_of = set(item["boundary_of"])
        store.policies[policy.arn] = policy
    for arn, attached in data.get("aws_attachments", {}).items():
        if arn in store.policies:
            store.policies[arn].attached_to = set(attached)
    for item in data.get("users", []):
        keys = {k: AccessKey(**v) for k, v in item.pop("access_keys").items()}
        credentials = {
            k: ServiceCredential(**v) for k, v in item.pop("service_credentials").items()
        }
        user = User(**item, access_keys=keys, service_credentials=credentials)
        store.users[user.name] = user
        store.keys.update(keys)
    for item in data.get("groups", []):
        store.groups[item["name"]] = Group(**item)
    for item in data.get("roles", []):
        store.roles[item["name"]] = Role(**item)
    for item in data.get("profiles", []):
        store.profiles[item["name"]] = InstanceProfile(**item)
    store.changed()
