"""IAM's state for one account: entities by name, keys by id, and lookups that raise IAM's errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ...errors import ServiceError
from .entities import (
    AccessKey,
    Group,
    InstanceProfile,
    ManagedPolicy,
    Role,
    Session,
    User,
)

#: IAM's quotas, as the IAM User Guide's "IAM and AWS STS quotas" page lists them.
MAX_POLICY_VERSIONS = 5
MAX_ACCESS_KEYS = 2
MAX_ATTACHED_POLICIES = 10
MAX_GROUPS_PER_USER = 10
MAX_TAGS = 50
MANAGED_POLICY_SIZE = 6144
TRUST_POLICY_SIZE = 2048
INLINE_SIZE = {"user": 2048, "group": 5120, "role": 10240}


def no_such_entity(message: str) -> ServiceError:
    """IAM's 404 for a name or ARN that names nothing."""
    return ServiceError("NoSuchEntity", message, status_code=404)


def already_exists(message: str) -> ServiceError:
    """IAM's 409 for a name already taken."""
    return ServiceError("EntityAlreadyExists", message, status_code=409)


def delete_conflict(message: str) -> ServiceError:
    """IAM's 409 for deleting something still in use."""
    return ServiceError("DeleteConflict", message, status_code=409)


def limit_exceeded(message: str) -> ServiceError:
    """IAM's 409 for a quota reached."""
    return ServiceError("LimitExceeded", message, status_code=409)


def validation(message: str) -> ServiceError:
    """IAM's generic 400 for a bad parameter value."""
    return ServiceError("ValidationError", message)


def invalid_input(message: str) -> ServiceError:
    """IAM's 400 for an input it refuses."""
    return ServiceError("InvalidInput", message)


@dataclass(slots=True)
class IamStore:
    """Every IAM entity in the lab's account, plus STS sessions; `generation` counts changes."""

    account_id: str
    now: Callable[[], float]
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    policies: dict[str, ManagedPolicy] = field(default_factory=dict)  # by ARN
    profiles: dict[str, InstanceProfile] = field(default_factory=dict)
    keys: dict[str, AccessKey] = field(default_factory=dict)  # long-term keys by id
    sessions: dict[str, Session] = field(default_factory=dict)  # temporary keys by id
    #: Bumped on every change that can alter a permission decision (evaluation cache key).
    generation: int = 0
    listeners: list[Callable[[], None]] = field(default_factory=list)

    def changed(self) -> None:
        """Record a change to some policy, membership or key (invalidates decision caches)."""
        self.generation += 1
        for listener in self.listeners:
            listener()

    def timestamp(self, epoch: float | None = None) -> datetime:
        """An epoch time as IAM's timestamp."""
        return datetime.fromtimestamp(self.now() if epoch is None else epoch, UTC)

    def iam_arn(self, kind: str, path: str, name: str) -> str:
        """An IAM ARN (IAM is global: no region)."""
        return f"arn:aws:iam::{self.account_id}:{kind}{path}{name}"

    # -- lookups that raise IAM's errors ----------------------------------------------------
    def user(self, name: str) -> User:
        """The user `name`, or NoSuchEntity."""
        user = self.users.get(name)
        if user is None:
            raise no_such_entity(f"The user with name {name} cannot be found.")
        return user

    def group(self, name: str) -> Group:
        """The group `name`, or NoSuchEntity."""
        group = self.groups.get(name)
        if group is None:
            raise no_such_entity(f"The group with name {name} cannot be found.")
        return group

    def role(self, name: str) -> Role:
        """The role `name`, or NoSuchEntity."""
        role = self.roles.get(name)
        if role is None:
            raise no_such_entity(f"The role with name {name} cannot be found.")
        return role

    def profile(self, name: str) -> InstanceProfile:
        """The instance profile `name`, or NoSuchEntity."""
        profile = self.profiles.get(name)
        if profile is None:
            raise no_such_entity(f"Instance Profile {name} cannot be found.")
        return profile

    def policy(self, arn: str) -> ManagedPolicy:
        """The managed policy `arn`, or NoSuchEntity."""
        policy = self.policies.get(arn)
        if policy is None:
            raise no_such_entity(f"Policy {arn} does not exist or is not attachable.")
        return policy

    def role_by_arn(self, arn: str) -> Role | None:
        """The role an ARN names (any path), or None."""
        name = arn.rsplit("/", 1)[-1]
        role = self.roles.get(name)
        return role if role is not None and role.arn == arn else None

    def user_by_arn(self, arn: str) -> User | None:
        """The user an ARN names (any path), or None."""
        name = arn.rsplit("/", 1)[-1]
        user = self.users.get(name)
        return user if user is not None and user.arn == arn else None


def page(items: list[Any], params: dict, key: str) -> dict:
    """IAM's Marker/MaxItems paging over an already ordered list."""
    start = 0
    marker = params.get("Marker")
    if marker is not None:
        if not marker.isdigit():
            raise validation("Invalid Marker.")
        start = int(marker)
    size = params.get("MaxItems", 100)
    chunk = items[start : start + size]
    result: dict[str, Any] = {key: chunk, "IsTruncated": start + size < len(items)}
    if result["IsTruncated"]:
        result["Marker"] = str(start + size)
    return result


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    """Tags as IAM lists them."""
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def add_tags(target: dict[str, str], tags: list[dict[str, str]]) -> None:
    """Apply TagX's tags (replacing values of existing keys) within IAM's 50-tag quota."""
    keys = [tag["Key"] for tag in tags]
    if len(set(keys)) != len(keys):
        raise invalid_input(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
    merged = {**target, **{tag["Key"]: tag["Value"] for tag in tags}}
    if len(merged) > MAX_TAGS:
        raise limit_exceeded("The number of tags has reached the maximum limit.")
    target.clear()
    target.update(merged)


def remove_tags(target: dict[str, str], keys: list[str]) -> None:
    """Apply UntagX."""
    for key in keys:
        target.pop(key, None)
