"""AWS Step Functions: state machines, executions, activities, versions, aliases, map runs.

Internal API (see docs/services/stepfunctions.md):
- `execution_view(arn)`: an execution's status, current state(s) and per-state status/timings.
- `running_executions()`: ARNs of executions in progress.
- `function_invoker`: an optional `async (function_arn, event) -> result` standing in for Lambda.
- `deliver(arn, envelope)`: start an execution of a state machine (fabric target).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from engine.errors import ServiceError
from engine.service import Envelope, Service
from engine.topology import Edge, Node

from .definition import DefinitionError, Diagnostic, Validator, load_definition, parse_json
from .errors import Failure
from .interpreter import Cursor, Runner
from .payload import Scope, compact
from .persistence import dump_executions, load_executions
from .records import Activity, Alias, Execution, MapRun, StateMachine
from .test_state import run_test_state
from .tokens import TokenBook

_NAME_OK = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")
#: The longest an EXPRESS execution may run.
EXPRESS_MAX_SECONDS = 300
#: Events per GetExecutionHistory page when maxResults is not given.
DEFAULT_PAGE = 100
FunctionInvoker = Callable[[str, Any], Awaitable[Any]]


class MapStats:
    """Live and peak counts of map iterations in progress (the memory bound benchmarks check)."""

    __slots__ = ("live", "peak")

    def __init__(self) -> None:
        self.live = 0
        self.peak = 0


def _date(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class StepFunctionsService(Service):
    """The `stepfunctions` service."""

    name = "stepfunctions"
    validation_error_code = "ValidationException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.machines: dict[str, StateMachine] = {}
        self.executions: dict[str, Execution] = {}
        self.running_express: dict[str, Execution] = {}
        self.executions_by_machine: dict[str, list[str]] = {}
        self.activities: dict[str, Activity] = {}
        self.map_runs: dict[str, MapRun] = {}
        self.aliases: dict[str, tuple[StateMachine, Alias]] = {}
        self.tokens = TokenBook(self.clock)
        self.map_stats = MapStats()
        #: id(Pass state) → (state, whether its literal Result is over the payload limit).
        self.literal_sizes: dict[int, tuple[dict, bool]] = {}
        self.tags: dict[str, dict[str, str]] = {}
        #: Stand-in for Lambda (async (arn, event) -> result); None routes through the fabric.
        self.function_invoker: FunctionInvoker | None = None

    # -- helpers ---------------------------------------------------------------------------
    def new_token(self) -> str:
        """A fresh task token."""
        return self.ids.token(64)

    def _machine(self, arn: str) -> StateMachine:
        machine = self.machines.get(arn)
        if machine is None:
            base, _, qualifier = arn.rpartition(":")
            parent = self.machines.get(base)
            if parent is not None and qualifier.isdigit() and int(qualifier) in parent.versions:
                return parent.versions[int(qualifier)]
            raise ServiceError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return machine

    def _root(self, machine: StateMachine) -> StateMachine:
        """The machine a version belongs to (a machine is its own root)."""
        if machine.version_number is None:
            return machine
        return self.machines.get(machine.arn.rsplit(":", 1)[0], machine)

    def _check_arn(self, arn: str, kind: str) -> None:
        parts = arn.split(":")
        if len(parts) < 7 or parts[0] != "arn" or parts[2] != "states":
            raise ServiceError("InvalidArn", f"Invalid Arn: '{arn}'")
        if kind and parts[5] != kind:
            raise ServiceError(
                "InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {parts[5]}'"
            )

    def _check_name(self, name: str) -> None:
        if not _NAME_OK.match(name):
            raise ServiceError("InvalidName", f"Invalid Name: '{name}'")

    def _execution(self, arn: str) -> Execution:
        self._check_arn(arn, "execution")
        execution = self.executions.get(arn)
        if execution is None:
            raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return execution

    def _definition(self, text: str, machine_type: str) -> dict[str, Any]:
        try:
            return load_definition(text, machine_type)
        except DefinitionError as error:
            raise ServiceError("InvalidDefinition", error.message) from None

    # -- state machines --------------------------------------------------------------------
    def create_state_machine(self, params: dict) -> dict:
        """CreateStateMachine (idempotent for an identical definition)."""
        name = params["name"]
        self._check_name(name)
        machine_type = params.get("type", "STANDARD")
        document = self._definition(params["definition"], machine_type)
        arn = self.arn(f"stateMachine:{name}", service="states")
        existing = self.machines.get(arn)
        if existing is not None:
            if (
                existing.definition == params["definition"]
                and existing.role_arn == params["roleArn"]
                and existing.type == machine_type
            ):
                return {"stateMachineArn": arn, "creationDate": _date(existing.created)}
            raise ServiceError(
                "StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'"
            )
        if params.get("versionDescription") and not params.get("publish"):
            raise ServiceError(
                "ValidationException", "Version description can only be set when publish is true"
            )
        machine = StateMachine(
            arn=arn,
            name=name,
            definition=params["definition"],
            document=document,
            role_arn=params["roleArn"],
            type=machine_type,
            created=self.clock.now(),
            logging=dict(
                params.get("loggingConfiguration")
                or {"level": "OFF", "includeExecutionData": False}
            ),
            tracing=dict(params.get("tracingConfiguration") or {"enabled": False}),
            revision_id=self.ids.uuid(),
        )
        self.machines[arn] = machine
        self.tags[arn] = {t["key"]: t["value"] for t in params.get("tags", [])}
        result = {"stateMachineArn": arn, "creationDate": _date(machine.created)}
        if params.get("publish"):
            result["stateMachineVersionArn"] = self._publish(
                machine, params.get("versionDescription", "")
            ).arn
        self.emit("created", arn, type=machine_type)
        return result

    def _publish(self, machine: StateMachine, description: str) -> StateMachine:
        latest = machine.versions.get(machine.next_version - 1)
        if latest is not None and latest.revision_id == machine.revision_id:
            return latest
        number = machine.next_version
        version = StateMachine(
            arn=f"{machine.arn}:{number}",
            name=machine.name,
            definition=machine.definition,
            document=machine.document,
            role_arn=machine.role_arn,
            type=machine.type,
            created=self.clock.now(),
            logging=dict(machine.logging),
            tracing=dict(machine.tracing),
            description=description,
            revision_id=machine.revision_id,
            revised=machine.revised,
            version_number=number,
        )
        machine.versions[number] = version
        machine.next_version += 1
        return version

    def describe_state_machine(self, params: dict) -> dict:
        """DescribeStateMachine (a machine, a version or an alias ARN)."""
        arn = params["stateMachineArn"]
        self._check_arn(arn, "stateMachine")
        if arn in self.aliases:
            machine = self.aliases[arn][0]
        else:
            machine = self._machine(arn)
        result: dict[str, Any] = {
            "stateMachineArn": machine.arn,
            "name": machine.name,
            "status": "ACTIVE",
            "definition": machine.definition,
            "roleArn": machine.role_arn,
            "type": machine.type,
            "creationDate": _date(machine.created),
            "loggingConfiguration": dict(machine.logging),
            "tracingConfiguration": dict(machine.tracing),
        }
        # AWS shows a revision only once there is more than the first (after an update).
        if machine.revised:
            result["revisionId"] = machine.revision_id
        if machine.description:
            result["description"] = machine.description
        return result

    def update_state_machine(self, params: dict) -> dict:
        """UpdateStateMachine: a new revision (and optionally a new version)."""
        arn = params["stateMachineArn"]
        self._check_arn(arn, "stateMachine")
        machine = self._machine(arn)
        if not any(
            k in params
            for k in ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration")
        ):
            raise ServiceError(
                "MissingRequiredParameter",
                "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
            )
        if params.get("versionDescription") and not params.get("publish"):
            raise ServiceError(
                "ValidationException", "Version description can only be set when publish is true"
            )
        document = (
            self._definition(params["definition"], machine.type) if "definition" in params else None
        )
        changed = False
        if document is not None and params["definition"] != machine.definition:
            machine.definition, machine.document, changed = params["definition"], document, True
        if "roleArn" in params and params["roleArn"] != machine.role_arn:
            machine.role_arn, changed = params["roleArn"], True
        if "loggingConfiguration" in params:
            machine.logging = dict(params["loggingConfiguration"])
        if "tracingConfiguration" in params:
            machine.tracing = dict(params["tracingConfiguration"])
        if changed:
            machine.revision_id = self.ids.uuid()
            machine.revised = True
        machine.updated = self.clock.now()
        result: dict[str, Any] = {"updateDate": _date(machine.updated)}
        if machine.revised:
            result["revisionId"] = machine.revision_id
        if params.get("publish"):
            result["stateMachineVersionArn"] = self._publish(
                machine, params.get("versionDescription", "")
            ).arn
        return result

    def delete_state_machine(self, params: dict) -> dict:
        """DeleteStateMachine (idempotent)."""
        arn = params["stateMachineArn"]
        self._check_arn(arn, "stateMachine")
        machine = self.machines.pop(arn, None)
        if machine is not None:
            for alias_arn in [a for a, (m, _) in self.aliases.items() if m is machine]:
                del self.aliases[alias_arn]
            self.tags.pop(arn, None)
            self._delete_executions(arn)
            self.emit("deleted", arn)
        return {}

    def _delete_executions(self, machine_arn: str) -> None:
        """AWS deletes a deleted machine's executions (running ones end at their next transition)."""
        for execution_arn in self.executions_by_machine.pop(machine_arn, []):
            execution = self.executions.get(execution_arn)
            if execution is not None and execution.status == "RUNNING":
                self.stop_execution({"executionArn": execution_arn})
            self.executions.pop(execution_arn, None)
            self.running_express.pop(execution_arn, None)

    def list_state_machines(self, params: dict) -> dict:
        """ListStateMachines, by name."""
        machines = sorted(self.machines.values(), key=lambda m: m.name)
        page, token = _page(machines, params)
        result: dict[str, Any] = {
            "stateMachines": [
                {
                    "stateMachineArn": m.arn,
                    "name": m.name,
                    "type": m.type,
                    "creationDate": _date(m.created),
                }
                for m in page
            ]
        }
        if token:
            result["nextToken"] = token
        return result

    # -- versions and aliases --------------------------------------------------------------
    def publish_state_machine_version(self, params: dict) -> dict:
        """PublishStateMachineVersion."""
        machine = self._machine(params["stateMachineArn"])
        if params.get("revisionId") and params["revisionId"] != machine.revision_id:
            raise ServiceError(
                "ConflictException",
                "Failed to publish the State Machine version: revisionId does not match the latest revision",
            )
        version = self._publish(machine, params.get("description", ""))
        return {"creationDate": _date(version.created), "stateMachineVersionArn": version.arn}

    def list_state_machine_versions(self, params: dict) -> dict:
        """ListStateMachineVersions, newest first."""
        machine = self._machine(params["stateMachineArn"])
        versions = sorted(machine.versions.values(), key=lambda v: -(v.version_number or 0))
        page, token = _page(versions, params)
        result: dict[str, Any] = {
            "stateMachineVersions": [
                {"stateMachineVersionArn": v.arn, "creationDate": _date(v.created)} for v in page
            ]
        }
        if token:
            result["nextToken"] = token
        return result

    def delete_state_machine_version(self, params: dict) -> dict:
        """DeleteStateMachineVersion (refused while an alias routes to it)."""
        arn = params["stateMachineVersionArn"]
        base, _, number = arn.rpartition(":")
        machine = self.machines.get(base)
        if machine is None or not number.isdigit():
            return {}
        for alias in machine.aliases.values():
            if any(r["stateMachineVersionArn"] == arn for r in alias.routing):
                raise ServiceError(
                    "ConflictException",
                    f"Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [{alias.name}]",
                )
        machine.versions.pop(int(number), None)
        return {}

    def create_state_machine_alias(self, params: dict) -> dict:
        """CreateStateMachineAlias."""
        routing = self._routing(params["routingConfiguration"])
        machine = self.machines[routing[0]["stateMachineVersionArn"].rpartition(":")[0]]
        name = params["name"]
        arn = f"{machine.arn}:{name}"
        if name in machine.aliases:
            existing = machine.aliases[name]
            if existing.routing == routing and existing.description == params.get(
                "description", ""
            ):
                return {"stateMachineAliasArn": arn, "creationDate": _date(existing.created)}
            raise ServiceError(
                "ConflictException", f"Alias already exists with different configuration: '{arn}'"
            )
        now = self.clock.now()
        alias = Alias(arn, name, params.get("description", ""), routing, now, now)
        machine.aliases[name] = alias
        self.aliases[arn] = (machine, alias)
        return {"stateMachineAliasArn": arn, "creationDate": _date(now)}

    def _routing(self, routing: list[dict]) -> list[dict]:
        if not 1 <= len(routing) <= 2 or sum(r["weight"] for r in routing) != 100:
            raise ServiceError(
                "ValidationException",
                "Routing configuration must contain one or two versions whose weights add up to 100",
            )
        machines = set()
        for route in routing:
            arn = route["stateMachineVersionArn"]
            base, _, number = arn.rpartition(":")
            machine = self.machines.get(base)
            if machine is None or not number.isdigit() or int(number) not in machine.versions:
                raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
            machines.add(base)
        if len(machines) != 1:
            raise ServiceError(
                "ValidationException", "Routing versions must belong to the same state machine"
            )
        return [
            {"stateMachineVersionArn": r["stateMachineVersionArn"], "weight": r["weight"]}
            for r in routing
        ]

    def _alias(self, arn: str) -> tuple[StateMachine, Alias]:
        found = self.aliases.get(arn)
        if found is None:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
        return found

    def describe_state_machine_alias(self, params: dict) -> dict:
        """DescribeStateMachineAlias."""
        _, alias = self._alias(params["stateMachineAliasArn"])
        return {
            "stateMachineAliasArn": alias.arn,
            "name": alias.name,
            "description": alias.description,
            "routingConfiguration": [dict(r) for r in alias.routing],
            "creationDate": _date(alias.created),
            "updateDate": _date(alias.updated),
        }

    def update_state_machine_alias(self, params: dict) -> dict:
        """UpdateStateMachineAlias."""
        _, alias = self._alias(params["stateMachineAliasArn"])
        routing = (
            self._routing(params["routingConfiguration"])
            if "routingConfiguration" in params
            else None
        )
        if routing is not None:
            alias.routing = routing
        if "description" in params:
            alias.description = params["description"]
        alias.updated = self.clock.now()
        return {"updateDate": _date(alias.updated)}

    def delete_state_machine_alias(self, params: dict) -> dict:
        """DeleteStateMachineAlias."""
        found = self.aliases.pop(params["stateMachineAliasArn"], None)
        if found is not None:
            found[0].aliases.pop(found[1].name, None)
        return {}

    def list_state_machine_aliases(self, params: dict) -> dict:
        """ListStateMachineAliases."""
        machine = self._machine(params["stateMachineArn"])
        aliases = sorted(machine.aliases.values(), key=lambda a: a.name)
        page, token = _page(aliases, params)
        result: dict[str, Any] = {
            "stateMachineAliases": [
                {"stateMachineAliasArn": a.arn, "creationDate": _date(a.created)} for a in page
            ]
        }
        if token:
            result["nextToken"] = token
        return result

    # -- executions ------------------------------------------------------------------------
    def _resolve_target(self, arn: str) -> tuple[StateMachine, str | None, str | None]:
        """The machine (or version) an execution runs, with its version and alias ARNs."""
        if arn in self.aliases:
            machine, alias = self.aliases[arn]
            routes = alias.routing
            pick = routes[0]
            if len(routes) == 2 and self.ids.random() * 100 >= routes[0]["weight"]:
                pick = routes[1]
            version = self._machine(pick["stateMachineVersionArn"])
            return version, version.arn, arn
        machine = self._machine(arn)
        if machine.version_number is not None:
            return machine, machine.arn, None
        return machine, None, None

    def _new_execution(self, params: dict, *, parent_arn: str | None = None) -> Execution:
        self._check_arn(params["stateMachineArn"], "stateMachine")
        machine, version_arn, alias_arn = self._resolve_target(params["stateMachineArn"])
        name = params.get("name") or self.ids.uuid()
        self._check_name(name)
        text = params.get("input", "{}")
        try:
            value = json.loads(text)
        except ValueError as error:
            raise ServiceError(
                "InvalidExecutionInput",
                f"Invalid State Machine Execution Input: '{_json_problem(text, error)}'",
            ) from None
        if len(text.encode()) > 262_144:
            raise ServiceError(
                "InvalidExecutionInput",
                "Invalid State Machine Execution Input: 'Input size exceeds the maximum allowed'",
            )
        base_name = machine.name
        if machine.type == "EXPRESS":
            # Express execution ARNs carry a unique suffix: names need not be unique.
            arn = self.arn(f"express:{base_name}:{name}:{self.ids.uuid()}", service="states")
        else:
            arn = self.arn(f"execution:{base_name}:{name}", service="states")
        if arn in self.executions:
            existing = self.executions[arn]
            if machine.type == "STANDARD" and (
                existing.status != "RUNNING" or existing.input_text != text
            ):
                raise ServiceError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
            if machine.type == "STANDARD":
                return existing
        trace_id = params.get("traceHeader") or self.ids.trace_id(self.clock.now())
        execution = Execution(
            arn=arn,
            name=name,
            machine=machine,
            input=value,
            input_text=text,
            started=self.clock.now(),
            trace_id=trace_id,
            history=[] if machine.type == "STANDARD" else None,
            version_arn=version_arn,
            alias_arn=alias_arn,
            parent_arn=parent_arn,
        )
        self._root(machine).executions_started += 1
        self._root(machine).running += 1
        if machine.type == "EXPRESS":
            # Express executions keep no record once done; the UI sees them while they run.
            self.running_express[arn] = execution
        else:
            self.executions[arn] = execution
            root = (
                self.machines.get(machine.arn.rsplit(":", 1)[0])
                if machine.version_number
                else machine
            )
            self.executions_by_machine.setdefault((root or machine).arn, []).append(arn)
        return execution

    async def _run(
        self, execution: Execution, start_at: str | None = None, start_input: Any = None
    ) -> None:
        """Run an execution to its end and record the outcome."""
        runner = Runner(self, execution)
        cursor = Cursor(len(execution.history) if execution.history else 0)
        if execution.history is not None and start_at is None:
            runner.event(
                cursor,
                "ExecutionStarted",
                "executionStartedEventDetails",
                {
                    "input": execution.input_text if execution.input_text else "{}",
                    "inputDetails": {"truncated": False},
                    "roleArn": execution.machine.role_arn,
                },
            )
            cursor.last = 0  # AWS links the first state's event to 0, not to ExecutionStarted
        if self.trace.enabled:
            self.emit(
                "execution-started",
                execution.arn,
                message_id=execution.name,
                trace_id=execution.trace_id,
            )
        document = execution.machine.document
        timeout = document.get("TimeoutSeconds")
        if execution.machine.type == "EXPRESS":
            # Express workflows run for at most five minutes.
            timeout = min(timeout or EXPRESS_MAX_SECONDS, EXPRESS_MAX_SECONDS)
        try:
            point = execution.resume_point
            if point is not None and point.get("resumed"):
                # Restored from a lab made elsewhere: run nothing until the person resumes it.
                await self.engine.hold.wait()
            work = runner.run_machine(
                document,
                start_input if start_at else execution.input,
                _root_scope(),
                cursor,
                None,
                start_at=start_at,
            )
            output = await self._within(timeout, work) if timeout else await work
            if len(compact(output).encode()) > 262_144:
                raise Failure(
                    "States.DataLimitExceeded",
                    "The state/task 'execution' returned a result with a size exceeding the maximum number of bytes service limit.",
                )
        except Failure as failure:
            self._finish(
                execution, runner, cursor, "FAILED", error=failure.error, cause=failure.cause
            )
            return
        except TimeoutError:
            self._finish(execution, runner, cursor, "TIMED_OUT", error="States.Timeout", cause=None)
            return
        except asyncio.CancelledError:
            if execution.status == "RUNNING":
                self._finish(execution, runner, cursor, "ABORTED", error=None, cause=None)
            raise
        except Exception as error:  # a defect here must end the execution, not hang it
            self.engine.report_error(execution.arn, execution.name, error)
            cause = f"Pipework could not run this execution: {type(error).__name__}: {error}"
            self._finish(execution, runner, cursor, "FAILED", error="States.Runtime", cause=cause)
            return
        self._finish(execution, runner, cursor, "SUCCEEDED", output=output)

    async def _within(self, seconds: float, work: Awaitable[Any]) -> Any:
        """Await `work` in this task, raising TimeoutError after `seconds` on the clock.

        Cheaper than clock.timeout (no extra task): one timer that cancels this task.
        """
        task = asyncio.current_task()
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        timer = self.clock.call_later(seconds, expire)
        try:
            return await work
        except asyncio.CancelledError:
            if expired:
                task.uncancel()
                raise TimeoutError from None
            raise
        finally:
            timer.cancel()

    def _finish(
        self,
        execution: Execution,
        runner: Runner,
        cursor: Cursor,
        status: str,
        *,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> None:
        if execution.status != "RUNNING":
            return
        self.running_express.pop(execution.arn, None)
        root = self._root(execution.machine)
        root.running -= 1
        if status == "SUCCEEDED":
            root.succeeded += 1
        else:
            root.failed += 1
        execution.status = status
        execution.stopped = self.clock.now()
        if error == "States.Timeout" and cause == "":
            cause = None  # a Task timeout's empty cause is shown to Catch, not on the execution
        execution.output, execution.error, execution.cause = output, error, cause
        execution.current.clear()
        for status_record in execution.states.values():
            if status_record.status in ("running", "retrying"):
                status_record.status = "failed" if status != "SUCCEEDED" else "succeeded"
                status_record.exited = execution.stopped
        if status == "SUCCEEDED":
            runner.event(
                cursor,
                "ExecutionSucceeded",
                "executionSucceededEventDetails",
                {
                    "output": compact(output),
                    "outputDetails": {"truncated": False},
                },
            )
            self.emit(
                "execution-succeeded",
                execution.arn,
                message_id=execution.name,
                trace_id=execution.trace_id,
            )
        else:
            details: dict[str, Any] = {}
            if error is not None:
                details["error"] = error
            if cause is not None and not (error == "States.Timeout" and cause == ""):
                details["cause"] = cause
            kind = {
                "FAILED": "ExecutionFailed",
                "TIMED_OUT": "ExecutionTimedOut",
                "ABORTED": "ExecutionAborted",
            }[status]
            key = {
                "FAILED": "executionFailedEventDetails",
                "TIMED_OUT": "executionTimedOutEventDetails",
                "ABORTED": "executionAbortedEventDetails",
            }[status]
            runner.event(cursor, kind, key, details)
            self.emit(
                "execution-failed",
                execution.arn,
                message_id=execution.name,
                trace_id=execution.trace_id,
                status=status,
                error=error,
            )
        if execution.done is not None and not execution.done.done():
            execution.done.set_result(None)

    def _launch(
        self, execution: Execution, start_at: str | None = None, start_input: Any = None
    ) -> None:
        execution.done = asyncio.get_running_loop().create_future()
        execution.launched = True
        execution.task = task = self.engine.spawn(
            self._run(execution, start_at, start_input), name=f"sfn:{execution.name}"
        )
        task.add_done_callback(partial(_forget_task, execution))

    def start_execution(self, params: dict) -> dict:
        """StartExecution: runs in the background on the engine clock."""
        execution = self._new_execution(params)
        if not execution.launched:
            self._launch(execution)
        return {"executionArn": execution.arn, "startDate": _date(execution.started)}

    async def start_sync_execution(self, params: dict) -> dict:
        """StartSyncExecution: EXPRESS machines only; returns when the execution ends."""
        machine, _, _ = self._resolve_target(params["stateMachineArn"])
        if machine.type != "EXPRESS":
            raise ServiceError(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            )
        execution = self._new_execution(params)
        await self._run(execution)
        result = self._describe(execution)
        result.pop("redriveCount", None)
        result.pop("redriveStatus", None)
        result.pop("redriveStatusReason", None)
        result["billingDetails"] = {
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": max(
                100, int((execution.stopped - execution.started) * 1000)
            ),
        }
        return result

    def _describe(self, execution: Execution) -> dict:
        machine = execution.machine
        root_arn = machine.arn.rsplit(":", 1)[0] if machine.version_number else machine.arn
        result: dict[str, Any] = {
            "executionArn": execution.arn,
            "stateMachineArn": root_arn,
            "name": execution.name,
            "status": execution.status,
            "startDate": _date(execution.started),
            "input": execution.input_text,
            "inputDetails": {"included": True},
        }
        if execution.version_arn:
            result["stateMachineVersionArn"] = execution.version_arn
        if execution.alias_arn:
            result["stateMachineAliasArn"] = execution.alias_arn
        if execution.stopped is not None:
            result["stopDate"] = _date(execution.stopped)
        if execution.status == "SUCCEEDED":
            result["output"] = compact(execution.output)
            result["outputDetails"] = {"included": True}
        if execution.error is not None:
            result["error"] = execution.error
        if execution.cause is not None:
            result["cause"] = execution.cause
        if execution.map_run_arn:
            result["mapRunArn"] = execution.map_run_arn
        result["redriveCount"] = execution.redrive_count
        if execution.redrive_time is not None:
            result["redriveDate"] = _date(execution.redrive_time)
        if execution.status in ("FAILED", "TIMED_OUT", "ABORTED") and machine.type == "STANDARD":
            result["redriveStatus"] = "REDRIVABLE"
        else:
            result["redriveStatus"] = "NOT_REDRIVABLE"
            reason = (
                "Execution is RUNNING and cannot be redriven"
                if execution.status == "RUNNING"
                else "Execution is SUCCEEDED and cannot be redriven"
            )
            result["redriveStatusReason"] = reason
        return result

    def describe_execution(self, params: dict) -> dict:
        """DescribeExecution."""
        return self._describe(self._execution(params["executionArn"]))

    def describe_state_machine_for_execution(self, params: dict) -> dict:
        """DescribeStateMachineForExecution."""
        execution = self._execution(params["executionArn"])
        machine = execution.machine
        root_arn = machine.arn.rsplit(":", 1)[0] if machine.version_number else machine.arn
        return {
            "stateMachineArn": root_arn,
            "name": machine.name,
            "definition": machine.definition,
            "roleArn": machine.role_arn,
            "updateDate": _date(machine.updated or machine.created),
            "loggingConfiguration": dict(machine.logging),
            "tracingConfiguration": dict(machine.tracing),
            **({"revisionId": machine.revision_id} if machine.revised else {}),
        }

    def list_executions(self, params: dict) -> dict:
        """ListExecutions, newest first, optionally by status."""
        if "mapRunArn" in params:
            run = self.map_runs.get(params["mapRunArn"])
            if run is None:
                raise ServiceError(
                    "ResourceNotFound", f"Resource not found: '{params['mapRunArn']}'"
                )
            arns = list(run.children)
        else:
            arn = params.get("stateMachineArn")
            if arn is None:
                raise ServiceError(
                    "ValidationException", "Must provide a StateMachine ARN or MapRun ARN"
                )
            self._check_arn(arn, "stateMachine")
            machine = self._machine(arn)
            if machine.type == "EXPRESS":
                raise ServiceError(
                    "StateMachineTypeNotSupported",
                    "This operation is not supported by this type of state machine",
                )
            arns = self.executions_by_machine.get(machine.arn, [])
        status = params.get("statusFilter")
        executions = [self.executions[a] for a in reversed(arns) if a in self.executions]
        if status:
            executions = [e for e in executions if e.status == status]
        page, token = _page(executions, params)
        items = []
        for e in page:
            item: dict[str, Any] = {
                "executionArn": e.arn,
                "stateMachineArn": e.machine.arn.rsplit(":", 1)[0]
                if e.machine.version_number
                else e.machine.arn,
                "name": e.name,
                "status": e.status,
                "startDate": _date(e.started),
            }
            if e.stopped is not None:
                item["stopDate"] = _date(e.stopped)
            if e.version_arn:
                item["stateMachineVersionArn"] = e.version_arn
            if e.alias_arn:
                item["stateMachineAliasArn"] = e.alias_arn
            item["redriveCount"] = e.redrive_count
            items.append(item)
        result: dict[str, Any] = {"executions": items}
        if token:
            result["nextToken"] = token
        return result

    def get_execution_history(self, params: dict) -> dict:
        """GetExecutionHistory with pagination and reverseOrder."""
        execution = self._execution(params["executionArn"])
        events = execution.history or []
        if params.get("reverseOrder"):
            events = list(reversed(events))
        include = params.get("includeExecutionData", True)
        page, token = _page(events, params, default=DEFAULT_PAGE)
        result: dict[str, Any] = {"events": [_event_out(e, include) for e in page]}
        if token:
            result["nextToken"] = token
        return result

    async def stop_execution(self, params: dict) -> dict:
        """StopExecution: aborts a running execution."""
        execution = self._execution(params["executionArn"])
        if execution.status == "RUNNING":
            runner = Runner(self, execution)
            cursor = Cursor(len(execution.history) if execution.history else 0)
            self._finish(
                execution,
                runner,
                cursor,
                "ABORTED",
                error=params.get("error"),
                cause=params.get("cause"),
            )
            if execution.task is not None and not execution.task.done():
                execution.task.cancel()
            for token in [
                t for t, p in self.tokens.open.items() if p.execution_arn == execution.arn
            ]:
                self.tokens.discard(token)
        return {"stopDate": _date(execution.stopped or self.clock.now())}

    def redrive_execution(self, params: dict) -> dict:
        """RedriveExecution: restart a failed STANDARD execution from the state that failed."""
        execution = self._execution(params["executionArn"])
        if (
            execution.status not in ("FAILED", "TIMED_OUT", "ABORTED")
            or execution.failed_state is None
        ):
            raise ServiceError(
                "ExecutionNotRedrivable",
                f"Execution is {execution.status} and cannot be redriven",
            )
        execution.redrive_count += 1
        self._root(execution.machine).running += 1
        execution.redrive_time = self.clock.now()
        execution.status = "RUNNING"
        execution.stopped = None
        execution.error = execution.cause = None
        start_at, start_input = execution.failed_state, execution.failed_input
        execution.failed_state = execution.failed_input = None
        if execution.history is not None:
            execution.history.append(
                {
                    "timestamp": self.clock.now(),
                    "type": "ExecutionRedriven",
                    "id": len(execution.history) + 1,
                    "previousEventId": len(execution.history),
                    "executionRedrivenEventDetails": {"redriveCount": execution.redrive_count},
                }
            )
        self._launch(execution, start_at, start_input)
        return {"redriveDate": _date(execution.redrive_time)}

    # -- callbacks and activities ------------------------------------------------------------
    def _token(self, token: str) -> Any:
        pending = self.tokens.open.get(token)
        if pending is None:
            if len(token) < 1 or len(token) > 2048:
                raise ServiceError("InvalidToken", "Invalid Token: 'Invalid token'")
            raise ServiceError("TaskDoesNotExist", "Task Does Not Exist")
        return pending

    def send_task_success(self, params: dict) -> dict:
        """SendTaskSuccess: the waiting Task succeeds with `output`."""
        pending = self._token(params["taskToken"])
        try:
            output = json.loads(params["output"])
        except ValueError as error:
            raise ServiceError(
                "InvalidOutput", f"Invalid Output: '{_json_problem(params['output'], error)}'"
            ) from None
        self.tokens.resolve(pending.token, output)
        self.emit("task-answered", pending.execution_arn, outcome="success")
        return {}

    def send_task_failure(self, params: dict) -> dict:
        """SendTaskFailure: the waiting Task fails with `error` and `cause`."""
        pending = self._token(params["taskToken"])
        self.tokens.resolve(
            pending.token, failure=Failure(params.get("error"), params.get("cause"))
        )
        self.emit(
            "task-answered", pending.execution_arn, outcome="failure", error=params.get("error")
        )
        return {}

    def send_task_heartbeat(self, params: dict) -> dict:
        """SendTaskHeartbeat: restart the Task's heartbeat window."""
        pending = self._token(params["taskToken"])
        self.tokens.beat(pending)
        self.emit("task-heartbeat", pending.execution_arn)
        return {}

    def create_activity(self, params: dict) -> dict:
        """CreateActivity (idempotent)."""
        name = params["name"]
        self._check_name(name)
        arn = self.arn(f"activity:{name}", service="states")
        activity = self.activities.get(arn)
        if activity is None:
            activity = self.activities[arn] = Activity(arn, name, self.clock.now())
            self.tags[arn] = {t["key"]: t["value"] for t in params.get("tags", [])}
        return {"activityArn": arn, "creationDate": _date(activity.created)}

    def _activity(self, arn: str) -> Activity:
        self._check_arn(arn, "activity")
        activity = self.activities.get(arn)
        if activity is None:
            raise ServiceError("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
        return activity

    def describe_activity(self, params: dict) -> dict:
        """DescribeActivity."""
        activity = self._activity(params["activityArn"])
        return {
            "activityArn": activity.arn,
            "name": activity.name,
            "creationDate": _date(activity.created),
        }

    def delete_activity(self, params: dict) -> dict:
        """DeleteActivity (idempotent)."""
        self._check_arn(params["activityArn"], "activity")
        self.activities.pop(params["activityArn"], None)
        return {}

    def list_activities(self, params: dict) -> dict:
        """ListActivities."""
        activities = sorted(self.activities.values(), key=lambda a: a.name)
        page, token = _page(activities, params)
        result: dict[str, Any] = {
            "activities": [
                {"activityArn": a.arn, "name": a.name, "creationDate": _date(a.created)}
                for a in page
            ]
        }
        if token:
            result["nextToken"] = token
        return result

    async def get_activity_task(self, params: dict) -> dict:
        """GetActivityTask: long-polls up to 60 seconds for a scheduled activity task."""
        activity = self._activity(params["activityArn"])
        while activity.pending:
            task = activity.pending.pop(0)
            if task["token"] in self.tokens.open:
                task["started"](params.get("workerName"))
                return {"taskToken": task["token"], "input": task["input"]}
        future = asyncio.get_running_loop().create_future()
        activity.pollers.append(future)
        try:
            task = await self.clock.timeout(60, future)
        except TimeoutError:
            return {}
        finally:
            if future in activity.pollers:
                activity.pollers.remove(future)
        task["started"](params.get("workerName"))
        return {"taskToken": task["token"], "input": task["input"]}

    async def run_activity_task(
        self,
        runner: Runner,
        resource: str,
        payload: Any,
        ev: Any,
        cursor: Cursor,
        timeout: float | None,
        token: Any,
    ) -> Any:
        """A Task on an activity: schedule it, wait for a worker's answer (or a timeout)."""
        activity = self.activities.get(resource)
        if activity is None:
            raise ev.runtime(f"The activity {resource} does not exist.")
        scheduled: dict[str, Any] = {
            "resource": resource,
            "input": compact(payload),
            "inputDetails": {"truncated": False},
        }
        if timeout is not None:
            scheduled["timeoutInSeconds"] = int(timeout)
        if token.heartbeat is not None:
            scheduled["heartbeatInSeconds"] = int(token.heartbeat)
        runner.event(cursor, "ActivityScheduled", "activityScheduledEventDetails", scheduled)

        def started(worker: str | None) -> None:
            runner.event(
                cursor,
                "ActivityStarted",
                "activityStartedEventDetails",
                {"workerName": worker} if worker else {},
            )

        task = {"token": token.token, "input": compact(payload), "started": started}
        while activity.pollers and activity.pollers[0].done():
            activity.pollers.pop(0)
        if activity.pollers:
            activity.pollers.pop(0).set_result(task)
        else:
            activity.pending.append(task)
        try:
            if timeout is not None:
                try:
                    result = await self.clock.timeout(timeout, token.wait())
                except TimeoutError:
                    raise Failure("States.Timeout", None) from None
            else:
                result = await token.wait()
        except Failure as failure:
            kind = (
                "ActivityTimedOut"
                if failure.error in ("States.Timeout", "States.HeartbeatTimeout")
                else "ActivityFailed"
            )
            details = {"error": failure.error}
            if failure.cause is not None:
                details["cause"] = failure.cause
            runner.event(cursor, kind, f"{kind[0].lower()}{kind[1:]}EventDetails", details)
            raise
        finally:
            self.tokens.discard(token.token)
        runner.event(
            cursor,
            "ActivitySucceeded",
            "activitySucceededEventDetails",
            {
                "output": compact(result),
                "outputDetails": {"truncated": False},
            },
        )
        return result

    # -- nested executions -------------------------------------------------------------------
    async def start_child_execution(
        self, runner: Runner, payload: Any, pattern: str, ev: Any
    ) -> Any:
        """states:startExecution from a Task: request/response, .sync, .sync:2 or a callback."""
        if not isinstance(payload, dict) or "StateMachineArn" not in payload:
            raise Failure(
                "States.Runtime",
                "The Parameters for states:startExecution must include StateMachineArn",
            )
        child_input = payload.get("Input", {})
        text = child_input if isinstance(child_input, str) else compact(child_input)
        params = {"stateMachineArn": payload["StateMachineArn"], "input": text}
        if payload.get("Name"):
            params["name"] = payload["Name"]
        try:
            child = self._new_execution(params, parent_arn=runner.execution.arn)
        except ServiceError as error:
            raise Failure(f"StepFunctions.{error.code}Exception", error.message) from None
        if not child.launched:
            self._launch(child)
        started_ms = int(child.started * 1000)
        if pattern not in ("sync", "sync2"):
            return {"ExecutionArn": child.arn, "StartDate": started_ms}
        await asyncio.shield(child.done)
        described = self._describe(child)
        out: dict[str, Any] = {
            "ExecutionArn": child.arn,
            "StateMachineArn": described["stateMachineArn"],
            "Name": child.name,
            "Status": child.status,
            "StartDate": started_ms,
            "StopDate": int((child.stopped or self.clock.now()) * 1000),
            "Input": child.input if pattern == "sync2" else child.input_text,
            "InputDetails": {"Included": True},
        }
        if child.status == "SUCCEEDED":
            out["Output"] = child.output if pattern == "sync2" else compact(child.output)
            out["OutputDetails"] = {"Included": True}
            return out
        if child.error is not None:
            out["Error"] = child.error
        if child.cause is not None:
            out["Cause"] = child.cause
        raise Failure("States.TaskFailed", compact(out))

    # -- Lambda and S3 through other services ------------------------------------------------
    def function_arn(self, ref: str) -> str:
        """A function name, partial ARN or ARN as a full function ARN."""
        if ref.startswith("arn:"):
            return ref
        if ":function:" in ref:
            return f"arn:aws:lambda:{self.region}:{ref}"
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{ref}"

    async def invoke_function(self, ref: str, event: Any, execution: Execution) -> Any:
        """Invoke a Lambda function synchronously (raises FunctionError / ServiceError)."""
        arn = self.function_arn(ref)
        if self.function_invoker is not None:
            return await self.function_invoker(arn, event)
        envelope = Envelope(
            body=event,
            source_arn=execution.arn,
            trace_id=execution.trace_id,
            options={"invocation_type": "RequestResponse"},
        )
        return await self.engine.fabric.deliver(arn, envelope)

    async def s3_get(self, bucket: str, key: str) -> bytes:
        """An object's bytes through S3's internal API."""
        result = self.engine.service("s3").get_object_internal(bucket, key)
        return await result if inspect.isawaitable(result) else result

    async def s3_put(self, bucket: str, key: str, body: bytes) -> None:
        """Store an object through S3's internal API."""
        result = self.engine.service("s3").put_object_internal(
            bucket, key, body, content_type="application/json"
        )
        if inspect.isawaitable(result):
            await result

    async def s3_list(self, bucket: str, prefix: str) -> list[dict[str, Any]]:
        """ListObjectsV2 entries (Key, Size, ETag, LastModified, StorageClass) for ItemReader."""
        client = self.engine.client("s3")
        items: list[dict[str, Any]] = []
        token = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = await client.list_objects_v2(**kwargs)
            for entry in page.get("Contents", []):
                items.append(
                    {
                        "Key": entry["Key"],
                        "Size": entry.get("Size", 0),
                        "Etag": entry.get("ETag", ""),
                        "LastModified": str(entry.get("LastModified", "")),
                        "StorageClass": entry.get("StorageClass", "STANDARD"),
                    }
                )
            token = page.get("NextContinuationToken")
            if not token:
                return items

    # -- map runs ------------------------------------------------------------------------------
    def start_map_run(
        self,
        execution: Execution,
        state_name: str,
        max_concurrency: int,
        tolerated_count: int,
        tolerated_percentage: float,
        total: int,
    ) -> MapRun:
        """Record a distributed Map's run."""
        run_id = self.ids.uuid()
        machine_name = execution.machine.name
        arn = self.arn(f"mapRun:{machine_name}/{state_name}:{run_id}", service="states")
        run = MapRun(
            arn,
            execution.arn,
            state_name,
            self.clock.now(),
            max_concurrency,
            tolerated_count,
            tolerated_percentage,
            total=total,
        )
        self.map_runs[arn] = run
        return run

    async def run_map_child(
        self,
        run: MapRun,
        parent: Execution,
        processor: dict[str, Any],
        language: str,
        value: Any,
    ) -> Any:
        """Run one distributed Map item as a child execution; its output, or raise its Failure."""
        if run.machine is None:
            config = processor.get("ProcessorConfig") or {}
            label = run.arn.split("/", 1)[1].rsplit(":", 1)[0]
            document = {k: v for k, v in processor.items() if k != "ProcessorConfig"}
            document.setdefault("QueryLanguage", language)
            run.machine = StateMachine(
                arn=self.arn(f"stateMachine:{parent.machine.name}/{label}", service="states"),
                name=f"{parent.machine.name}/{label}",
                definition=compact(document),
                document=document,
                role_arn=parent.machine.role_arn,
                type=config.get("ExecutionType", "STANDARD"),
                created=self.clock.now(),
            )
        machine = run.machine
        name = self.ids.uuid()
        kind = "express" if machine.type == "EXPRESS" else "execution"
        child = Execution(
            arn=self.arn(f"{kind}:{machine.name}:{name}", service="states"),
            name=name,
            machine=machine,
            input=value,
            input_text=compact(value),
            started=self.clock.now(),
            trace_id=parent.trace_id,
            history=[] if machine.type == "STANDARD" else None,
            parent_arn=parent.arn,
            map_run_arn=run.arn,
        )
        if machine.type == "STANDARD":
            self.executions[child.arn] = child
            run.children.append(child.arn)
        else:
            self.running_express[child.arn] = child
        await self._run(child)
        if child.status == "SUCCEEDED":
            return child.output
        raise Failure(child.error, child.cause)

    def finish_map_run(self, run: MapRun, status: str) -> None:
        """Close a map run."""
        run.status = status
        run.stopped = self.clock.now()

    def _map_run(self, arn: str) -> MapRun:
        run = self.map_runs.get(arn)
        if run is None:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
        return run

    def describe_map_run(self, params: dict) -> dict:
        """DescribeMapRun."""
        run = self._map_run(params["mapRunArn"])
        counts = {
            "pending": max(0, run.total - run.succeeded - run.failed - run.running - run.aborted),
            "running": run.running,
            "succeeded": run.succeeded,
            "failed": run.failed,
            "timedOut": 0,
            "aborted": run.aborted,
            "total": run.total,
            "resultsWritten": run.succeeded + run.failed,
        }
        result = {
            "mapRunArn": run.arn,
            "executionArn": run.execution_arn,
            "status": run.status,
            "startDate": _date(run.started),
            "maxConcurrency": run.max_concurrency,
            "toleratedFailurePercentage": run.tolerated_percentage,
            "toleratedFailureCount": run.tolerated_count,
            "itemCounts": counts,
            "executionCounts": dict(counts),
            "redriveCount": 0,
        }
        if run.stopped is not None:
            result["stopDate"] = _date(run.stopped)
        return result

    def list_map_runs(self, params: dict) -> dict:
        """ListMapRuns of one execution."""
        execution = self._execution(params["executionArn"])
        runs = [r for r in self.map_runs.values() if r.execution_arn == execution.arn]
        page, token = _page(runs, params)
        result: dict[str, Any] = {
            "mapRuns": [
                {
                    "executionArn": r.execution_arn,
                    "mapRunArn": r.arn,
                    "stateMachineArn": r.arn,
                    "startDate": _date(r.started),
                    **({"stopDate": _date(r.stopped)} if r.stopped is not None else {}),
                }
                for r in page
            ]
        }
        if token:
            result["nextToken"] = token
        return result

    def update_map_run(self, params: dict) -> dict:
        """UpdateMapRun: concurrency and tolerated failures of a running map run."""
        run = self._map_run(params["mapRunArn"])
        if "maxConcurrency" in params:
            run.max_concurrency = params["maxConcurrency"]
        if "toleratedFailureCount" in params:
            run.tolerated_count = params["toleratedFailureCount"]
        if "toleratedFailurePercentage" in params:
            pct = params["toleratedFailurePercentage"]
            if not 0 <= pct <= 100:
                raise ServiceError(
                    "ValidationException", "toleratedFailurePercentage must be between 0 and 100"
                )
            run.tolerated_percentage = pct
        return {}

    # -- tags --------------------------------------------------------------------------------
    def _taggable(self, arn: str) -> dict[str, str]:
        if arn not in self.tags:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
        return self.tags[arn]

    def tag_resource(self, params: dict) -> dict:
        """TagResource."""
        tags = self._taggable(params["resourceArn"])
        new = {t["key"]: t["value"] for t in params["tags"]}
        if len({**tags, **new}) > 50:
            raise ServiceError(
                "TooManyTags", "Too many tags", extra={"resourceName": params["resourceArn"]}
            )
        tags.update(new)
        return {}

    def untag_resource(self, params: dict) -> dict:
        """UntagResource."""
        tags = self._taggable(params["resourceArn"])
        for key in params["tagKeys"]:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        """ListTagsForResource."""
        tags = self._taggable(params["resourceArn"])
        return {"tags": [{"key": k, "value": v} for k, v in tags.items()]}

    # -- validation and TestState -------------------------------------------------------------
    def validate_state_machine_definition(self, params: dict) -> dict:
        """ValidateStateMachineDefinition: diagnostics rather than an error."""
        diagnostics: list[Diagnostic] = []
        document = parse_json(params["definition"], diagnostics)
        if document is not None:
            Validator(params.get("type", "STANDARD"), diagnostics).machine(document, "", None)
        limit = params.get("maxResults") or 100
        shown = [d.as_dict() for d in diagnostics[:limit]]
        return {
            "result": "FAIL" if diagnostics else "OK",
            "diagnostics": shown,
            "truncated": len(diagnostics) > limit,
        }

    async def test_state(self, params: dict) -> dict:
        """TestState: run one state against an input."""
        return await run_test_state(self, params)

    # -- UI ----------------------------------------------------------------------------------
    def execution_view(self, arn: str) -> dict[str, Any]:
        """For the UI: status, current state(s), and each state's status and timings."""
        execution = self.executions.get(arn) or self.running_express.get(arn)
        if execution is None:
            raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return {
            "executionArn": execution.arn,
            "status": execution.status,
            "current": sorted(execution.current),
            "states": {
                name: {
                    "status": s.status,
                    "entered": s.entered,
                    "exited": s.exited,
                    "duration": (s.exited - s.entered) if s.exited is not None else None,
                    "retries": s.retries,
                }
                for name, s in execution.states.items()
            },
            "started": execution.started,
            "stopped": execution.stopped,
        }

    def running_executions(self) -> list[str]:
        """ARNs of executions still running."""
        running = [a for a, e in self.executions.items() if e.status == "RUNNING"]
        return running + list(self.running_express)

    # -- fabric, topology, save ---------------------------------------------------------------
    def owns(self, arn: str) -> bool:
        """Whether `arn` names a state machine, version, alias or activity here."""
        if arn in self.machines or arn in self.aliases or arn in self.activities:
            return True
        base, _, number = arn.rpartition(":")
        machine = self.machines.get(base)
        return machine is not None and number.isdigit() and int(number) in machine.versions

    async def deliver(self, target_arn: str, envelope: Envelope) -> Any:
        """A fabric delivery starts an execution (sync: waits and returns DescribeExecution)."""
        body = envelope.body
        text = body if isinstance(body, str) else compact(body)
        params: dict[str, Any] = {"stateMachineArn": target_arn, "input": text}
        if envelope.options.get("name"):
            params["name"] = envelope.options["name"]
        if envelope.trace_id:
            params["traceHeader"] = envelope.trace_id
        execution = self._new_execution(params)
        if envelope.options.get("sync"):
            if not execution.launched:
                self._launch(execution)
            await asyncio.shield(execution.done)
            return self._describe(execution)
        if not execution.launched:
            self._launch(execution)
        return execution.arn

    def holdings(self) -> dict[str, int]:
        """State machines and the executions kept (running ones and closed ones' histories)."""
        return {
            "state machines": len(self.machines),
            "executions": len(self.executions),
            "running executions": sum(
                1 for execution in self.executions.values() if execution.status == "RUNNING"
            ),
        }

    def topology(self) -> tuple[list[Node], list[Edge]]:
        """State machines as nodes; Task resources as task edges."""
        nodes, edges = [], []
        for machine in self.machines.values():
            nodes.append(
                Node(
                    machine.arn,
                    "state-machine",
                    machine.name,
                    self.name,
                    {
                        "executions": machine.executions_started,
                        "running": machine.running,
                        "succeeded": machine.succeeded,
                        "failed": machine.failed,
                    },
                )
            )
            for state_name, target in _task_targets(machine.document, self):
                edges.append(Edge(machine.arn, target, "task", state_name))
        return nodes, edges

    def dump(self) -> dict[str, Any] | None:
        """State machines (with versions and aliases) and activities."""
        if not self.machines and not self.activities:
            return None
        return {
            "stateMachines": [
                {
                    "name": m.name,
                    "definition": m.definition,
                    "roleArn": m.role_arn,
                    "type": m.type,
                    "versions": [v.definition for v in m.versions.values()],
                }
                for m in self.machines.values()
            ],
            "activities": [a.name for a in self.activities.values()],
            "executions": dump_executions(self, self.clock.now()),
        }

    def _abort_unresumable(self, execution: Execution) -> None:
        """A restored running execution whose position was not saved ends as ABORTED."""
        root = self._root(execution.machine)
        root.running -= 1
        root.failed += 1
        execution.status = "ABORTED"
        execution.stopped = self.clock.now()
        execution.cause = "Pipework could not resume this execution after open."

    def load(self, data: dict[str, Any]) -> None:
        """Recreate what dump() saved (machines with their published versions, activities)."""
        for item in data.get("stateMachines", []):
            arn = self.create_state_machine(
                {
                    "name": item["name"],
                    "definition": item["definition"],
                    "roleArn": item["roleArn"],
                    "type": item["type"],
                }
            )["stateMachineArn"]
            machine = self.machines[arn]
            latest = (machine.definition, machine.document, machine.revision_id)
            for text in item.get("versions", []):
                machine.definition = text
                machine.document = load_definition(text, machine.type)
                machine.revision_id = self.ids.uuid()
                self._publish(machine, "")
            machine.definition, machine.document, machine.revision_id = latest
        for name in data.get("activities", []):
            self.create_activity({"name": name})
        load_executions(self, data.get("executions", []), self.clock.now())

    async def close(self) -> None:
        """Cancel running executions."""
        for execution in list(self.executions.values()):
            if execution.task is not None and not execution.task.done():
                execution.task.cancel()


def _root_scope() -> Scope:
    return Scope()


def _task_targets(document: dict[str, Any], service: StepFunctionsService) -> list[tuple[str, str]]:
    """(state name, resource ARN) for each Task that calls a resource, branches included."""
    found: list[tuple[str, str]] = []
    for name, state in document.get("States", {}).items():
        kind = state.get("Type")
        if kind == "Task":
            resource = state.get("Resource", "")
            params = state.get("Parameters") or state.get("Arguments") or {}
            target = None
            if ":function:" in resource or ":activity:" in resource:
                target = resource
            elif isinstance(params, dict):
                if isinstance(params.get("FunctionName"), str):
                    target = service.function_arn(params["FunctionName"])
                elif isinstance(params.get("StateMachineArn"), str):
                    target = params["StateMachineArn"]
                elif isinstance(params.get("TopicArn"), str):
                    target = params["TopicArn"]
                elif isinstance(params.get("QueueUrl"), str):
                    url = params["QueueUrl"].rstrip("/").split("/")
                    target = f"arn:aws:sqs:{service.region}:{url[-2] if len(url) > 1 else service.account_id}:{url[-1]}"
                elif isinstance(params.get("TableName"), str):
                    target = f"arn:aws:dynamodb:{service.region}:{service.account_id}:table/{params['TableName']}"
            if target:
                found.append((name, target))
        for branch in state.get("Branches", []) or []:
            found.extend(_task_targets(branch, service))
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if isinstance(processor, dict):
            found.extend(_task_targets(processor, service))
    return found


def _event_out(event: dict[str, Any], include_data: bool) -> dict[str, Any]:
    out = dict(event)
    out["timestamp"] = _date(event["timestamp"])
    if not include_data:
        for key, value in out.items():
            if key.endswith("EventDetails") and isinstance(value, dict):
                out[key] = {k: v for k, v in value.items() if k not in ("input", "output")}
    return out


def _page(items: list[Any], params: dict, default: int = 100) -> tuple[list[Any], str | None]:
    """One page of `items` by maxResults/nextToken (the token is the next offset)."""
    size = params.get("maxResults") or default
    start = 0
    token = params.get("nextToken")
    if token:
        try:
            start = int(token.split("-")[-1])
        except ValueError:
            raise ServiceError("InvalidToken", f"Invalid Token: '{token}'") from None
    end = start + size
    next_token = f"page-{end}" if end < len(items) else None
    return items[start:end], next_token


def _json_problem(text: str, error: ValueError) -> str:
    """AWS's wording (Jackson's) for text that is not JSON."""
    stripped = text.strip()
    if not stripped:
        return "Invalid execution input."
    if stripped.startswith("{'") or stripped.startswith("{ '"):
        return (
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name"
        )
    token = stripped.split()[0]
    return (
        f"Unrecognized token '{token}': was expecting (JSON String, Number, Array, Object or token "
        "'null', 'true' or 'false')"
    )


def _forget_task(execution: Execution, task: asyncio.Task) -> None:
    """Drop a finished run's task: a stopped run's traceback would keep its whole interpreter alive."""
    if execution.task is task:
        execution.task = None
