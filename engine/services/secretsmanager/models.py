"""A secret as Secrets Manager keeps it: metadata, versions and the staging labels on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...clock import Timer

CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"
PENDING = "AWSPENDING"


@dataclass(slots=True)
class SecretVersion:
    """One version: its value (None while a rotation's AWSPENDING version waits for one)."""

    version_id: str
    string: str | None
    binary: bytes | None
    created: float
    stages: list[str] = field(default_factory=list)
    last_accessed: float | None = None

    @property
    def has_value(self) -> bool:
        """Whether this version holds a secret value."""
        return self.string is not None or self.binary is not None


@dataclass(slots=True)
class Secret:
    """One secret: its name, ARN, settings, versions and rotation schedule."""

    name: str
    arn: str
    created: float
    description: str | None = None
    kms_key_id: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    versions: dict[str, SecretVersion] = field(default_factory=dict)
    changed: float | None = None
    accessed: float | None = None
    deleted: float | None = None  # when DeleteSecret scheduled it
    deletion_date: float | None = None
    rotation_lambda: str | None = None
    rotation_rules: dict[str, Any] | None = None
    rotation_enabled: bool = False
    last_rotated: float | None = None
    next_rotation: float | None = None
    rotation_timer: Timer | None = None
    deletion_timer: Timer | None = None
    policy: str | None = None
    owning_service: str | None = None
    tagged: bool = False  # once tagged, DescribeSecret shows Tags (even empty)
    replicas: dict[str, Replica] = field(default_factory=dict)  # by Region

    def stage_owner(self, stage: str) -> SecretVersion | None:
        """The version that carries staging label `stage`."""
        for version in self.versions.values():
            if stage in version.stages:
                return version
        return None

    def move_stage(self, stage: str, to: SecretVersion) -> SecretVersion | None:
        """Put `stage` on `to`, taking it from whichever version had it; returns that version."""
        previous = self.stage_owner(stage)
        if previous is to:
            return None
        if previous is not None:
            previous.stages.remove(stage)
        to.stages.append(stage)
        return previous

    def prune(self) -> None:
        """Forget versions without labels beyond AWS's limit of about 100 versions."""
        unlabelled = [v for v in self.versions.values() if not v.stages]
        excess = len(self.versions) - 100
        for version in unlabelled[: max(0, excess)]:
            del self.versions[version.version_id]

    def cancel_timers(self) -> None:
        """Stop rotation and deletion timers."""
        for timer in (self.rotation_timer, self.deletion_timer):
            if timer is not None:
                timer.cancel()
        self.rotation_timer = self.deletion_timer = None


@dataclass(slots=True)
class Replica:
    """A copy of a secret in another Region (the lab serves one Region: it records, not serves)."""

    region: str
    kms_key_id: str
    started: float
    accessed: float | None = None
