"""One application: its configuration (AWS's shapes), status, versions, snapshots and job."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.clock import Timer

from .job import Job

#: Seconds of engine time each status transition takes (AWS takes minutes).
START_SECONDS = 5.0
STOP_SECONDS = 2.0
UPDATE_SECONDS = 2.0

_FLINK_DEFAULTS = {
    "CheckpointConfigurationDescription": {
        "ConfigurationType": "DEFAULT",
        "CheckpointingEnabled": True,
        "CheckpointInterval": 60000,
        "MinPauseBetweenCheckpoints": 5000,
    },
    "MonitoringConfigurationDescription": {
        "ConfigurationType": "DEFAULT",
        "MetricsLevel": "APPLICATION",
        "LogLevel": "INFO",
    },
    "ParallelismConfigurationDescription": {
        "ConfigurationType": "DEFAULT",
        "Parallelism": 1,
        "ParallelismPerKPU": 1,
        "CurrentParallelism": 1,
        "AutoScalingEnabled": False,
    },
}


def when(epoch: float) -> datetime:
    """An engine time as the timestamp boto3 returns."""
    return datetime.fromtimestamp(epoch, UTC)


@dataclass(slots=True)
class Snapshot:
    """A named snapshot: the application version and where its readers stood."""

    name: str
    version: int
    created: float
    runtime: str
    positions: dict[str, dict[int, int]]


@dataclass(slots=True)
class Operation:
    """A long-running operation (start, stop, update …) as ListApplicationOperations shows it."""

    operation_id: str
    operation: str
    started: float
    status: str = "IN_PROGRESS"
    ended: float | None = None


@dataclass(slots=True)
class Application:
    """One Kinesis Data Analytics / Managed Flink application."""

    name: str
    arn: str
    runtime: str
    role: str
    created: float
    description: str = ""
    mode: str = "STREAMING"
    status: str = "READY"
    version: int = 1
    updated: float | None = None
    code: dict[str, Any] = field(default_factory=dict)  # ApplicationCodeConfiguration
    inputs: list[dict[str, Any]] = field(default_factory=list)  # InputDescriptions
    outputs: list[dict[str, Any]] = field(default_factory=list)  # OutputDescriptions
    references: list[dict[str, Any]] = field(default_factory=list)
    flink: dict[str, Any] = field(default_factory=dict)  # FlinkApplicationConfigurationDescription
    properties: list[dict[str, Any]] = field(default_factory=list)
    snapshots_enabled: bool = False
    rollback_enabled: bool = False
    vpcs: list[dict[str, Any]] = field(default_factory=list)
    logging: list[dict[str, Any]] = field(default_factory=list)
    maintenance: dict[str, str] = field(
        default_factory=lambda: {
            "ApplicationMaintenanceWindowStartTime": "06:00",
            "ApplicationMaintenanceWindowEndTime": "14:00",
        }
    )
    tags: dict[str, str] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)
    versions: dict[int, dict[str, Any]] = field(default_factory=dict)  # id → ApplicationDetail
    run_configuration: dict[str, Any] = field(default_factory=dict)
    job: Job | None = None
    timer: Timer | None = None
    next_id: int = 1
    failure: str | None = None

    @property
    def sql(self) -> bool:
        """Whether this is a legacy SQL application."""
        return self.runtime == "SQL-1_0"

    def text(self) -> str:
        """The application code (a SQL script in both runtimes)."""
        return (self.code.get("CodeContent") or {}).get("TextContent", "")

    def new_id(self) -> str:
        """AWS's ids for inputs, outputs and reference sources: "1.1", "2.1" …"""
        value = f"{self.next_id}.1"
        self.next_id += 1
        return value

    def describe(self) -> dict[str, Any]:
        """ApplicationDetail as DescribeApplication returns it."""
        config: dict[str, Any] = {}
        code = self.code
        if code:
            content = code.get("CodeContent") or {}
            described: dict[str, Any] = {}
            if "TextContent" in content:
                text = content["TextContent"]
                described = {
                    "TextContent": text,
                    "CodeMD5": hashlib.md5(text.encode()).hexdigest(),
                    "CodeSize": len(text.encode()),
                }
            elif "S3ContentLocation" in content:
                described = {
                    "S3ApplicationCodeLocationDescription": dict(content["S3ContentLocation"])
                }
            config["ApplicationCodeConfigurationDescription"] = {
                "CodeContentType": code.get("CodeContentType", "PLAINTEXT"),
                "CodeContentDescription": described,
            }
        if self.sql:
            config["SqlApplicationConfigurationDescription"] = {
                "InputDescriptions": copy.deepcopy(self.inputs),
                "OutputDescriptions": copy.deepcopy(self.outputs),
                "ReferenceDataSourceDescriptions": copy.deepcopy(self.references),
            }
        else:
            config["FlinkApplicationConfigurationDescription"] = copy.deepcopy(
                self.flink or _FLINK_DEFAULTS
            )
            config["EnvironmentPropertyDescriptions"] = {
                "PropertyGroupDescriptions": copy.deepcopy(self.properties)
            }
            config["ApplicationSnapshotConfigurationDescription"] = {
                "SnapshotsEnabled": self.snapshots_enabled
            }
            config["ApplicationSystemRollbackConfigurationDescription"] = {
                "RollbackEnabled": self.rollback_enabled
            }
            if self.run_configuration:
                config["RunConfigurationDescription"] = copy.deepcopy(self.run_configuration)
        if self.vpcs:
            config["VpcConfigurationDescriptions"] = copy.deepcopy(self.vpcs)
        detail: dict[str, Any] = {
            "ApplicationARN": self.arn,
            "ApplicationName": self.name,
            "RuntimeEnvironment": self.runtime,
            "ServiceExecutionRole": self.role,
            "ApplicationStatus": self.status,
            "ApplicationVersionId": self.version,
            "CreateTimestamp": when(self.created),
            "LastUpdateTimestamp": when(self.updated or self.created),
            "ApplicationConfigurationDescription": config,
            "CloudWatchLoggingOptionDescriptions": copy.deepcopy(self.logging),
            "ApplicationMode": self.mode,
        }
        if self.description:
            detail["ApplicationDescription"] = self.description
        if not self.sql:
            detail["ApplicationMaintenanceConfigurationDescription"] = dict(self.maintenance)
        if self.version > 1:
            detail["ApplicationVersionUpdatedFrom"] = self.version - 1
        return detail


def flink_description(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """FlinkApplicationConfiguration(Update) applied onto the described settings."""
    described = copy.deepcopy(current or _FLINK_DEFAULTS)
    for part, key in (
        ("CheckpointConfiguration", "CheckpointConfigurationDescription"),
        ("MonitoringConfiguration", "MonitoringConfigurationDescription"),
        ("ParallelismConfiguration", "ParallelismConfigurationDescription"),
    ):
        given = update.get(part) or update.get(part + "Update")
        if given:
            for name, value in given.items():
                described[key][name.removesuffix("Update")] = value
            if described[key].get("ConfigurationType") == "DEFAULT":
                described[key].update(
                    {k: v for k, v in _FLINK_DEFAULTS[key].items() if k != "ConfigurationType"}
                )
    parallelism = described["ParallelismConfigurationDescription"]
    parallelism["CurrentParallelism"] = parallelism.get("Parallelism", 1)
    return described
