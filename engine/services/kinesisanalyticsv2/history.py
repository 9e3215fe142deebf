"""Versions, operations, rollbacks and snapshots of Flink applications."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .application import UPDATE_SECONDS, Application, Operation, Snapshot, when

if TYPE_CHECKING:
    from .service import AnalyticsService


class History:
    """Versions, operations, rollbacks and snapshots of Flink applications."""

    def __init__(self, service: AnalyticsService) -> None:
        self.service = service

    def list_application_versions(self, params: dict) -> dict:
        app = self.flink_only(params["ApplicationName"])
        summaries = [
            {"ApplicationVersionId": v, "ApplicationStatus": d["ApplicationStatus"]}
            for v, d in sorted(app.versions.items(), reverse=True)
        ]
        summaries.insert(0, {"ApplicationVersionId": app.version, "ApplicationStatus": app.status})
        return {"ApplicationVersionSummaries": summaries[: params.get("Limit") or 50]}

    def describe_application_version(self, params: dict) -> dict:
        app = self.flink_only(params["ApplicationName"])
        version = params["ApplicationVersionId"]
        if version == app.version:
            return {"ApplicationVersionDetail": app.describe()}
        if version not in app.versions:
            raise ServiceError(
                "ResourceNotFoundException", f"Application version {version} is not found"
            )
        return {"ApplicationVersionDetail": copy.deepcopy(app.versions[version])}

    def rollback_application(self, params: dict) -> dict:
        app = self.flink_only(params["ApplicationName"])
        self.service._check_version(app, params)
        if app.status not in ("RUNNING", "UPDATING", "AUTOSCALING") or app.version < 2:
            raise ServiceError(
                "InvalidRequestException", f"Application {app.name} cannot be rolled back now"
            )
        previous = app.versions[app.version - 1]
        text = previous["ApplicationConfigurationDescription"].get(
            "ApplicationCodeConfigurationDescription", {}
        )
        content = text.get("CodeContentDescription", {})
        if "TextContent" in content:
            app.code = {
                "CodeContentType": "PLAINTEXT",
                "CodeContent": {"TextContent": content["TextContent"]},
            }
        self.service._changed(app)
        op = self.service._operation(app, "RollbackApplication")
        self.service._halt(app)
        app.status = "ROLLING_BACK"
        app.timer = self.service.clock.call_later(UPDATE_SECONDS, self.service._run, app, op)
        detail = app.describe()
        detail["ApplicationVersionRolledBackTo"] = app.version - 2
        return {"ApplicationDetail": detail, "OperationId": op.operation_id}

    def flink_only(self, name: str) -> Application:
        app = self.service._app(name)
        if app.sql:
            raise ServiceError(
                "UnsupportedOperationException", "This operation is for Flink applications"
            )
        return app

    def list_application_operations(self, params: dict) -> dict:
        app = self.flink_only(params["ApplicationName"])
        ops = [
            o
            for o in reversed(app.operations)
            if params.get("Operation") in (None, o.operation)
            and params.get("OperationStatus") in (None, o.status)
        ]
        return {
            "ApplicationOperationInfoList": [
                self.operation_info(o) for o in ops[: params.get("Limit") or 50]
            ]
        }

    def operation_info(self, op: Operation) -> dict:
        info: dict[str, Any] = {
            "Operation": op.operation,
            "OperationId": op.operation_id,
            "StartTime": when(op.started),
            "OperationStatus": op.status,
        }
        if op.ended is not None:
            info["EndTime"] = when(op.ended)
        return info

    def describe_application_operation(self, params: dict) -> dict:
        app = self.flink_only(params["ApplicationName"])
        op = next((o for o in app.operations if o.operation_id == params["OperationId"]), None)
        if op is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Operation {params['OperationId']} is not found"
            )
        return {
            "ApplicationOperationInfoDetails": {
                **self.operation_info(op),
                "ApplicationVersionChangeDetails": {
                    "ApplicationVersionUpdatedFrom": max(app.version - 1, 1),
                    "ApplicationVersionUpdatedTo": app.version,
                },
            }
        }

    def take_snapshot(self, app: Application, name: str) -> Snapshot:
        positions = app.job.positions() if app.job is not None else {}
        snapshot = Snapshot(name, app.version, self.service.clock.now(), app.runtime, positions)
        app.snapshots[name] = snapshot
        self.service.emit("snapshot-created", app.arn, snapshot=name)
        return snapshot

    def create_application_snapshot(self, params: dict) -> dict:
        app = self.flink_only(params["ApplicationName"])
        name = params["SnapshotName"]
        if not app.snapshots_enabled:
            raise ServiceError(
                "InvalidRequestException", f"Snapshots are disabled for application {app.name}"
            )
        if app.status != "RUNNING":
            raise ServiceError(
                "InvalidApplicationConfigurationException", f"Application {app.name} is not RUNNING"
            )
        if name in app.snapshots:
            raise ServiceError("ResourceInUseException", f"Snapshot {name} already exists")
        self.take_snapshot(app, name)
        return {}

    def snapshot_details(self, snapshot: Snapshot) -> dict:
        return {
            "SnapshotName": snapshot.name,
            "SnapshotStatus": "READY",
            "ApplicationVersionId": snapshot.version,
            "SnapshotCreationTimestamp": when(snapshot.created),
            "RuntimeEnvironment": snapshot.runtime,
        }

    def list_application_snapshots(self, params: dict) -> dict:
        app = self.flink_only(params["ApplicationName"])
        snapshots = sorted(app.snapshots.values(), key=lambda s: s.created)
        return {
            "SnapshotSummaries": [
                self.snapshot_details(s) for s in snapshots[: params.get("Limit") or 50]
            ]
        }

    def describe_application_snapshot(self, params: dict) -> dict:
        app = self.flink_only(params["ApplicationName"])
        snapshot = app.snapshots.get(params["SnapshotName"])
        if snapshot is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Snapshot {params['SnapshotName']} is not found"
            )
        return {"SnapshotDetails": self.snapshot_details(snapshot)}

    def delete_application_snapshot(self, params: dict) -> dict:
        app = self.flink_only(params["ApplicationName"])
        snapshot = app.snapshots.get(params["SnapshotName"])
        if snapshot is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Snapshot {params['SnapshotName']} is not found"
            )
        if abs(params["SnapshotCreationTimestamp"].timestamp() - snapshot.created) > 1:
            raise ServiceError(
                "InvalidArgumentException",
                "SnapshotCreationTimestamp does not match the snapshot's",
            )
        del app.snapshots[snapshot.name]
        return {}
