"""Runs stack operations: resources in dependency order (independent ones at once), rollback on failure."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .dynamic import resolve_dynamic
from .graph import check_acyclic, dependencies
from .intrinsics import KNOWN_AFTER_APPLY, Resolver, Scope, template_error
from .models import Stack, StackResource
from .providers import Outcome, Provider, Request, provider_types
from .schemas import create_only_properties

if TYPE_CHECKING:
    from .service import CloudFormationService

REPLACING = "Requested update requires the creation of a new physical resource; hence creating one."
#: Errors whose HandlerErrorCode AWS reports as AlreadyExists / NotFound.
_ALREADY_EXISTS = (
    "AlreadyExists",
    "Conflict",
    "ResourceInUse",
    "QueueNameExists",
    "BucketAlreadyOwnedByYou",
    "ResourceExists",
)


class StackFailure(Exception):
    """A resource operation failed: the reason is what the resource's event shows."""


@dataclass(slots=True)
class Run:
    """One stack operation in progress: the template it applies and what it changed so far."""

    stack: Stack
    template: dict[str, Any]
    resources: dict[str, dict[str, Any]]
    graph: dict[str, set[str]]
    scope: Scope
    operation: str  # CREATE | UPDATE
    old: dict[str, StackResource] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    #: (what was done, logical id, the resource as it was before) in completion order.
    done: list[tuple[str, str, StackResource | None]] = field(default_factory=list)
    #: Physical resources replaced during an update, deleted in the cleanup phase.
    replaced: list[StackResource] = field(default_factory=list)
    finished: dict[str, asyncio.Event] = field(default_factory=dict)


def included_resources(template: dict[str, Any], scope: Scope) -> dict[str, dict[str, Any]]:
    """The resources whose Condition holds (all of them when they name none)."""
    resources = template.get("Resources") or {}
    result = {}
    for logical_id, definition in resources.items():
        condition = definition.get("Condition")
        if condition is None or scope.condition(condition):
            result[logical_id] = definition
    return result


def check_statically(
    template: dict[str, Any], resources: dict[str, dict[str, Any]], scope: Scope
) -> None:
    """Evaluate what can be evaluated before anything exists (mappings, selects, conditions),
    raising the template errors AWS raises when the request is made."""
    from dataclasses import replace

    static = replace(scope, import_value=lambda name: KNOWN_AFTER_APPLY)
    static._conditions = scope._conditions
    resolver = Resolver(static)
    for definition in resources.values():
        resolver.resolve(definition.get("Properties") or {})
    for spec in (template.get("Outputs") or {}).values():
        condition = spec.get("Condition") if isinstance(spec, dict) else None
        if condition is None or static.condition(condition):
            resolver.resolve(spec.get("Value"))


def handler_message(error: ServiceError, token: str) -> str:
    """A provider failure in the words CloudFormation's resource events use."""
    code = "InvalidRequest"
    if any(word in error.code for word in _ALREADY_EXISTS) or "already exist" in error.message:
        code = "AlreadyExists"
    elif "NotFound" in error.code or "NonExistent" in error.code or "NoSuch" in error.code:
        code = "NotFound"
    return (
        f'Resource handler returned message: "{error.message}" '
        f"(RequestToken: {token}, HandlerErrorCode: {code})"
    )


class Deployer:
    """Creates, updates and deletes a stack's resources through the resource providers."""

    def __init__(self, service: CloudFormationService) -> None:
        self.service = service
        self.engine = service.engine
        self._providers: dict[str, Provider] = {}

    # -- providers and scopes -----------------------------------------------------------------
    def provider(self, type_name: str) -> Provider:
        """The provider for `type_name` (the caller checked that one exists)."""
        provider = self._providers.get(type_name)
        if provider is None:
            provider = self._providers[type_name] = provider_types()[type_name](self.engine)
        return provider

    def scope(self, stack: Stack, template: dict[str, Any], values: dict[str, Any]) -> Scope:
        """What the template's intrinsic functions read, bound to `stack`'s live resources."""
        from .language import uses_language_extensions

        def ref(logical_id: str) -> Any:
            resource = stack.resources.get(logical_id)
            return resource.physical_id if resource and resource.physical_id else KNOWN_AFTER_APPLY

        def get_att(logical_id: str, name: str) -> Any:
            resource = stack.resources.get(logical_id)
            if resource is None or not resource.physical_id:
                return KNOWN_AFTER_APPLY
            if name in resource.attributes:
                return resource.attributes[name]
            # The registry lets Fn::GetAtt read a resource's properties too (Topic.DisplayName).
            value: Any = resource.properties
            for part in name.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                raise template_error(
                    f"resource {logical_id} does not support attribute type {name} in Fn::GetAtt"
                )
            return value

        return Scope(
            self.engine.region,
            self.engine.account_id,
            stack.name,
            stack.stack_id,
            parameters=values,
            mappings=template.get("Mappings") or {},
            condition_definitions=template.get("Conditions") or {},
            resource_ids=frozenset(template.get("Resources") or {}),
            notification_arns=stack.notification_arns,
            ref=ref,
            get_att=get_att,
            import_value=self.service.store.import_value,
            language_extensions=uses_language_extensions(stack.original),
        )

    def plan(
        self, stack: Stack, template: dict[str, Any], values: dict[str, Any], operation: str
    ) -> Run:
        """Everything a run needs, checked before anything changes."""
        scope = self.scope(stack, template, values)
        resources = included_resources(template, scope)
        graph = dependencies(resources)
        unknown = sorted({d.get("Type", "") for d in resources.values()} - set(provider_types()))
        if unknown:
            raise ServiceError(
                "ValidationError",
                f"Template format error: Unrecognized resource types: [{', '.join(unknown)}]",
            )
        check_statically(template, resources, scope)
        run = Run(stack, template, resources, graph, scope, operation)
        run.finished = {logical_id: asyncio.Event() for logical_id in resources}
        return run

    # -- create ---------------------------------------------------------------------------------
    async def create(self, run: Run) -> None:
        """CREATE_IN_PROGRESS → every resource → CREATE_COMPLETE, or roll back what was made."""
        stack = run.stack
        self.service.set_status(stack, "CREATE_IN_PROGRESS", "User Initiated")
        await self._apply_all(run)
        if not run.failed:
            try:
                self._outputs(run)
            except ServiceError as error:
                run.failed.append("Outputs")
                stack.status_reason = error.message
        if not run.failed:
            self.service.set_status(stack, "CREATE_COMPLETE")
            return
        reason = f"The following resource(s) failed to create: [{', '.join(sorted(run.failed))}]. "
        if stack.disable_rollback:
            self.service.set_status(stack, "CREATE_FAILED", reason)
            return
        self.service.set_status(
            stack, "ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user."
        )
        # The failed resources first (nothing to delete, but AWS reports them), then what was
        # made, newest first.
        failed = [lid for lid in run.failed if lid in stack.resources]
        made = [lid for _, lid, _ in reversed(run.done)]
        await self._delete_resources(stack, failed + made, rollback=True)
        stack.outputs = []
        self.service.store.release_exports(stack)
        self.service.set_status(stack, "ROLLBACK_COMPLETE")

    async def _apply_all(self, run: Run) -> None:
        tasks = [
            asyncio.ensure_future(self._apply_one(run, logical_id)) for logical_id in run.resources
        ]
        if tasks:
            await asyncio.gather(*tasks)

    async def _apply_one(self, run: Run, logical_id: str) -> None:
        try:
            for dependency in run.graph[logical_id]:
                await run.finished[dependency].wait()
            if run.failed:
                return
            if run.operation == "CREATE" or logical_id not in run.old:
                await self._create_resource(run, logical_id)
            else:
                await self._update_resource(run, logical_id)
        finally:
            run.finished[logical_id].set()

    def _resolve(self, run: Run, logical_id: str) -> dict[str, Any]:
        properties = run.resources[logical_id].get("Properties") or {}
        if not isinstance(properties, dict):
            raise template_error(f"Properties of {logical_id} must be an object")
        return resolve_dynamic(self.engine, Resolver(run.scope).resolve(properties))

    async def _create_resource(
        self, run: Run, logical_id: str, *, replacing: StackResource | None = None
    ) -> None:
        stack = run.stack
        definition = run.resources[logical_id]
        kind = definition["Type"]
        resource = StackResource(logical_id, kind, definition=definition)
        verb = "UPDATE" if replacing is not None else "CREATE"
        record = self.service.record
        try:
            properties = self._resolve(run, logical_id)
        except ServiceError as error:
            stack.resources.setdefault(logical_id, resource)
            self._fail(run, resource, f"{verb}_FAILED", error.message)
            return
        resource.properties = properties
        if replacing is None:
            stack.resources[logical_id] = resource
        else:
            resource.physical_id = replacing.physical_id  # AWS names the old one in this event
        record(stack, resource, f"{verb}_IN_PROGRESS", REPLACING if replacing else "", properties)
        request = Request(
            logical_id, stack.name, properties, stack_id=stack.stack_id, tags=stack.tags
        )
        try:
            outcome = await self.provider(kind).create(request)
        except ServiceError as error:
            if replacing is None:
                resource.status = f"{verb}_FAILED"
            self._fail(
                run,
                replacing or resource,
                f"{verb}_FAILED",
                handler_message(error, self.engine.ids.uuid()),
            )
            return
        except Exception as error:  # a provider bug fails the resource, never the engine
            self.engine.trace.emit("engine-error", "cloudformation", logical_id, error=repr(error))
            self._fail(run, replacing or resource, f"{verb}_FAILED", f"Internal Failure: {error}")
            return
        self._store(resource, outcome)
        if replacing is not None:
            run.replaced.append(replacing)
            stack.resources[logical_id] = resource
            run.done.append(("replaced", logical_id, replacing))
        else:
            run.done.append(("created", logical_id, None))
        record(stack, resource, f"{verb}_IN_PROGRESS", "Resource creation Initiated")
        record(stack, resource, f"{verb}_COMPLETE")

    @staticmethod
    def _store(resource: StackResource, outcome: Outcome) -> None:
        resource.physical_id = outcome.physical_id
        resource.attributes = dict(outcome.attributes)

    def _fail(self, run: Run, resource: StackResource, status: str, reason: str) -> None:
        run.failed.append(resource.logical_id)
        self.service.record(run.stack, resource, status, reason)

    # -- update ---------------------------------------------------------------------------------
    async def update(
        self, run: Run, previous_template: dict[str, Any], previous: dict[str, Any]
    ) -> None:
        """UPDATE_IN_PROGRESS → changed resources → cleanup → UPDATE_COMPLETE, or roll back."""
        stack = run.stack
        run.old = {lid: _copy(r) for lid, r in stack.resources.items()}
        self.service.set_status(stack, "UPDATE_IN_PROGRESS", "User Initiated")
        await self._apply_all(run)
        if not run.failed:
            try:
                self._outputs(run)
            except ServiceError as error:
                run.failed.append("Outputs")
                stack.status_reason = error.message
        if not run.failed:
            self.service.set_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            await self._cleanup(run)
            self.service.set_status(stack, "UPDATE_COMPLETE")
            return
        reason = f"The following resource(s) failed to update: [{', '.join(sorted(run.failed))}]. "
        self.service.set_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
        await self._roll_back_update(run)
        stack.template, stack.resolved_parameters = previous_template, previous
        self.service.set_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        self.service.set_status(stack, "UPDATE_ROLLBACK_COMPLETE")

    async def _update_resource(self, run: Run, logical_id: str) -> None:
        stack = run.stack
        old = run.old[logical_id]
        definition = run.resources[logical_id]
        if old.type != definition["Type"]:
            await self._create_resource(run, logical_id, replacing=old)
            return
        try:
            properties = self._resolve(run, logical_id)
        except ServiceError as error:
            self._fail(run, old, "UPDATE_FAILED", error.message)
            return
        current = stack.resources[logical_id]
        current.definition = definition
        if properties == old.properties:
            return
        provider = self.provider(old.type)
        if needs_replacement(old.type, old.properties, properties):
            name_property = provider.name_property
            if (
                name_property
                and properties.get(name_property)
                and properties.get(name_property) == old.properties.get(name_property)
            ):
                self._fail(
                    run,
                    old,
                    "UPDATE_FAILED",
                    "CloudFormation cannot update a stack when a custom-named resource requires "
                    f"replacing. Rename {properties[name_property]} and update the stack again.",
                )
                return
            await self._create_resource(run, logical_id, replacing=old)
            return
        self.service.record(stack, current, "UPDATE_IN_PROGRESS", "", properties)
        request = Request(
            logical_id,
            stack.name,
            properties,
            physical_id=old.physical_id,
            attributes=dict(old.attributes),
            previous=old.properties,
            stack_id=stack.stack_id,
            tags=stack.tags,
        )
        try:
            outcome = await provider.update(request)
        except ServiceError as error:
            self._fail(
                run, current, "UPDATE_FAILED", handler_message(error, self.engine.ids.uuid())
            )
            return
        self._store(current, outcome)
        current.properties = properties
        run.done.append(("updated", logical_id, old))
        self.service.record(stack, current, "UPDATE_COMPLETE")

    async def _cleanup(self, run: Run) -> None:
        stack = run.stack
        for old in reversed(run.replaced):
            policy = old.definition.get("UpdateReplacePolicy", "Delete")
            await self._delete_one(stack, old, retain=policy == "Retain", record_resource=old)
        removed = [lid for lid in run.old if lid not in run.resources]
        order = [lid for lid in reversed(check_acyclic(_graph_of(run.old))) if lid in removed]
        await self._delete_resources(stack, order)

    async def _roll_back_update(self, run: Run) -> None:
        stack = run.stack
        for action, logical_id, before in reversed(run.done):
            current = stack.resources.get(logical_id)
            if action == "created" and current is not None:
                await self._delete_one(stack, current)
                stack.resources.pop(logical_id, None)
            elif action == "replaced" and current is not None and before is not None:
                await self._delete_one(stack, current)
                stack.resources[logical_id] = before
                self.service.record(stack, before, "UPDATE_COMPLETE")
            elif action == "updated" and current is not None and before is not None:
                self.service.record(stack, current, "UPDATE_IN_PROGRESS")
                request = Request(
                    logical_id,
                    stack.name,
                    before.properties,
                    physical_id=current.physical_id,
                    attributes=dict(current.attributes),
                    previous=current.properties,
                    stack_id=stack.stack_id,
                )
                try:
                    await self.provider(current.type).update(request)
                except ServiceError:
                    pass
                stack.resources[logical_id] = before
                self.service.record(stack, before, "UPDATE_COMPLETE")
        for logical_id in list(stack.resources):
            if logical_id not in run.old:
                stack.resources.pop(logical_id)
            else:
                stack.resources[logical_id] = (
                    run.old[logical_id]
                    if stack.resources[logical_id].status.endswith("FAILED")
                    else stack.resources[logical_id]
                )

    # -- delete ---------------------------------------------------------------------------------
    async def delete(self, stack: Stack) -> None:
        """DELETE_IN_PROGRESS → every resource in reverse dependency order → DELETE_COMPLETE."""
        self.service.set_status(stack, "DELETE_IN_PROGRESS", "User Initiated")
        order = list(reversed(check_acyclic(_graph_of(stack.resources))))
        failed = await self._delete_resources(stack, order)
        if failed:
            self.service.set_status(
                stack,
                "DELETE_FAILED",
                f"The following resource(s) failed to delete: [{', '.join(failed)}]. ",
            )
            return
        self.service.store.release_exports(stack)
        self.service.set_status(stack, "DELETE_COMPLETE")

    async def _delete_resources(
        self, stack: Stack, order: list[str], *, rollback: bool = False
    ) -> list[str]:
        failed = []
        for logical_id in order:
            resource = stack.resources.get(logical_id)
            if resource is None or resource.status == "DELETE_COMPLETE":
                continue  # a rollback already removed it
            policy = resource.definition.get("DeletionPolicy", "Delete")
            ok = await self._delete_one(stack, resource, retain=policy == "Retain" and not rollback)
            if ok:
                if not rollback:
                    stack.resources.pop(logical_id, None)
            else:
                failed.append(logical_id)
        return failed

    async def _delete_one(
        self,
        stack: Stack,
        resource: StackResource,
        *,
        retain: bool = False,
        record_resource: StackResource | None = None,
    ) -> bool:
        record = self.service.record
        if not resource.physical_id:
            record(stack, resource, "DELETE_COMPLETE")
            return True
        if retain:
            record(stack, resource, "DELETE_SKIPPED")
            return True
        record(stack, resource, "DELETE_IN_PROGRESS")
        request = Request(
            resource.logical_id,
            stack.name,
            resource.properties,
            physical_id=resource.physical_id,
            attributes=dict(resource.attributes),
            stack_id=stack.stack_id,
        )
        try:
            await self.provider(resource.type).delete(request)
        except ServiceError as error:
            record(stack, resource, "DELETE_FAILED", handler_message(error, self.engine.ids.uuid()))
            return False
        record(stack, resource, "DELETE_COMPLETE")
        return True

    # -- outputs --------------------------------------------------------------------------------
    def _outputs(self, run: Run) -> None:
        stack, scope = run.stack, run.scope
        resolver = Resolver(scope)
        outputs = []
        exports: dict[str, str] = {}
        for key, spec in (run.template.get("Outputs") or {}).items():
            condition = spec.get("Condition")
            if condition is not None and not scope.condition(condition):
                continue
            value = resolver.resolve(spec.get("Value"))
            output: dict[str, Any] = {
                "OutputKey": key,
                "OutputValue": ",".join(value) if isinstance(value, list) else _string(value),
            }
            if "Description" in spec:
                output["Description"] = spec["Description"]
            export = spec.get("Export")
            if isinstance(export, dict) and "Name" in export:
                name = _string(resolver.resolve(export["Name"]))
                output["ExportName"] = name
                exports[name] = output["OutputValue"]
            outputs.append(output)
        self.service.store.claim_exports(stack, exports)
        stack.outputs = outputs


def needs_replacement(type_name: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether changing `old` properties to `new` requires a new physical resource."""
    return any(_at(old, path) != _at(new, path) for path in create_only_properties(type_name))


def replacement_kind(type_name: str, name: str) -> str:
    """What a change set's Details say about a property change: Always, Never or Conditionally."""
    paths = [p for p in create_only_properties(type_name) if p[0] == name]
    if not paths:
        return "Never"
    return "Always" if any(len(p) == 1 for p in paths) else "Conditionally"


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _graph_of(resources: dict[str, StackResource]) -> dict[str, set[str]]:
    from .graph import references

    names = set(resources)
    graph = {}
    for logical_id, resource in resources.items():
        needs = references(resource.definition.get("Properties"), names)
        depends_on = resource.definition.get("DependsOn") or []
        needs |= {
            d for d in ([depends_on] if isinstance(depends_on, str) else depends_on) if d in names
        }
        needs.discard(logical_id)
        graph[logical_id] = needs
    return graph


def _copy(resource: StackResource) -> StackResource:
    return StackResource(
        resource.logical_id,
        resource.type,
        resource.physical_id,
        resource.status,
        resource.status_reason,
        resource.updated,
        dict(resource.properties),
        dict(resource.attributes),
        resource.definition,
    )


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
