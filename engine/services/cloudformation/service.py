"""AWS CloudFormation in the lab: stacks, change sets, exports — deployed through the lab's services.

Internal API (used by the console's `deploy`/`export` and by tests):
`await cfn.deploy_template(text, stack_name, parameters, base=Path)` creates or updates a stack
and waits for the end; `await cfn.wait(stack_name)` waits for a running operation;
`cfn.stack_of(arn)` names the stack a resource belongs to (the flow map's grouping).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from engine.errors import ServiceError
from engine.service import Service

from .deployer import Deployer
from .describe import (
    change_description,
    change_set_summary,
    event_description,
    resource_description,
    stack_description,
    stack_summary,
    when,
)
from .models import ChangeSet, Stack, StackEvent, StackResource
from .parameters import raw_values
from .planner import plan_changes
from .processing import Prepared, TemplateProcessor
from .schemas import import_identifiers
from .store import StackStore

if TYPE_CHECKING:
    from engine.engine import Engine

#: Where `deploy` uploads local code folders (as `sam deploy` uses a managed bucket).
ARTIFACT_BUCKET = "pipework-cloudformation-artifacts"
_TERMINAL_FAILED = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED")
#: How long (real time) a call waits for its stack operation before answering IN_PROGRESS.
QUICK_OPERATION_SECONDS = 5.0
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to create a "
    "change set."
)


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)


class CloudFormationService(Service):
    """AWS CloudFormation: stacks of lab resources, made by the resource providers."""

    name: ClassVar[str] = "cloudformation"
    validation_error_code: ClassVar[str] = "ValidationError"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.store = StackStore()
        self.deployer = Deployer(self)
        self.processor = TemplateProcessor(self)
        self._tasks: dict[str, asyncio.Task] = {}

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()

    # -- status and events ------------------------------------------------------------------
    def set_status(self, stack: Stack, status: str, reason: str = "") -> None:
        """Move the stack to `status` and record the stack event."""
        stack.status = status
        stack.status_reason = reason
        now = self.clock.now()
        if status.startswith("UPDATE_IN_PROGRESS") or status.startswith("UPDATE_ROLLBACK_IN"):
            stack.updated = now
        if status == "DELETE_COMPLETE":
            stack.deleted = now
            self.store.forget_name(stack)
        elif status == "ROLLBACK_COMPLETE":
            # A create that rolled back: AWS reports when its resources went, and no change set.
            stack.deleted = now
            stack.change_set_id = None
        self._event(
            stack,
            stack.name,
            stack.stack_id,
            "AWS::CloudFormation::Stack",
            status,
            reason,
            None,
            event_id=self.ids.uuid(),
        )

    def record(
        self,
        stack: Stack,
        resource: StackResource,
        status: str,
        reason: str = "",
        properties: dict[str, Any] | None = None,
    ) -> None:
        """A resource's status changed: keep it and record the event."""
        resource.status = status
        resource.status_reason = reason
        resource.updated = self.clock.now()
        self._event(
            stack,
            resource.logical_id,
            resource.physical_id,
            resource.type,
            status,
            reason,
            json.dumps(properties, separators=(",", ":")) if properties is not None else None,
        )

    def _event(
        self,
        stack: Stack,
        logical_id: str,
        physical_id: str,
        kind: str,
        status: str,
        reason: str,
        properties: str | None,
        *,
        event_id: str | None = None,
    ) -> None:
        # Events are stamped in whole milliseconds (as the wire shows them), and AWS never gives
        # two events of a stack the same one: clients order them by Timestamp.
        millis = int(self.clock.now() * 1000 + 1e-6)
        if stack.events:
            millis = max(millis, round(stack.events[-1].timestamp * 1000) + 1)
        now = millis / 1000
        if event_id is None:
            event_id = f"{logical_id}-{status}-{when(now).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z"
        stack.events.append(
            StackEvent(
                event_id,
                stack.stack_id,
                stack.name,
                logical_id,
                physical_id,
                kind,
                status,
                now,
                reason,
                properties,
            )
        )
        self.emit(
            "stack-event",
            stack.stack_id,
            stack=stack.name,
            logical_id=logical_id,
            resource_type=kind,
            status=status,
            reason=reason[:256],
        )

    # -- running operations ---------------------------------------------------------------
    def _start(self, stack: Stack, work: Any) -> asyncio.Task:
        task = self.engine.spawn(work, name=f"cloudformation:{stack.name}")
        self._tasks[stack.stack_id] = task
        return task

    async def _settle(self, stack: Stack) -> None:
        """On the real clock, answer once a quick operation has finished (so a client's first
        waiter poll sees it done); on a virtual clock the caller moves time itself."""
        from engine.clock import RealClock

        task = self._tasks.get(stack.stack_id)
        if task is not None and isinstance(self.clock, RealClock):
            await asyncio.wait({task}, timeout=QUICK_OPERATION_SECONDS)

    async def wait(self, name_or_id: str) -> Stack:
        """Wait until the stack's running operation (if any) ends; returns the stack."""
        stack = self.store.get(name_or_id)
        task = self._tasks.get(stack.stack_id)
        if task is not None:
            await asyncio.shield(task)
        return stack

    def _new_stack(
        self, name: str, prepared: Prepared, params: dict[str, Any], status: str
    ) -> Stack:
        stack_id = self.arn(f"stack/{name}/{self.ids.uuid()}")
        stack = Stack(stack_id, name, self.clock.now(), status=status)
        self._adopt(stack, prepared, params)
        stack.disable_rollback = (
            bool(params.get("DisableRollback")) or params.get("OnFailure") == "DO_NOTHING"
        )
        stack.termination_protection = bool(params.get("EnableTerminationProtection"))
        stack.timeout_minutes = params.get("TimeoutInMinutes")
        self.store.add(stack)
        return stack

    def _adopt(self, stack: Stack, prepared: Prepared, params: dict[str, Any]) -> None:
        stack.template_body = prepared.body
        stack.original = prepared.original
        stack.template = prepared.template
        stack.resolved_parameters = prepared.values
        stack.description = prepared.template.get(
            "Description", prepared.original.get("Description")
        )
        stack.capabilities = list(params.get("Capabilities") or [])
        if "Tags" in params:
            stack.tags = [dict(tag) for tag in params.get("Tags") or []]
        if "NotificationARNs" in params:
            stack.notification_arns = list(params.get("NotificationARNs") or [])
        stack.role_arn = params.get("RoleARN", stack.role_arn)
        stack.warnings = list(prepared.warnings)
        self.store.record_imports(stack, _imports(prepared.template, stack, self))

    def _check_name(self, name: str) -> None:
        import re

        if name.startswith("arn:") and self.store.find(name) is not None:
            return
        if not re.fullmatch(r"[A-Za-z][-A-Za-z0-9]{0,127}", name):
            raise _validation(
                f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
            )

    # -- stacks ---------------------------------------------------------------------------------
    async def create_stack(self, params: dict) -> dict:
        name = params["StackName"]
        self._check_name(name)
        if self.store.find(name) is not None and self.store.find(name).name == name:
            raise ServiceError("AlreadyExistsException", f"Stack [{name}] already exists")
        prepared = await self.processor.prepare(params)
        probe = Stack("", name, 0.0)
        run = self.deployer.plan(probe, prepared.template, prepared.values, "CREATE")
        stack = self._new_stack(name, prepared, params, "CREATE_IN_PROGRESS")
        run.stack = stack
        run.scope = self.deployer.scope(stack, prepared.template, prepared.values)
        self._start(stack, self.deployer.create(run))
        await self._settle(stack)
        return {"StackId": stack.stack_id}

    async def update_stack(self, params: dict) -> dict:
        stack = self._updatable(params["StackName"])
        prepared = await self.processor.prepare(
            params,
            previous_body=stack.template_body,
            previous_values=raw_values(
                stack.template.get("Parameters") or {}, stack.resolved_parameters
            ),
        )
        if (
            prepared.template == stack.template
            and prepared.values == stack.resolved_parameters
            and ("Tags" not in params or params["Tags"] == stack.tags)
        ):
            raise _validation("No updates are to be performed.")
        self._begin_update(stack, prepared, params)
        await self._settle(stack)
        return {"StackId": stack.stack_id}

    def _begin_update(self, stack: Stack, prepared: Prepared, params: dict[str, Any]) -> None:
        run = self.deployer.plan(stack, prepared.template, prepared.values, "UPDATE")
        previous_template, previous_values = stack.template, stack.resolved_parameters
        self._adopt(stack, prepared, params)
        stack.change_set_id = None
        self._start(stack, self.deployer.update(run, previous_template, previous_values))

    def _updatable(self, name: str) -> Stack:
        stack = self.store.find(name)
        if stack is None:
            raise _validation(f"Stack [{name}] does not exist")
        if stack.in_progress or stack.status in (
            "ROLLBACK_COMPLETE",
            "ROLLBACK_FAILED",
            "DELETE_COMPLETE",
            "DELETE_FAILED",
            "CREATE_FAILED",
            "REVIEW_IN_PROGRESS",
        ):
            raise _validation(
                f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
            )
        return stack

    async def delete_stack(self, params: dict) -> dict:
        stack = self.store.find(params["StackName"])
        if stack is None or stack.status == "DELETE_COMPLETE":
            return {}
        if stack.termination_protection:
            raise _validation(
                f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
            )
        for name in stack.exports:
            self.store.check_unused(name, stack)
        if stack.status == "DELETE_IN_PROGRESS":
            return {}
        if stack.status == "REVIEW_IN_PROGRESS":
            stack.change_sets.clear()
            self.set_status(stack, "DELETE_COMPLETE")
            return {}
        retain = set(params.get("RetainResources") or [])
        for logical_id in retain:
            resource = stack.resources.get(logical_id)
            if resource is not None:
                resource.definition = {**resource.definition, "DeletionPolicy": "Retain"}
        previous = self._tasks.get(stack.stack_id)

        async def work() -> None:
            if previous is not None and not previous.done():
                await asyncio.gather(previous, return_exceptions=True)
            await self.deployer.delete(stack)

        self._start(stack, work())
        await self._settle(stack)
        return {}

    def describe_stacks(self, params: dict) -> dict:
        name = params.get("StackName")
        if name:
            stack = self.store.find(name)
            if stack is None or (stack.status == "DELETE_COMPLETE" and not name.startswith("arn:")):
                raise _validation(f"Stack with id {name} does not exist")
            stacks = [stack]
        else:
            stacks = [s for s in self.store.stacks.values() if s.status != "DELETE_COMPLETE"]
        result = []
        for stack in stacks:
            entry = stack_description(stack)
            if stack.change_set_id:
                entry["ChangeSetId"] = stack.change_set_id
            result.append(entry)
        return {"Stacks": result}

    def list_stacks(self, params: dict) -> dict:
        wanted = set(params.get("StackStatusFilter") or [])
        stacks = [
            stack_summary(s)
            for s in reversed(self.store.stacks.values())
            if not wanted or s.status in wanted
        ]
        return {"StackSummaries": stacks}

    def describe_stack_events(self, params: dict) -> dict:
        stack = self.store.find(params["StackName"])
        if stack is None:
            raise _validation(f"Stack [{params['StackName']}] does not exist")
        return {"StackEvents": [event_description(e) for e in reversed(stack.events)]}

    def _live_resources(self, stack: Stack) -> list[StackResource]:
        return [r for r in stack.resources.values() if r.status]

    def describe_stack_resource(self, params: dict) -> dict:
        stack = self.store.find(params["StackName"])
        if stack is None:
            raise _validation(f"Stack '{params['StackName']}' does not exist")
        resource = stack.resources.get(params["LogicalResourceId"])
        if resource is None:
            raise _validation(
                f"Resource {params['LogicalResourceId']} does not exist for stack {stack.name}"
            )
        return {"StackResourceDetail": resource_description(stack, resource, "detail")}

    def describe_stack_resources(self, params: dict) -> dict:
        if "StackName" not in params and "PhysicalResourceId" in params:
            stack = self._stack_with_physical(params["PhysicalResourceId"])
        elif "StackName" in params:
            stack = self.store.get(params["StackName"])
        else:
            raise _validation("Either StackName or PhysicalResourceId must be specified.")
        resources = self._live_resources(stack)
        logical = params.get("LogicalResourceId")
        if logical:
            resources = [r for r in resources if r.logical_id == logical]
        return {"StackResources": [resource_description(stack, r, "resources") for r in resources]}

    def _stack_with_physical(self, physical_id: str) -> Stack:
        for stack in self.store.stacks.values():
            if any(r.physical_id == physical_id for r in stack.resources.values()):
                return stack
        raise _validation(f"Stack for {physical_id} does not exist")

    def list_stack_resources(self, params: dict) -> dict:
        stack = self.store.get(params["StackName"])
        return {
            "StackResourceSummaries": [
                resource_description(stack, r, "summary") for r in self._live_resources(stack)
            ]
        }

    def get_template(self, params: dict) -> dict:
        """GetTemplate: the template text as submitted, or (Processed) after its transforms."""
        stages = ["Original", "Processed"]
        if params.get("ChangeSetName"):
            if not params.get("StackName") and not params["ChangeSetName"].startswith("arn:"):
                raise _validation("StackName is a required parameter.")
            change_set = self.store.change_set(params["ChangeSetName"], params.get("StackName"))
            return {"TemplateBody": change_set.template_body, "StagesAvailable": stages}
        if not params.get("StackName"):
            raise _validation("StackName is required if ChangeSetName is not specified.")
        stack = self.store.get(params["StackName"])
        body = stack.template_body
        if params.get("TemplateStage") == "Processed" and stack.template != stack.original:
            body = json.dumps(stack.template)
        return {"TemplateBody": body, "StagesAvailable": stages}

    def get_template_summary(self, params: dict) -> dict:
        if params.get("StackName"):
            stack = self.store.get(params["StackName"])
            template = stack.original
        else:
            template = self.processor.parse(self.processor.body(params))
        return _summary(template)

    def validate_template(self, params: dict) -> dict:
        template = self.processor.parse(self.processor.body(params))
        summary = _summary(template)
        result: dict[str, Any] = {
            "Parameters": [
                {
                    "ParameterKey": p["ParameterKey"],
                    "NoEcho": p["NoEcho"],
                    **({"DefaultValue": p["DefaultValue"]} if "DefaultValue" in p else {}),
                    **({"Description": p["Description"]} if "Description" in p else {}),
                }
                for p in summary["Parameters"]
            ]
        }
        if "Description" in template:
            result["Description"] = template["Description"]
        if summary.get("Capabilities"):
            result["Capabilities"] = summary["Capabilities"]
            result["CapabilitiesReason"] = summary["CapabilitiesReason"]
        if "DeclaredTransforms" in summary and summary["DeclaredTransforms"]:
            result["DeclaredTransforms"] = summary["DeclaredTransforms"]
        return result

    def update_termination_protection(self, params: dict) -> dict:
        stack = self.store.get(params["StackName"])
        stack.termination_protection = bool(params["EnableTerminationProtection"])
        return {"StackId": stack.stack_id}

    # -- exports --------------------------------------------------------------------------------
    def list_exports(self, params: dict) -> dict:
        return {
            "Exports": [
                {"ExportingStackId": stack_id, "Name": name, "Value": value}
                for name, (stack_id, value) in self.store.exports.items()
            ]
        }

    def list_imports(self, params: dict) -> dict:
        name = params["ExportName"]
        if name not in self.store.exports:
            raise _validation(f"Export '{name}' does not exist.")
        users = sorted(self.store.imports.get(name, ()))
        if not users:
            raise _validation(f"Export '{name}' is not imported by any stack.")
        return {"Imports": [self.store.stacks[s].name for s in users]}

    # -- change sets ----------------------------------------------------------------------------
    async def create_change_set(self, params: dict) -> dict:
        name, stack_name = params["ChangeSetName"], params["StackName"]
        kind = params.get("ChangeSetType", "UPDATE")
        if kind == "IMPORT":
            raise _validation("The lab does not import existing resources into stacks.")
        self._check_name(stack_name)
        existing = self.store.find(stack_name)
        if kind == "CREATE":
            if existing is not None and existing.status != "REVIEW_IN_PROGRESS":
                raise ServiceError(
                    "AlreadyExistsException",
                    f"Stack [{stack_name}] already exists and cannot be created again with the changeSet [{name}].",
                )
            prepared = await self.processor.prepare(params, require_capabilities=False)
        else:
            if existing is None:
                raise _validation(f"Stack [{stack_name}] does not exist")
            if existing.status == "REVIEW_IN_PROGRESS":
                raise _validation(f"Stack [{stack_name}] does not exist")
            if existing.in_progress:
                raise _validation(
                    f"Stack:{existing.stack_id} is in {existing.status} state and can not be updated."
                )
            prepared = await self.processor.prepare(
                params,
                previous_body=existing.template_body,
                previous_values=raw_values(
                    existing.template.get("Parameters") or {}, existing.resolved_parameters
                ),
                require_capabilities=False,
            )
        stack = existing
        if stack is None:
            probe = Stack("", stack_name, 0.0)
            self.deployer.plan(probe, prepared.template, prepared.values, "CREATE")
            stack = self._new_stack(stack_name, prepared, params, "REVIEW_IN_PROGRESS")
            stack.template = {}
            self.set_status(stack, "REVIEW_IN_PROGRESS", "User Initiated")
        existing_set = stack.change_sets.get(name)
        if existing_set is not None:
            if not existing_set.execution_status.startswith("EXECUTE"):
                raise ServiceError("AlreadyExistsException", f"ChangeSet [{name}] already exists")
            del stack.change_sets[name]  # an executed change set's name is free again
        arn = self.arn(f"changeSet/{name}/{self.ids.uuid()}")
        change_set = ChangeSet(
            arn,
            name,
            stack.stack_id,
            stack.name,
            kind,
            self.clock.now(),
            prepared.body,
            prepared.template,
            [dict(p) for p in params.get("Parameters") or []],
            [dict(t) for t in params.get("Tags") or []],
            list(params.get("Capabilities") or []),
            params.get("Description"),
            notification_arns=list(params.get("NotificationARNs") or []),
        )
        change_set.include_nested = bool(params.get("IncludeNestedStacks"))
        stack.change_sets[name] = change_set
        self._prepared_change_sets[arn] = (prepared, params)
        try:
            self.deployer.plan(stack, prepared.template, prepared.values, kind)
            scope = self.deployer.scope(stack, prepared.template, prepared.values)
            changed = (
                {
                    key
                    for key, value in prepared.values.items()
                    if stack.resolved_parameters.get(key) != value
                }
                if kind == "UPDATE"
                else set()
            )
            current = stack.resources if kind == "UPDATE" else {}
            change_set.changes = plan_changes(prepared.template, scope, current, changed)
        except ServiceError as error:
            change_set.status, change_set.status_reason = "FAILED", error.message
            return {"Id": arn, "StackId": stack.stack_id}
        outputs_changed = kind == "UPDATE" and (
            prepared.template.get("Outputs") != stack.template.get("Outputs")
        )
        if (
            not change_set.changes
            and not outputs_changed
            and kind == "UPDATE"
            and prepared.values == stack.resolved_parameters
        ):
            change_set.status, change_set.status_reason = "FAILED", NO_CHANGES
            return {"Id": arn, "StackId": stack.stack_id}
        change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
        return {"Id": arn, "StackId": stack.stack_id}

    @property
    def _prepared_change_sets(self) -> dict[str, tuple[Prepared, dict]]:
        table = self.__dict__.get("_prepared_table")
        if table is None:
            table = self.__dict__["_prepared_table"] = {}
        return table

    def describe_change_set(self, params: dict) -> dict:
        change_set = self.store.change_set(params["ChangeSetName"], params.get("StackName"))
        with_values = bool(params.get("IncludePropertyValues"))
        result: dict[str, Any] = {
            "ChangeSetName": change_set.name,
            "ChangeSetId": change_set.arn,
            "StackId": change_set.stack_id,
            "StackName": change_set.stack_name,
            "CreationTime": when(change_set.created),
            "ExecutionStatus": change_set.execution_status,
            "Status": change_set.status,
            "NotificationARNs": list(change_set.notification_arns),
            "RollbackConfiguration": {},
            "Capabilities": list(change_set.capabilities),
            "Tags": [dict(t) for t in change_set.tags] or None,
            "Changes": [
                _with_values(c) if with_values else change_description(c)
                for c in change_set.changes
            ],
            "IncludeNestedStacks": change_set.include_nested,
        }
        if result["Tags"] is None:
            del result["Tags"]
        if change_set.parameters or change_set.template.get("Parameters"):
            prepared = self._prepared_change_sets.get(change_set.arn)
            if prepared is not None:
                from .parameters import described_parameters

                result["Parameters"] = described_parameters(
                    prepared[0].template.get("Parameters") or {}, prepared[0].values
                )
        if change_set.status_reason:
            result["StatusReason"] = change_set.status_reason
        if change_set.description is not None:
            result["Description"] = change_set.description
        return result

    async def execute_change_set(self, params: dict) -> dict:
        change_set = self.store.change_set(params["ChangeSetName"], params.get("StackName"))
        stack = self.store.get(change_set.stack_id)
        if change_set.execution_status != "AVAILABLE":
            raise ServiceError(
                "InvalidChangeSetStatus",
                f"ChangeSet [{change_set.arn}] cannot be executed in its current status of [{change_set.status}]",
            )
        prepared, original_params = self._prepared_change_sets[change_set.arn]
        merged = {
            **original_params,
            **{k: v for k, v in params.items() if k in ("DisableRollback",)},
        }
        change_set.execution_status = "EXECUTE_IN_PROGRESS"
        stack.change_set_id = change_set.arn
        for other in list(stack.change_sets.values()):
            if other is not change_set:
                del stack.change_sets[other.name]
        if change_set.change_set_type == "CREATE":
            run = self.deployer.plan(stack, prepared.template, prepared.values, "CREATE")
            stack.updated = self.clock.now()  # AWS counts leaving REVIEW_IN_PROGRESS as an update
            self._adopt(stack, prepared, merged)
            stack.disable_rollback = bool(merged.get("DisableRollback"))
            work = self.deployer.create(run)
        else:
            run = self.deployer.plan(stack, prepared.template, prepared.values, "UPDATE")
            previous_template, previous_values = stack.template, stack.resolved_parameters
            self._adopt(stack, prepared, merged)
            work = self.deployer.update(run, previous_template, previous_values)

        async def execute() -> None:
            await work
            change_set.execution_status = (
                "EXECUTE_FAILED"
                if stack.status in _TERMINAL_FAILED or "ROLLBACK" in stack.status
                else "EXECUTE_COMPLETE"
            )

        self._start(stack, execute())
        await self._settle(stack)
        return {}

    def delete_change_set(self, params: dict) -> dict:
        change_set = self.store.change_set(params["ChangeSetName"], params.get("StackName"))
        stack = self.store.get(change_set.stack_id)
        if change_set.execution_status == "EXECUTE_IN_PROGRESS":
            raise ServiceError(
                "InvalidChangeSetStatus",
                f"Cannot delete ChangeSet in status {change_set.execution_status}",
            )
        stack.change_sets.pop(change_set.name, None)
        self._prepared_change_sets.pop(change_set.arn, None)
        return {}

    def list_change_sets(self, params: dict) -> dict:
        stack = self.store.get(params["StackName"])
        return {"Summaries": [change_set_summary(c) for c in stack.change_sets.values()]}

    # -- the lab's own entry points ---------------------------------------------------------
    async def upload_artifact(self, source: str, data: bytes) -> tuple[str, str]:
        """Put a packaged code folder into the lab's artifact bucket; returns (bucket, key)."""
        import hashlib

        s3 = self.engine.client("s3")
        try:
            await s3.head_bucket(Bucket=ARTIFACT_BUCKET)
        except ServiceError:
            await s3.create_bucket(Bucket=ARTIFACT_BUCKET)
        key = hashlib.md5(data).hexdigest()  # noqa: S324 - the name sam package gives artifacts
        await s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=data)
        return ARTIFACT_BUCKET, key

    async def deploy_template(
        self,
        body: str,
        stack_name: str,
        parameters: dict[str, str] | None = None,
        *,
        base: Path | None = None,
        capabilities: tuple[str, ...] = (
            "CAPABILITY_IAM",
            "CAPABILITY_NAMED_IAM",
            "CAPABILITY_AUTO_EXPAND",
        ),
        tags: dict[str, str] | None = None,
    ) -> Stack:
        """`pipework deploy`: create or update `stack_name` from `body` and wait for the end."""
        params: dict[str, Any] = {
            "StackName": stack_name,
            "TemplateBody": body,
            "Parameters": [
                {"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()
            ],
            "Capabilities": list(capabilities),
        }
        if tags:
            params["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        self._check_name(stack_name)
        self.processor.default_lint = "on"
        try:
            return await self._deploy(params, stack_name, parameters, base)
        finally:
            self.processor.default_lint = "off"

    async def _deploy(
        self,
        params: dict[str, Any],
        stack_name: str,
        parameters: dict[str, str] | None,
        base: Path | None,
    ) -> Stack:
        existing = self.store.find(stack_name)
        if existing is not None and existing.status == "ROLLBACK_COMPLETE":
            await self.delete_stack({"StackName": stack_name})
            await self.wait(existing.stack_id)
            existing = None
        if existing is None:
            prepared = await self.processor.prepare(params, base=base)
            probe = Stack("", stack_name, 0.0)
            run = self.deployer.plan(probe, prepared.template, prepared.values, "CREATE")
            stack = self._new_stack(stack_name, prepared, params, "CREATE_IN_PROGRESS")
            run.stack = stack
            run.scope = self.deployer.scope(stack, prepared.template, prepared.values)
            self._start(stack, self.deployer.create(run))
        else:
            stack = self._updatable(stack_name)
            params.pop("Parameters")
            given = dict(
                raw_values(stack.template.get("Parameters") or {}, stack.resolved_parameters)
            )
            given.update(parameters or {})
            declared = self.processor.parse(params["TemplateBody"]).get("Parameters") or {}
            params["Parameters"] = [
                {"ParameterKey": k, "ParameterValue": v} for k, v in given.items() if k in declared
            ]
            prepared = await self.processor.prepare(params, base=base)
            if prepared.template == stack.template and prepared.values == stack.resolved_parameters:
                raise _validation("No updates are to be performed.")
            self._begin_update(stack, prepared, params)
        return await self.wait(stack.stack_id)

    def stack_of(self) -> dict[str, str]:
        """Physical id / ARN of each stack resource → the name of its (live) stack."""
        table: dict[str, str] = {}
        for stack in self.store.stacks.values():
            if stack.status == "DELETE_COMPLETE":
                continue
            for resource in stack.resources.values():
                if resource.physical_id:
                    table[resource.physical_id] = stack.name
                for key in ("Arn", "TopicArn", "StateMachineArn", "QueueUrl"):
                    value = resource.attributes.get(key)
                    if isinstance(value, str):
                        table[value] = stack.name
        return table

    def dump(self) -> dict[str, Any] | None:
        """Stacks (with their resources, events and outputs) and exports; change sets are not kept."""
        if not self.store.stacks:
            return None
        from dataclasses import asdict

        stacks = []
        for stack in self.store.stacks.values():
            data = asdict(stack)
            data["change_sets"] = {}
            stacks.append(data)
        imports = {name: sorted(users) for name, users in self.store.imports.items()}
        return {"stacks": stacks, "imports": imports}

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` wrote (operations in progress come back as they were left)."""
        for entry in data.get("stacks", []):
            entry = dict(entry)
            resources = {k: StackResource(**v) for k, v in entry.pop("resources", {}).items()}
            events = [StackEvent(**e) for e in entry.pop("events", [])]
            entry.pop("change_sets", None)
            stack = Stack(**entry, resources=resources, events=events)
            self.store.stacks[stack.stack_id] = stack
            if stack.status != "DELETE_COMPLETE":
                self.store.live[stack.name] = stack.stack_id
            for name, value in stack.exports.items():
                self.store.exports[name] = (stack.stack_id, value)
        for name, users in (data.get("imports") or {}).items():
            self.store.imports[name] = set(users)


def _summary(template: dict[str, Any]) -> dict[str, Any]:
    parameters = []
    for key, spec in (template.get("Parameters") or {}).items():
        spec = spec or {}
        entry: dict[str, Any] = {
            "ParameterKey": key,
            "ParameterType": str(spec.get("Type", "String")),
            "NoEcho": str(spec.get("NoEcho", "false")).lower() == "true",
            "ParameterConstraints": {},
        }
        if "Default" in spec:
            default = spec["Default"]
            entry["DefaultValue"] = (
                ",".join(map(str, default)) if isinstance(default, list) else str(default)
            )
        if "Description" in spec:
            entry["Description"] = spec["Description"]
        if "AllowedValues" in spec:
            entry["ParameterConstraints"] = {
                "AllowedValues": [str(v) for v in spec["AllowedValues"]]
            }
        parameters.append(entry)
    resources = template.get("Resources") or {}
    types = sorted({d.get("Type", "") for d in resources.values() if isinstance(d, dict)})
    result: dict[str, Any] = {
        "Parameters": parameters,
        "ResourceTypes": types,
        "Version": template.get("AWSTemplateFormatVersion", "2010-09-09"),
        "ResourceIdentifierSummaries": _identifier_summaries(resources),
    }
    if "Description" in template:
        result["Description"] = template["Description"]
    transforms = template.get("Transform")
    if transforms:
        result["DeclaredTransforms"] = transforms if isinstance(transforms, list) else [transforms]
    iam = [
        d
        for d in resources.values()
        if isinstance(d, dict) and str(d.get("Type", "")).startswith("AWS::IAM::")
    ]
    if iam:
        named = any(
            any(
                k in (d.get("Properties") or {})
                for k in ("RoleName", "UserName", "GroupName", "ManagedPolicyName")
            )
            for d in iam
        )
        result["Capabilities"] = ["CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM"]
        result["CapabilitiesReason"] = (
            "The following resource(s) require capabilities: ["
            + ", ".join(sorted({d["Type"] for d in iam}))
            + "]"
        )
    if "Metadata" in template:
        # AWS answers with the metadata map printed as a Python-style literal, not as JSON.
        result["Metadata"] = str(template["Metadata"])
    return result


def _identifier_summaries(resources: dict[str, Any]) -> list[dict[str, Any]]:
    """GetTemplateSummary's ResourceIdentifierSummaries: logical ids per type, in template order."""
    by_type: dict[str, list[str]] = {}
    for logical_id, definition in resources.items():
        if isinstance(definition, dict) and isinstance(definition.get("Type"), str):
            by_type.setdefault(definition["Type"], []).append(logical_id)
    summaries = []
    for kind, logical_ids in by_type.items():
        summary: dict[str, Any] = {"ResourceType": kind, "LogicalResourceIds": logical_ids}
        if identifiers := import_identifiers(kind):
            summary["ResourceIdentifiers"] = list(identifiers)
        summaries.append(summary)
    return summaries


def _with_values(change: Any) -> dict[str, Any]:
    entry = change_description(change)
    resource = entry["ResourceChange"]
    # The contexts are JSON text in AWS's API.
    if change.action == "Add":
        resource["AfterContext"] = json.dumps({"Properties": change.after or {}})
        resource["Replacement"] = "True"
    elif change.action == "Modify":
        resource["BeforeContext"] = json.dumps({"Properties": change.before or {}})
        resource["AfterContext"] = json.dumps({"Properties": change.after or {}})
        for detail in resource["Details"]:
            target = detail["Target"]
            name = target.get("Name")
            if name is not None and change.before is not None and change.after is not None:
                before, after = change.before.get(name), change.after.get(name)
                target["Path"] = f"/Properties/{name}"
                target["AttributeChangeType"] = (
                    "Add" if before is None else "Remove" if after is None else "Modify"
                )
                if before is not None:
                    target["BeforeValue"] = (
                        before if isinstance(before, str) else json.dumps(before)
                    )
                if after is not None:
                    target["AfterValue"] = after if isinstance(after, str) else json.dumps(after)
    elif change.action == "Remove":
        resource["BeforeContext"] = json.dumps({"Properties": change.before or {}})
        resource["PolicyAction"] = "Delete"
    return entry


def _imports(template: dict[str, Any], stack: Stack, service: CloudFormationService) -> set[str]:
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if len(value) == 1 and "Fn::ImportValue" in value:
                argument = value["Fn::ImportValue"]
                if isinstance(argument, str):
                    names.add(argument)
                else:
                    from .intrinsics import Resolver

                    try:
                        resolved = Resolver(
                            service.deployer.scope(stack, template, stack.resolved_parameters)
                        ).resolve(argument)
                        names.add(str(resolved))
                    except ServiceError:
                        pass
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(template.get("Resources"))
    walk(template.get("Outputs"))
    return names
