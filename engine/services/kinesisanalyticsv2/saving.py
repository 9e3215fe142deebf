"""`dump()` / `load()` data for applications: configuration, status, snapshots, reader positions.

A running application is saved with where its readers stood; restored, it starts again from there
once the lab is not held (windows open at save time are rebuilt from the records read again).
Positions are saved as {source: {shard index: position}}, both as text (JSON keys are text, and
a 56-digit Kinesis position is no JSON integer a lab file keeps).
"""

from __future__ import annotations

import copy
from typing import Any

from .application import Application, Snapshot

_FIELDS = (
    "runtime",
    "role",
    "created",
    "description",
    "mode",
    "version",
    "code",
    "inputs",
    "outputs",
    "references",
    "flink",
    "properties",
    "snapshots_enabled",
    "rollback_enabled",
    "vpcs",
    "logging",
    "maintenance",
    "tags",
    "next_id",
)


def _positions_out(positions: dict[str, dict[int, int]]) -> dict[str, dict[str, str]]:
    # Kinesis positions are 56-digit numbers: text, as the lab file keeps no such integers.
    return {
        source: {str(k): str(v) for k, v in shards.items()} for source, shards in positions.items()
    }


def _positions_in(saved: dict[str, dict[str, str]]) -> dict[str, dict[int, int]]:
    return {source: {int(k): int(v) for k, v in shards.items()} for source, shards in saved.items()}


def dump_application(app: Application) -> dict[str, Any]:
    """One application as plain JSON-able data."""
    data: dict[str, Any] = {"name": app.name}
    for name in _FIELDS:
        data[name] = copy.deepcopy(getattr(app, name))
    running = app.status in ("RUNNING", "STARTING", "UPDATING", "ROLLING_BACK", "AUTOSCALING")
    data["running"] = running
    data["positions"] = _positions_out(app.job.positions()) if app.job is not None else {}
    data["snapshots"] = [
        {
            "name": s.name,
            "version": s.version,
            "created": s.created,
            "runtime": s.runtime,
            "positions": _positions_out(s.positions),
        }
        for s in app.snapshots.values()
    ]
    return data


def load_application(data: dict[str, Any], arn: str) -> tuple[Application, bool, dict]:
    """(application, whether it was running, its readers' positions) from saved data."""
    app = Application(data["name"], arn, data["runtime"], data["role"], float(data["created"]))
    for name in _FIELDS:
        if name in data:
            setattr(app, name, copy.deepcopy(data[name]))
    app.status = "READY"
    for saved in data.get("snapshots") or []:
        app.snapshots[saved["name"]] = Snapshot(
            saved["name"],
            int(saved["version"]),
            float(saved["created"]),
            saved["runtime"],
            _positions_in(saved.get("positions") or {}),
        )
    return app, bool(data.get("running")), _positions_in(data.get("positions") or {})
