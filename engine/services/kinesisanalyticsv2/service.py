"""Managed Service for Apache Flink / Kinesis Data Analytics: applications running windowed SQL.

Both runtimes run SQL on the lab's streaming engine (DuckDB over micro-batches): SQL-1_0 runs
AWS's legacy streaming SQL over the configured inputs and outputs; FLINK-* runtimes take a Flink
SQL script as the application code (a lab convention: `CodeContent.TextContent` holds the
script; JVM and Python Flink jobs are out of scope). Statuses move on the engine clock:
READY → STARTING → RUNNING → STOPPING → READY, RUNNING → UPDATING → RUNNING.

Internal API (console, lessons): `query(stream, sql, listener) -> Job` runs an ad-hoc continuous
query over a Kinesis stream (columns from the discovered schema, windows over ROWTIME) and
`job_of(name)` gives a running application's job.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from engine.errors import ServiceError
from engine.model import operations
from engine.service import Service
from engine.topology import Edge, Node

from . import compiler
from .application import (
    START_SECONDS,
    STOP_SECONDS,
    UPDATE_SECONDS,
    Application,
    Operation,
    flink_description,
)
from .configuration import Configuration
from .discovery import discover
from .history import History
from .job import Job
from .plan import Plan, Sink, Source
from .planning import OUTPUT_KINDS, Planner, bucket_name
from .saving import dump_application, load_application

MAX_TAGS = 50


def _not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Application {name} is not found")


class AnalyticsService(Service):
    """Applications, their inputs/outputs, snapshots and the jobs that run them."""

    name = "kinesisanalyticsv2"
    validation_error_code = "InvalidArgumentException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.apps: dict[str, Application] = {}
        self.adhoc: list[Job] = []
        self.planner = Planner(self)
        self.configuration = Configuration(self)
        self.history = History(self)

    async def close(self) -> None:
        for app in self.apps.values():
            self._halt(app)
        for job in self.adhoc:
            job.stop()
        self.adhoc.clear()

    def holdings(self) -> dict[str, int]:
        return {
            "applications": len(self.apps),
            "jobs": sum(1 for a in self.apps.values() if a.job) + len(self.adhoc),
            "buffered-rows": sum(
                a.job.status()["buffered_rows"] for a in self.apps.values() if a.job
            ),
        }

    # -- helpers --------------------------------------------------------------------------
    def _app(self, name: str) -> Application:
        app = self.apps.get(name)
        if app is None:
            raise _not_found(name)
        return app

    def _app_by_arn(self, arn: str) -> Application:
        app = next((a for a in self.apps.values() if a.arn == arn), None)
        if app is None:
            raise ServiceError("ResourceNotFoundException", f"Resource {arn} is not found")
        return app

    def _check_version(self, app: Application, params: dict, required: bool = True) -> None:
        given = params.get("CurrentApplicationVersionId")
        if given is None and not required:
            return
        if given != app.version:
            raise ServiceError(
                "ConcurrentModificationException",
                f"Current application version is {app.version}, not {given}",
            )

    def _changed(self, app: Application) -> None:
        app.versions[app.version] = app.describe()
        app.version += 1
        app.updated = self.clock.now()
        while len(app.versions) > 50:
            app.versions.pop(min(app.versions))

    def _operation(self, app: Application, kind: str) -> Operation:
        op = Operation(self.ids.hex(16), kind, self.clock.now())
        app.operations.append(op)
        del app.operations[:-100]
        return op

    def _finish(self, op: Operation, status: str = "SUCCESSFUL") -> None:
        op.status, op.ended = status, self.clock.now()

    # -- configuration pieces ---------------------------------------------------------------
    # -- applications -----------------------------------------------------------------------
    def create_application(self, params: dict) -> dict:
        name = params["ApplicationName"]
        if name in self.apps:
            raise ServiceError("ResourceInUseException", f"Application {name} already exists")
        runtime = params["RuntimeEnvironment"]
        config = params.get("ApplicationConfiguration") or {}
        if runtime.startswith("ZEPPELIN") or params.get("ApplicationMode") == "INTERACTIVE":
            raise ServiceError(
                "UnsupportedOperationException",
                "Studio (Zeppelin) notebooks are not emulated by the lab",
            )
        if runtime == "SQL-1_0" and config.get("FlinkApplicationConfiguration"):
            raise ServiceError(
                "InvalidArgumentException", "FlinkApplicationConfiguration is not valid for SQL-1_0"
            )
        if runtime != "SQL-1_0" and config.get("SqlApplicationConfiguration"):
            raise ServiceError(
                "InvalidArgumentException",
                f"SqlApplicationConfiguration is not valid for {runtime}",
            )
        tags = {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []}
        if len(tags) > MAX_TAGS:
            raise ServiceError(
                "TooManyTagsException", f"An application can have at most {MAX_TAGS} tags"
            )
        app = Application(
            name,
            self.arn(f"application/{name}", service="kinesisanalytics"),
            runtime,
            params["ServiceExecutionRole"],
            self.clock.now(),
            params.get("ApplicationDescription", ""),
            params.get("ApplicationMode", "STREAMING"),
            tags=tags,
        )
        app.code = copy.deepcopy(config.get("ApplicationCodeConfiguration") or {})
        sql = config.get("SqlApplicationConfiguration") or {}
        app.inputs = [
            self.configuration.input_description(app, given) for given in sql.get("Inputs") or []
        ]
        for given in sql.get("Outputs") or []:
            app.outputs.append(self.configuration.output_description(app, given))
        app.references = [
            self.configuration.reference_description(app, given)
            for given in sql.get("ReferenceDataSources") or []
        ]
        if runtime != "SQL-1_0":
            app.flink = flink_description({}, config.get("FlinkApplicationConfiguration") or {})
            app.properties = copy.deepcopy(
                (config.get("EnvironmentProperties") or {}).get("PropertyGroups") or []
            )
            app.snapshots_enabled = bool(
                (config.get("ApplicationSnapshotConfiguration") or {}).get("SnapshotsEnabled", True)
            )
            app.rollback_enabled = bool(
                (config.get("ApplicationSystemRollbackConfiguration") or {}).get(
                    "RollbackEnabled", False
                )
            )
        app.logging = [
            {"CloudWatchLoggingOptionId": app.new_id(), "LogStreamARN": o["LogStreamARN"]}
            for o in params.get("CloudWatchLoggingOptions") or []
        ]
        self.planner.validate(app)
        self.apps[name] = app
        self.emit("created", app.arn, runtime=runtime)
        return {"ApplicationDetail": app.describe()}

    def describe_application(self, params: dict) -> dict:
        return {"ApplicationDetail": self._app(params["ApplicationName"]).describe()}

    def list_applications(self, params: dict) -> dict:
        names = sorted(self.apps)
        token = params.get("NextToken")
        if token:
            names = [n for n in names if n > token]
        limit = params.get("Limit") or 50
        page = names[:limit]
        result: dict[str, Any] = {
            "ApplicationSummaries": [
                {
                    "ApplicationName": a.name,
                    "ApplicationARN": a.arn,
                    "ApplicationStatus": a.status,
                    "ApplicationVersionId": a.version,
                    "RuntimeEnvironment": a.runtime,
                    "ApplicationMode": a.mode,
                }
                for a in (self.apps[n] for n in page)
            ]
        }
        if len(names) > limit:
            result["NextToken"] = page[-1]
        return result

    def delete_application(self, params: dict) -> dict:
        app = self._app(params["ApplicationName"])
        if abs(params["CreateTimestamp"].timestamp() - app.created) > 1:
            raise ServiceError(
                "InvalidArgumentException", "CreateTimestamp does not match the application's"
            )
        if app.status in ("STARTING", "UPDATING", "STOPPING"):
            raise ServiceError(
                "ResourceInUseException", f"Application {app.name} is in {app.status} status"
            )
        self._halt(app)
        del self.apps[app.name]
        self.emit("deleted", app.arn)
        return {}

    def _halt(self, app: Application) -> None:
        if app.timer is not None:
            app.timer.cancel()
            app.timer = None
        if app.job is not None:
            app.job.stop()
            app.job = None

    def update_application(self, params: dict) -> dict:
        app = self._app(params["ApplicationName"])
        self._check_version(app, params, required=False)
        if app.status not in ("READY", "RUNNING"):
            raise ServiceError(
                "ResourceInUseException", f"Application {app.name} is in {app.status} status"
            )
        update = params.get("ApplicationConfigurationUpdate") or {}
        trial = copy.copy(app)
        trial.code = copy.deepcopy(app.code)
        code = update.get("ApplicationCodeConfigurationUpdate") or {}
        if code:
            content = code.get("CodeContentUpdate") or {}
            if "TextContentUpdate" in content:
                trial.code = {
                    "CodeContentType": code.get(
                        "CodeContentTypeUpdate", app.code.get("CodeContentType", "PLAINTEXT")
                    ),
                    "CodeContent": {"TextContent": content["TextContentUpdate"]},
                }
        sql_update = update.get("SqlApplicationConfigurationUpdate") or {}
        if sql_update and not app.sql:
            raise ServiceError(
                "InvalidArgumentException", "SqlApplicationConfigurationUpdate is only for SQL-1_0"
            )
        trial.outputs = copy.deepcopy(app.outputs)
        for change in sql_update.get("OutputUpdates") or []:
            found = next((o for o in trial.outputs if o["OutputId"] == change["OutputId"]), None)
            if found is None:
                raise ServiceError(
                    "ResourceNotFoundException", f"Output {change['OutputId']} is not found"
                )
            if "NameUpdate" in change:
                found["Name"] = change["NameUpdate"]
            for key in OUTPUT_KINDS:
                if key + "Update" in change:
                    for other in OUTPUT_KINDS:
                        found.pop(other + "Description", None)
                    found[key + "Description"] = {
                        "ResourceARN": change[key + "Update"]["ResourceARNUpdate"]
                    }
        self.planner.validate(trial)
        app.code, app.outputs = trial.code, trial.outputs
        flink = update.get("FlinkApplicationConfigurationUpdate")
        if flink:
            app.flink = flink_description(app.flink, flink)
        env = update.get("EnvironmentPropertyUpdates")
        if env:
            app.properties = copy.deepcopy(env.get("PropertyGroups") or [])
        snap = update.get("ApplicationSnapshotConfigurationUpdate")
        if snap:
            app.snapshots_enabled = bool(snap["SnapshotsEnabledUpdate"])
        if params.get("ServiceExecutionRoleUpdate"):
            app.role = params["ServiceExecutionRoleUpdate"]
        self._changed(app)
        op = self._operation(app, "UpdateApplication")
        if app.status == "RUNNING":
            self._halt(app)
            app.status = "UPDATING"
            app.timer = self.clock.call_later(UPDATE_SECONDS, self._run, app, op)
        else:
            self._finish(op)
        self.emit("updated", app.arn, version=app.version)
        return {"ApplicationDetail": app.describe(), "OperationId": op.operation_id}

    def start_application(self, params: dict) -> dict:
        app = self._app(params["ApplicationName"])
        if app.status != "READY":
            raise ServiceError(
                "ResourceInUseException",
                f"Application {app.name} is in {app.status} status and cannot be started",
            )
        run = copy.deepcopy(params.get("RunConfiguration") or {})
        if app.sql and not app.inputs:
            raise ServiceError(
                "InvalidApplicationConfigurationException", "The application has no input"
            )
        self.planner.validate(app)
        restore = run.get("ApplicationRestoreConfiguration") or {}
        custom = restore.get("ApplicationRestoreType") == "RESTORE_FROM_CUSTOM_SNAPSHOT"
        if custom and restore.get("SnapshotName") not in app.snapshots:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Snapshot {restore.get('SnapshotName')} is not found",
            )
        if not app.sql:
            app.run_configuration = {
                "ApplicationRestoreConfigurationDescription": {
                    "ApplicationRestoreType": restore.get(
                        "ApplicationRestoreType", "RESTORE_FROM_LATEST_SNAPSHOT"
                    ),
                    **(
                        {"SnapshotName": restore["SnapshotName"]}
                        if restore.get("SnapshotName")
                        else {}
                    ),
                },
                "FlinkRunConfigurationDescription": {
                    "AllowNonRestoredState": bool(
                        (run.get("FlinkRunConfiguration") or {}).get("AllowNonRestoredState", False)
                    )
                },
            }
        app.status = "STARTING"
        app.failure = None
        op = self._operation(app, "StartApplication")
        app.timer = self.clock.call_later(START_SECONDS, self._run, app, op, run)
        self.emit("starting", app.arn)
        return {"OperationId": op.operation_id}

    def _run(
        self,
        app: Application,
        op: Operation,
        run: dict | None = None,
        positions: dict | None = None,
    ) -> None:
        app.timer = None
        run = run or {}
        start = "LATEST"
        for sql_run in run.get("SqlRunConfigurations") or []:
            position = (sql_run.get("InputStartingPositionConfiguration") or {}).get(
                "InputStartingPosition"
            )
            if position == "TRIM_HORIZON":
                start = "TRIM_HORIZON"
        # A restored lab resumes where its readers stood; a start, from the snapshot it names.
        positions = positions or self._restore_point(app, run)
        try:
            plan = self.planner.plan(app, start)
            job = Job(self, app.arn, plan)
            try:
                job.start(positions)
            except ServiceError:
                job.stop()
                raise
        except ServiceError as error:
            app.status, app.failure = "READY", error.message
            self._finish(op, "FAILED")
            self.emit("failed", app.arn, error=error.code, message=error.message)
            return
        app.job = job
        app.status = "RUNNING"
        self._finish(op)
        self.emit("started", app.arn, queries=len(plan.queries))

    def _restore_point(self, app: Application, run: dict) -> dict | None:
        restore = run.get("ApplicationRestoreConfiguration") or {}
        kind = restore.get("ApplicationRestoreType", "RESTORE_FROM_LATEST_SNAPSHOT")
        if kind == "RESTORE_FROM_CUSTOM_SNAPSHOT" and restore.get("SnapshotName") in app.snapshots:
            return app.snapshots[restore["SnapshotName"]].positions
        if kind == "RESTORE_FROM_LATEST_SNAPSHOT" and app.snapshots:
            return max(app.snapshots.values(), key=lambda s: s.created).positions
        return None

    def stop_application(self, params: dict) -> dict:
        app = self._app(params["ApplicationName"])
        force = bool(params.get("Force"))
        if app.status not in ("RUNNING", "STARTING", "UPDATING") and not (
            force and app.status != "READY"
        ):
            raise ServiceError(
                "ResourceInUseException",
                f"Application {app.name} is in {app.status} status and cannot be stopped",
            )
        if app.snapshots_enabled and not force and app.job is not None and not app.sql:
            self.history.take_snapshot(app, f"stop-{int(self.clock.now())}")
        self._halt(app)
        app.status = "FORCE_STOPPING" if force else "STOPPING"
        op = self._operation(app, "ForceStopApplication" if force else "StopApplication")
        app.timer = self.clock.call_later(STOP_SECONDS, self._stopped, app, op)
        self.emit("stopping", app.arn, force=force)
        return {"OperationId": op.operation_id}

    def _stopped(self, app: Application, op: Operation) -> None:
        app.timer = None
        app.status = "READY"
        self._finish(op)
        self.emit("stopped", app.arn)

    # -- inputs, outputs, references ----------------------------------------------------------
    # -- versions, operations --------------------------------------------------------------
    # -- snapshots ---------------------------------------------------------------------------
    # -- schema discovery --------------------------------------------------------------------
    def discover_input_schema(self, params: dict) -> dict:
        position = (params.get("InputStartingPositionConfiguration") or {}).get(
            "InputStartingPosition", "NOW"
        )
        if params.get("S3Configuration"):
            s3 = params["S3Configuration"]
            body = self.engine.service("s3").get_object_internal(
                bucket_name(s3["BucketARN"]), s3["FileKey"]
            )
            samples = [
                line.encode()
                for line in body.decode("utf-8", "replace").splitlines()
                if line.strip()
            ][:100]
        elif params.get("ResourceARN"):
            samples = self._sample(params["ResourceARN"], position)
        else:
            raise ServiceError("InvalidArgumentException", "Give ResourceARN or S3Configuration")
        return discover(samples)

    def _sample(self, arn: str, position: str) -> list[bytes]:
        if ":kinesis:" not in arn:
            raise ServiceError(
                "InvalidArgumentException",
                "Schema discovery samples Kinesis streams and S3 objects",
            )
        kinesis = self.engine.service("kinesis")
        stream = kinesis.stream_for_arn(arn)
        if stream is None:
            raise ServiceError("ResourceNotFoundException", f"Stream {arn} is not found")
        samples: list[bytes] = []
        for shard in kinesis.shards(arn):
            start = kinesis.start_position(arn, shard.shard_id, "TRIM_HORIZON")
            records, *_ = kinesis.read(stream, shard, start, 10_000)
            samples += [r["Data"] for r in records]
        # NOW samples the newest records (the lab does not wait for new ones); else the oldest.
        return samples[-100:] if position == "NOW" else samples[:100]

    # -- tags ------------------------------------------------------------------------------
    def tag_resource(self, params: dict) -> dict:
        app = self._app_by_arn(params["ResourceARN"])
        tags = dict(app.tags)
        tags.update({t["Key"]: t.get("Value", "") for t in params["Tags"]})
        if len(tags) > MAX_TAGS:
            raise ServiceError(
                "TooManyTagsException", f"An application can have at most {MAX_TAGS} tags"
            )
        app.tags = tags
        return {}

    def untag_resource(self, params: dict) -> dict:
        app = self._app_by_arn(params["ResourceARN"])
        for key in params["TagKeys"]:
            app.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        app = self._app_by_arn(params["ResourceARN"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in app.tags.items()]}

    # -- internal API ------------------------------------------------------------------------
    def job_of(self, name: str) -> Job | None:
        """The running job of an application, or None."""
        app = self.apps.get(name)
        return app.job if app is not None else None

    def query(
        self, stream: str, sql: str, listener: Callable[[str, list[str], list[tuple]], None]
    ) -> Job:
        """An ad-hoc continuous query over a Kinesis stream, printing rows as windows close."""
        arn = (
            stream if stream.startswith("arn:") else self.arn(f"stream/{stream}", service="kinesis")
        )
        name = arn.rsplit("/", 1)[-1]
        schema = discover(self._sample(arn, "TRIM_HORIZON"))["InputSchema"]
        columns, fmt, delimiter = self.planner.columns(schema)
        source = Source(name, columns, "kinesis", arn, fmt, delimiter, None, "arrival", 0, "LATEST")
        plan = Plan(sources={name: source}, sinks={"__print": Sink("__print", "print")})
        translator = compiler._Translator(plan, legacy=True)
        # Both dialects' window words work here: STEP/FLOOR and TUMBLE/HOP/SESSION over ROWTIME.
        statements = compiler.parse(compiler.dialect.flink(compiler.dialect.legacy(sql)[0])[0])
        if len(statements) != 1:
            raise compiler.code_error("Give one SELECT statement.")
        source_name, window, text = translator.translate(statements[0])
        plan.queries.append(compiler.Query("query", source_name, "__print", text, window))
        job = Job(self, arn, plan)
        job.listeners.append(listener)
        try:
            job.start()
        except ServiceError:
            job.stop()
            raise
        self.adhoc.append(job)
        return job

    def stop_query(self, job: Job) -> None:
        """Stop an ad-hoc query and release it."""
        if job in self.adhoc:
            self.adhoc.remove(job)
            job.stop()

    # -- views -------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes: list[Node] = []
        edges: list[Edge] = []
        for app in self.apps.values():
            counters: dict[str, float] = {}
            if app.job is not None:
                counters.update({k: v for k, v in app.job.status().items() if v is not None})
            counters["running"] = float(app.status == "RUNNING")
            nodes.append(Node(app.arn, "analytics-application", app.name, self.name, counters))
            if app.job is None:
                continue
            for source in app.job.plan.sources.values():
                if source.arn:
                    edges.append(Edge(source.arn, app.arn, "analytics-input", source.name))
            for sink in app.job.plan.sinks.values():
                if sink.arn:
                    edges.append(Edge(app.arn, sink.arn, "analytics-output", sink.name))
        return nodes, edges

    def owns(self, arn: str) -> bool:
        return any(a.arn == arn for a in self.apps.values())

    # -- save / open -------------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        if not self.apps:
            return None
        return {"applications": [dump_application(a) for a in self.apps.values()]}

    def load(self, data: dict[str, Any]) -> None:
        for saved in data.get("applications", []):
            arn = self.arn(f"application/{saved['name']}", service="kinesisanalytics")
            app, running, positions = load_application(saved, arn)
            self.apps[app.name] = app
            if running:
                # Streams may be restored after this service, and a held lab runs nothing.
                app.status = "STARTING"
                self.engine.spawn(self._resume(app, positions), name=f"analytics:{app.name}")

    async def _resume(self, app: Application, positions: dict) -> None:
        await self.engine.hold.wait()
        if self.apps.get(app.name) is app and app.status == "STARTING":
            self._run(app, self._operation(app, "StartApplication"), positions=positions)


def _delegate(owner: str, name: str) -> Callable[[AnalyticsService, dict], Any]:
    def operation(self: AnalyticsService, params: dict) -> Any:
        return getattr(getattr(self, owner), name)(params)

    operation.__name__ = name
    operation.__doc__ = f"{name}: served by the service's {owner} object."
    return operation


# Each operation is a method of the service (so `help` and the client find it); those about
# configuration pieces and about versions and snapshots are served by delegated objects.
for _snake in operations(AnalyticsService.name):
    for _owner, _kind in (("configuration", Configuration), ("history", History)):
        if callable(getattr(_kind, _snake, None)):
            setattr(AnalyticsService, _snake, _delegate(_owner, _snake))
