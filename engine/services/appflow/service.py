"""Amazon AppFlow: connector profiles, flows from the lab's sandbox SaaS apps to S3, EventBridge
or Salesforce, with on-demand, scheduled (full or incremental) and event triggers.

Runs happen on the engine clock: a scheduled flow keeps one timer; an event flow listens to its
Salesforce sandbox's change data capture; each run pulls, applies the compiled tasks and writes,
tracing `execution-started`, `pulled`, `written` per batch and `execution-succeeded`/`-failed`.
Internal API: `appflow.saas` (the SaasLab with every sandbox app) and `appflow.history(flow_arn)`
(a flow's latest runs, for the app's panel).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...errors import ServiceError
from ...service import Service
from ...topology import Edge, Node
from ..events.schedule import Cron, Rate, ScheduleSyntaxError, parse_schedule
from . import connectors
from .custom import CustomConnectors
from .destinations import destination_for
from .models import Execution, Flow, Profile
from .runs import BATCH, FlowRunner
from .saas import SaasLab
from .saas.base import ObjectSpec, SaasApp
from .tasks import compile_tasks

_RATE = re.compile(r"^rate\(\s*(\d+)\s*(minutes?|hours?|days?)\s*\)$")
_NOT_SAAS = ("S3", "EventBridge")


def _stamp(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, status_code=404)


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class AppFlowService(Service):
    """AppFlow over the lab's sandbox SaaS applications."""

    name = "appflow"
    validation_error_code = "ValidationException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.saas = SaasLab(engine, self.clock)
        self.profiles: dict[str, Profile] = {}
        self.flows: dict[str, Flow] = {}
        self._operators: dict[str, list[str]] = {}
        self.custom = CustomConnectors(self)
        self.runner = FlowRunner(self)

    async def close(self) -> None:
        for flow in self.flows.values():
            self.runner.deactivate(flow)
        await self.saas.close()

    def holdings(self) -> dict[str, int]:
        return {
            "flows": len(self.flows),
            "executions": sum(len(f.executions) for f in self.flows.values()),
            "saas records": self.saas.records(),
        }

    # -- connectors ----------------------------------------------------------------------------
    def _types(self) -> list[str]:
        return [app.connector_type for app in self.saas.apps.values()] + list(_NOT_SAAS)

    def operators(self, connector_type: str) -> list[str]:
        """The operators AppFlow allows on a connector (from botocore's ConnectorOperator)."""
        if connector_type not in self._operators:
            from ...model import service_model

            shape = service_model("appflow").shape_for("ConnectorOperator")
            key = self._properties_key(connector_type)
            member = shape.members.get(key)
            enum = list(getattr(member, "enum", []) or []) if member is not None else []
            self._operators[connector_type] = connectors.connector_operators(enum)
        return self._operators[connector_type]

    def _properties_key(self, connector_type: str) -> str:
        app = self.saas.by_connector(connector_type)
        return app.properties_key if app is not None else connector_type

    def list_connectors(self, params: dict) -> dict:
        details = [connectors.detail(self.saas.by_connector(t), t) for t in self._types()]
        details += [self.custom.detail(r) for r in self.custom.registered.values()]
        return self._paged("connectors", details, params, 100)

    def describe_connectors(self, params: dict) -> dict:
        wanted = params.get("connectorTypes") or self._types()
        configs = {}
        for kind in wanted:
            if kind in self._types():
                configs[kind] = connectors.configuration(
                    self.saas.by_connector(kind), kind, self.operators(kind)
                )
        result = self._paged("connectorConfigurations", list(configs.items()), params, 100)
        result["connectorConfigurations"] = dict(result["connectorConfigurations"])
        result["connectors"] = [connectors.detail(self.saas.by_connector(k), k) for k in configs]
        if "CustomConnector" in wanted:
            result["connectors"] += [self.custom.detail(r) for r in self.custom.registered.values()]
        return result

    def describe_connector(self, params: dict) -> dict:
        kind = params["connectorType"]
        if kind == "CustomConnector":
            registration = self.custom.get(params.get("connectorLabel"))
            return {"connectorConfiguration": self.custom.configuration(registration)}
        if kind not in self._types():
            raise _not_found(f"Connector {params.get('connectorLabel') or kind} does not exist")
        config = connectors.configuration(self.saas.by_connector(kind), kind, self.operators(kind))
        return {"connectorConfiguration": config}

    def _app_for(self, connector_type: str | None, profile_name: str | None) -> SaasApp:
        if profile_name:
            profile = self._profile(profile_name)
            connector_type = profile.connector_type
        app = self.saas.by_connector(connector_type or "Salesforce")
        if app is None:
            raise _invalid(f"Connector type {connector_type} has no entities in the lab")
        return app

    async def register_connector(self, params: dict) -> dict:
        return await self.custom.register(params)

    async def update_connector_registration(self, params: dict) -> dict:
        return await self.custom.update(params)

    def unregister_connector(self, params: dict) -> dict:
        return self.custom.unregister(params)

    def _custom_profile(self, params: dict) -> Profile | None:
        name = params.get("connectorProfileName")
        if name and self._profile(name).connector_type == "CustomConnector":
            return self._profile(name)
        if params.get("connectorType") == "CustomConnector":
            raise _invalid("connectorProfileName is required for a custom connector")
        return None

    async def list_connector_entities(self, params: dict) -> dict:
        profile = self._custom_profile(params)
        if profile is not None:
            entities = await self.custom.list_entities(profile)
            return {"connectorEntityMap": {"Objects": entities}}
        app = self._app_for(params.get("connectorType"), params.get("connectorProfileName"))
        entities = [
            {"name": t.spec.name, "label": t.spec.label, "hasNestedEntities": False}
            for t in app.iter_tables()
        ]
        result: dict[str, Any] = {"connectorEntityMap": {"Objects": entities}}
        if app.key == "salesforce":
            result["connectorEntityMap"]["Events"] = [
                {
                    "name": f"{e['name']}ChangeEvent",
                    "label": f"{e['label']} Change Event",
                    "hasNestedEntities": False,
                }
                for e in entities
            ]
        return result

    async def describe_connector_entity(self, params: dict) -> dict:
        profile = self._custom_profile(params)
        if profile is not None:
            fields = await self.custom.describe_entity(profile, params["connectorEntityName"])
            return {"connectorEntityFields": fields}
        app = self._app_for(params.get("connectorType"), params.get("connectorProfileName"))
        name = params["connectorEntityName"]
        base = name.removesuffix("ChangeEvent") if app.key == "salesforce" else name
        table = app.tables.get(base)
        if table is None:
            raise _not_found(f"Entity {name} does not exist for connector {app.connector_type}")
        fields = connectors.describe_entity(app, table.spec, self.operators(app.connector_type))
        return {"connectorEntityFields": fields}

    def reset_connector_metadata_cache(self, params: dict) -> dict:
        return {}

    # -- connector profiles --------------------------------------------------------------------
    def _profile(self, name: str) -> Profile:
        profile = self.profiles.get(name)
        if profile is None:
            raise _not_found(f"Connector profile {name} does not exist")
        return profile

    def _profile_parts(self, params: dict, kind: str) -> tuple[dict, dict | None]:
        config = params["connectorProfileConfig"]
        key = self._properties_key(kind)
        properties = dict((config.get("connectorProfileProperties") or {}).get(key) or {})
        credentials = (config.get("connectorProfileCredentials") or {}).get(key)
        app = self.saas.by_connector(kind)
        if app is None and kind != "CustomConnector":
            raise _invalid(
                f"Connector type {kind} cannot have a connector profile in the lab "
                f"(sandbox apps: {', '.join(a.connector_type for a in self.saas.apps.values())})"
            )
        if credentials is None:
            raise _invalid(f"connectorProfileCredentials.{key} is required for {kind}")
        return properties, credentials

    async def create_connector_profile(self, params: dict) -> dict:
        name = params["connectorProfileName"]
        kind = params["connectorType"]
        if name in self.profiles:
            raise ServiceError(
                "ConflictException", f"Connector profile {name} already exists", status_code=409
            )
        properties, credentials = self._profile_parts(params, kind)
        registration = None
        if kind == "CustomConnector":
            registration = self.custom.get(params.get("connectorLabel"))
        else:
            app = self.saas.by_connector(kind)
            assert app is not None
            properties.setdefault("instanceUrl", self.saas.base_url(app.key))
        now = self.clock.now()
        secrets = self.engine.service("secretsmanager")
        secret_arn = secrets.create_internal(
            f"appflow!{self.account_id}-{name}-{int(now * 1000)}",
            json.dumps(credentials),
            owning_service="appflow",
        )
        profile = Profile(
            name,
            self.arn(f"connectorprofile/{name}"),
            kind,
            params["connectionMode"],
            properties,
            secret_arn,
            now,
            now,
            params.get("connectorLabel"),
            (credentials or {}).get("authenticationType"),
        )
        if registration is not None:
            try:
                await self.custom.validate_credentials(registration, profile)
            except ServiceError:
                secrets.delete_internal(secret_arn)  # a refused profile leaves nothing behind
                raise
            registration.profiles.add(name)
        self.profiles[name] = profile
        self.emit("created", profile.arn, connector=kind)
        return {"connectorProfileArn": profile.arn}

    def update_connector_profile(self, params: dict) -> dict:
        profile = self._profile(params["connectorProfileName"])
        properties, credentials = self._profile_parts(params, profile.connector_type)
        self._rotate_secret(profile, credentials)
        app = self.saas.by_connector(profile.connector_type)
        if app is not None:
            properties.setdefault("instanceUrl", self.saas.base_url(app.key))
        profile.properties = properties
        profile.mode = params["connectionMode"]
        profile.updated = self.clock.now()
        return {"connectorProfileArn": profile.arn}

    def _rotate_secret(self, profile: Profile, credentials: dict) -> None:
        secrets = self.engine.service("secretsmanager")
        secret = secrets.find(profile.credentials_arn) if profile.credentials_arn else None
        if secret is not None:
            secrets.create_internal(secret.name, json.dumps(credentials), owning_service="appflow")

    def delete_connector_profile(self, params: dict) -> dict:
        profile = self._profile(params["connectorProfileName"])
        users = [f.name for f in self.flows.values() if profile.name in self._profiles_of(f)]
        if users and not params.get("forceDelete"):
            raise ServiceError(
                "ConflictException",
                f"Connector profile {profile.name} is in use by flow(s) {', '.join(users)}",
                status_code=409,
            )
        del self.profiles[profile.name]
        if profile.label in self.custom.registered:
            self.custom.registered[profile.label].profiles.discard(profile.name)
        if profile.credentials_arn:
            self.engine.service("secretsmanager").delete_internal(profile.credentials_arn)
        self.emit("deleted", profile.arn)
        return {}

    def describe_connector_profiles(self, params: dict) -> dict:
        names = params.get("connectorProfileNames")
        chosen = []
        for profile in self.profiles.values():
            if names and profile.name not in names:
                continue
            if params.get("connectorType") not in (None, profile.connector_type):
                continue
            if params.get("connectorLabel") not in (None, profile.label):
                continue
            key = self._properties_key(profile.connector_type)
            item: dict[str, Any] = {
                "connectorProfileArn": profile.arn,
                "connectorProfileName": profile.name,
                "connectorType": profile.connector_type,
                "connectionMode": profile.mode,
                "credentialsArn": profile.credentials_arn,
                "connectorProfileProperties": {key: dict(profile.properties)},
                "createdAt": _stamp(profile.created),
                "lastUpdatedAt": _stamp(profile.updated),
            }
            if profile.label:
                item["connectorLabel"] = profile.label
            chosen.append(item)
        return self._paged("connectorProfileDetails", chosen, params, 100)

    # -- flows ----------------------------------------------------------------------------------
    def _flow(self, name: str) -> Flow:
        flow = self.flows.get(name)
        if flow is None:
            raise _not_found(f"Flow {name} does not exist")
        return flow

    @staticmethod
    def _profiles_of(flow: Flow) -> set[str]:
        names = {flow.spec["sourceFlowConfig"].get("connectorProfileName")}
        names |= {d.get("connectorProfileName") for d in flow.spec["destinationFlowConfigList"]}
        return {n for n in names if n}

    def _source(
        self, source: dict, trigger_type: str
    ) -> tuple[SaasApp | None, Profile, str, ObjectSpec | None]:
        """The source's app (None: a custom connector), profile, object and object spec."""
        kind = source["connectorType"]
        app = self.saas.by_connector(kind)
        if app is None and kind != "CustomConnector":
            raise _invalid(
                f"Source connector {kind} is not available in the lab; the sources are the "
                f"sandbox apps ({', '.join(a.connector_type for a in self.saas.apps.values())}) "
                "and custom connectors"
            )
        profile_name = source.get("connectorProfileName")
        if not profile_name:
            raise _invalid(f"connectorProfileName is required for the {kind} source")
        profile = self._profile(profile_name)
        if profile.connector_type != kind:
            raise _invalid(
                f"Connector profile {profile_name} is for {profile.connector_type}, not {kind}"
            )
        key = app.properties_key if app is not None else kind
        props = (source.get("sourceConnectorProperties") or {}).get(key) or {}
        obj = props.get("object") if app is not None else props.get("entityName")
        if not obj:
            field = "object" if app is not None else "entityName"
            raise _invalid(f"sourceConnectorProperties.{key}.{field} is required")
        if trigger_type == "Event" and (
            app is None or app.key != "salesforce" or not obj.endswith("ChangeEvent")
        ):
            raise _invalid(
                "Event-triggered flows need a Salesforce change event source object "
                "(such as OpportunityChangeEvent)"
            )
        if app is None:
            return None, profile, obj, None
        table = app.tables.get(obj.removesuffix("ChangeEvent") if trigger_type == "Event" else obj)
        if table is None:
            raise _invalid(f"Object {obj} does not exist in {app.label}")
        return app, profile, obj, table.spec

    def _build(self, params: dict, created: float, *, check: bool = True) -> Flow:
        """Validate a CreateFlow/UpdateFlow request and build the flow (nothing changes here).

        `check=False` (a lab opening) skips what depends on other services being restored.
        """
        name = params["flowName"]
        source = params["sourceFlowConfig"]
        trigger = params["triggerConfig"]
        trigger_type = trigger["triggerType"]
        app, profile, obj, spec = self._source(source, trigger_type)
        field_names = None
        if spec is not None:
            field_names = {f.name for f in spec.fields}
            if trigger_type == "Event":
                field_names.add("ChangeEventHeader")
        destinations = params["destinationFlowConfigList"]
        if len(destinations) != 1:
            raise _invalid("A flow must have exactly one destination")
        destination = destination_for(self, destinations[0])
        dest_kind = destinations[0]["connectorType"]
        if dest_kind in ("Salesforce", "CustomConnector"):
            dest_profile = destinations[0].get("connectorProfileName")
            if not dest_profile:
                raise _invalid(f"connectorProfileName is required for the {dest_kind} destination")
            if self._profile(dest_profile).connector_type != dest_kind:
                raise _invalid(f"Connector profile {dest_profile} is not a {dest_kind} profile")
        if check:
            destination.check()
        if not params["tasks"]:
            raise _invalid("A flow needs at least one task (a Map or Map_all)")
        key = app.properties_key if app is not None else "CustomConnector"
        pipeline = compile_tasks(params["tasks"], key, field_names)
        timestamp_field = None
        incremental = False
        if trigger_type == "Scheduled":
            scheduled = (trigger.get("triggerProperties") or {}).get("Scheduled")
            if not scheduled:
                raise _invalid("triggerProperties.Scheduled is required for a Scheduled flow")
            self._expression(scheduled)
            incremental = scheduled.get("dataPullMode", "Complete") == "Incremental"
            if incremental:
                timestamp_field = (source.get("incrementalPullConfig") or {}).get(
                    "datetimeTypeFieldName"
                ) or (spec.modified_field if spec is not None else None)
                if not timestamp_field:
                    raise _invalid(
                        "incrementalPullConfig.datetimeTypeFieldName is required for an "
                        "incremental pull from a custom connector"
                    )
                field = spec.field(timestamp_field) if spec is not None else None
                if spec is not None and (
                    field is None or field.type not in ("datetime", "date") and not field.timestamp
                ):
                    raise _invalid(
                        f"datetimeTypeFieldName {timestamp_field} is not a timestamp field of {obj}"
                    )
        flow = Flow(
            name,
            self.arn(f"flow/{name}"),
            _copy({k: v for k, v in params.items() if k != "clientToken"}),
            trigger_type,
            app.key if app is not None else None,
            obj,
            pipeline,
            destination,
            created,
            self.clock.now(),
            status="Active" if trigger_type == "OnDemand" else "Draft",
            timestamp_field=timestamp_field,
            incremental=incremental,
        )
        flow.source_profile = profile.name
        flow.tags = dict(params.get("tags") or {})
        return flow

    def _expression(self, scheduled: dict) -> tuple[Rate | Cron, ZoneInfo]:
        text = scheduled["scheduleExpression"].strip()
        match = _RATE.match(text)
        if match:
            # AppFlow writes rate(1hours) and rate(5minutes): EventBridge's parser wants spaces
            # and a singular unit for one.
            unit = match[2].rstrip("s") + ("" if int(match[1]) == 1 else "s")
            text = f"rate({match[1]} {unit})"
        try:
            expression = parse_schedule(text, allow_at=False)
        except ScheduleSyntaxError:
            raise _invalid(
                f"Invalid schedule expression {scheduled['scheduleExpression']}"
            ) from None
        if isinstance(expression, Rate) and expression.seconds < 60:
            raise _invalid("The schedule frequency must be at least one minute")
        try:
            zone = ZoneInfo(scheduled.get("timezone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise _invalid(f"Invalid timezone {scheduled.get('timezone')}") from None
        return expression, zone  # type: ignore[return-value]

    def create_flow(self, params: dict) -> dict:
        if params["flowName"] in self.flows:
            raise ServiceError(
                "ConflictException", f"Flow {params['flowName']} already exists", status_code=409
            )
        flow = self._build(params, self.clock.now())
        self.flows[flow.name] = flow
        self.emit("created", flow.arn, trigger=flow.trigger_type, source=flow.source_object)
        return {"flowArn": flow.arn, "flowStatus": flow.status}

    def update_flow(self, params: dict) -> dict:
        old = self._flow(params["flowName"])
        merged = dict(old.spec)
        merged.update({k: v for k, v in params.items() if k != "clientToken"})
        flow = self._build(merged, old.created)
        flow.tags, flow.executions, flow.runs, flow.records = (
            old.tags,
            old.executions,
            old.runs,
            old.records,
        )
        flow.bookmark = old.bookmark
        was_active = old.status == "Active" and old.trigger_type != "OnDemand"
        self.runner.deactivate(old)
        self.flows[flow.name] = flow
        if was_active and flow.trigger_type != "OnDemand":
            self.runner.activate(flow)
        elif flow.trigger_type == "OnDemand":
            flow.status = "Active"
        return {"flowStatus": flow.status}

    def describe_flow(self, params: dict) -> dict:
        flow = self._flow(params["flowName"])
        spec = flow.spec
        result: dict[str, Any] = {
            "flowArn": flow.arn,
            "flowName": flow.name,
            "flowStatus": flow.status,
            "sourceFlowConfig": _copy(spec["sourceFlowConfig"]),
            "destinationFlowConfigList": _copy(spec["destinationFlowConfigList"]),
            "triggerConfig": _copy(spec["triggerConfig"]),
            "tasks": _copy(spec["tasks"]),
            "createdAt": _stamp(flow.created),
            "lastUpdatedAt": _stamp(flow.updated),
            "createdBy": f"arn:aws:iam::{self.account_id}:root",
            "lastUpdatedBy": f"arn:aws:iam::{self.account_id}:root",
            "tags": dict(flow.tags),
            "schemaVersion": 1,
        }
        for key in ("description", "kmsArn", "metadataCatalogConfig"):
            if key in spec:
                result[key] = _copy(spec[key])
        if flow.status_message:
            result["flowStatusMessage"] = flow.status_message
        if flow.executions:
            result["lastRunExecutionDetails"] = self._last_run(flow)
        return result

    def _last_run(self, flow: Flow) -> dict[str, Any]:
        last = flow.executions[-1]
        details: dict[str, Any] = {
            "mostRecentExecutionTime": _stamp(last.started),
            "mostRecentExecutionStatus": last.status,
        }
        if last.message:
            details["mostRecentExecutionMessage"] = last.message
        return details

    def list_flows(self, params: dict) -> dict:
        items = []
        for flow in self.flows.values():
            item: dict[str, Any] = {
                "flowArn": flow.arn,
                "flowName": flow.name,
                "flowStatus": flow.status,
                "sourceConnectorType": flow.spec["sourceFlowConfig"]["connectorType"],
                "destinationConnectorType": flow.spec["destinationFlowConfigList"][0][
                    "connectorType"
                ],
                "triggerType": flow.trigger_type,
                "createdAt": _stamp(flow.created),
                "lastUpdatedAt": _stamp(flow.updated),
                "tags": dict(flow.tags),
            }
            if "description" in flow.spec:
                item["description"] = flow.spec["description"]
            if flow.executions:
                item["lastRunExecutionDetails"] = self._last_run(flow)
            items.append(item)
        return self._paged("flows", items, params, 100)

    def delete_flow(self, params: dict) -> dict:
        flow = self._flow(params["flowName"])
        if any(e.status == "InProgress" for e in flow.executions) and not params.get("forceDelete"):
            raise ServiceError(
                "ConflictException", f"Flow {flow.name} has a run in progress", status_code=409
            )
        self.runner.deactivate(flow)
        del self.flows[flow.name]
        flow.executions.clear()
        self.emit("deleted", flow.arn)
        return {}

    def start_flow(self, params: dict) -> dict:
        flow = self._flow(params["flowName"])
        if flow.trigger_type == "OnDemand":
            if any(e.status == "InProgress" for e in flow.executions):
                raise ServiceError(
                    "ConflictException",
                    f"Flow {flow.name} is already running; wait for the run to finish",
                    status_code=409,
                )
            execution = self.runner.begin(flow, None, self.clock.now())
            self.engine.spawn(self.runner.run(flow, execution, None), name=f"appflow:{flow.name}")
            return {"flowArn": flow.arn, "flowStatus": flow.status, "executionId": execution.id}
        if flow.status == "Active":
            raise ServiceError(
                "ConflictException", f"Flow {flow.name} is already active", status_code=409
            )
        self.runner.activate(flow)
        return {"flowArn": flow.arn, "flowStatus": flow.status}

    def stop_flow(self, params: dict) -> dict:
        flow = self._flow(params["flowName"])
        if flow.trigger_type == "OnDemand":
            raise ServiceError(
                "UnsupportedOperationException",
                "Stop flow is not supported for OnDemand flows",
            )
        if flow.status != "Active":
            raise ServiceError(
                "ConflictException", f"Flow {flow.name} is not active", status_code=409
            )
        self.runner.deactivate(flow)
        flow.status = "Suspended"
        return {"flowArn": flow.arn, "flowStatus": flow.status}

    def cancel_flow_executions(self, params: dict) -> dict:
        flow = self._flow(params["flowName"])
        wanted = params.get("executionIds")
        invalid = [
            e.id
            for e in flow.executions
            if (wanted is None or e.id in wanted) and e.status != "InProgress"
        ]
        return {"invalidExecutions": invalid if wanted else []}

    def describe_flow_execution_records(self, params: dict) -> dict:
        flow = self._flow(params["flowName"])
        records = [self._execution_view(e) for e in reversed(flow.executions)]
        return self._paged("flowExecutions", records, params, 100)

    def _execution_view(self, execution: Execution) -> dict[str, Any]:
        result: dict[str, Any] = {
            "recordsProcessed": execution.processed,
            "bytesProcessed": execution.bytes_processed,
            "bytesWritten": execution.bytes_written,
            "numParallelProcesses": 1,
            "maxPageSize": BATCH,
        }
        if execution.failed or execution.message:
            result["errorInfo"] = {
                "putFailuresCount": execution.failed,
                "executionMessage": execution.message,
            }
        view: dict[str, Any] = {
            "executionId": execution.id,
            "executionStatus": execution.status,
            "executionResult": result,
            "startedAt": _stamp(execution.started),
            "lastUpdatedAt": _stamp(execution.updated or execution.started),
        }
        if execution.pull_end is not None:
            view["dataPullStartTime"] = _stamp(execution.pull_start or 0.0)
            view["dataPullEndTime"] = _stamp(execution.pull_end)
        return view

    # -- tags ---------------------------------------------------------------------------------------
    def _tagged(self, arn: str) -> dict[str, str]:
        for flow in self.flows.values():
            if flow.arn == arn:
                return flow.tags
        raise _not_found(f"Resource {arn} does not exist")

    def tag_resource(self, params: dict) -> dict:
        self._tagged(params["resourceArn"]).update(params["tags"])
        return {}

    def untag_resource(self, params: dict) -> dict:
        tags = self._tagged(params["resourceArn"])
        for key in params["tagKeys"]:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        return {"tags": dict(self._tagged(params["resourceArn"]))}

    def _paged(self, key: str, items: list, params: dict, default: int) -> dict:
        token = params.get("nextToken") or ""
        start = int(token) if token.isdigit() else 0
        limit = params.get("maxResults") or default
        result: dict[str, Any] = {key: items[start : start + limit]}
        if start + limit < len(items):
            result["nextToken"] = str(start + limit)
        return result

    # -- internal API (the app's execution history panel) --------------------------------------
    def history(self, flow_arn: str, limit: int = 10) -> dict[str, Any] | None:
        """A flow's trigger, status and latest runs (newest first), or None if it is gone."""
        flow = next((f for f in self.flows.values() if f.arn == flow_arn), None)
        if flow is None:
            return None
        runs = [
            {
                "id": e.id,
                "started": e.started,
                "status": e.status,
                "records": e.processed,
                "filtered": e.filtered,
                "failed": e.failed,
                "pull_start": e.pull_start,
                "pull_end": e.pull_end,
                "message": e.message,
            }
            for e in list(reversed(flow.executions))[:limit]
        ]
        return {
            "trigger": flow.trigger_type,
            "status": flow.status,
            "source": flow.source_object,
            "destination": flow.destination.arn,
            "incremental": flow.incremental,
            "runs": runs,
        }

    # -- save / open ------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        apps = [app.dump() for app in self.saas.apps.values() if app.seeded]
        if not (apps or self.profiles or self.flows or self.custom.registered):
            return None
        return {
            "apps": apps,
            "connectors": [
                {
                    "label": r.label,
                    "lambda_arn": r.lambda_arn,
                    "description": r.description,
                    "config": r.config,
                    "registered": r.registered,
                }
                for r in self.custom.registered.values()
            ],
            "profiles": [
                {
                    "name": p.name,
                    "connector_type": p.connector_type,
                    "mode": p.mode,
                    "properties": p.properties,
                    "credentials_arn": p.credentials_arn,
                    "created": p.created,
                    "updated": p.updated,
                    "label": p.label,
                    "auth_type": p.auth_type,
                }
                for p in self.profiles.values()
            ],
            "flows": [
                {
                    "spec": f.spec,
                    "status": f.status,
                    "status_message": f.status_message,
                    "tags": f.tags,
                    "created": f.created,
                    "bookmark": list(f.bookmark) if f.bookmark is not None else None,
                    "runs": f.runs,
                    "records": f.records,
                }
                for f in self.flows.values()
            ],
        }

    def load(self, data: dict[str, Any]) -> None:
        from .custom import Registration

        for app_data in data.get("apps", []):
            self.saas.app(app_data["key"]).load(app_data)
        for c in data.get("connectors", []):
            self.custom.registered[c["label"]] = Registration(
                c["label"],
                self.arn(f"connector/{c['label']}"),
                c["lambda_arn"],
                c.get("description", ""),
                dict(c.get("config") or {}),
                c.get("registered", self.clock.now()),
            )
        for p in data.get("profiles", []):
            profile = Profile(
                p["name"],
                self.arn(f"connectorprofile/{p['name']}"),
                p["connector_type"],
                p.get("mode", "Public"),
                dict(p.get("properties") or {}),
                p.get("credentials_arn"),
                p.get("created", self.clock.now()),
                p.get("updated", self.clock.now()),
                p.get("label"),
                p.get("auth_type"),
            )
            self.profiles[profile.name] = profile
            if profile.label in self.custom.registered:
                self.custom.registered[profile.label].profiles.add(profile.name)
        for f in data.get("flows", []):
            flow = self._build(f["spec"], f.get("created", self.clock.now()), check=False)
            flow.tags = dict(f.get("tags") or {})
            flow.runs, flow.records = f.get("runs", 0), f.get("records", 0)
            if f.get("bookmark"):
                flow.bookmark = (float(f["bookmark"][0]), int(f["bookmark"][1]))
            self.flows[flow.name] = flow
            if f.get("status") == "Active" and flow.trigger_type != "OnDemand":
                self.runner.activate(flow, check=False)
            else:
                flow.status = f.get("status", flow.status)
                flow.status_message = f.get("status_message", "")

    # -- views ------------------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes: list[Node] = []
        edges: list[Edge] = []
        apps = set()
        for flow in self.flows.values():
            nodes.append(
                Node(
                    flow.arn,
                    "flow",
                    flow.name,
                    self.name,
                    {"runs": flow.runs, "records": flow.records, "errors": flow.failed_records},
                )
            )
            if flow.app_key:
                apps.add(flow.app_key)
                edges.append(Edge(_app_node(flow.app_key), flow.arn, "source", flow.source_object))
            else:
                profile = self.profiles.get(flow.source_profile or "")
                registration = self.custom.registered.get(profile.label or "") if profile else None
                if registration is not None:
                    edges.append(
                        Edge(registration.lambda_arn, flow.arn, "source", flow.source_object)
                    )
            edges.append(Edge(flow.arn, flow.destination.arn, "destination", flow.trigger_type))
        for key in sorted(apps):
            app = self.saas.apps[key]
            nodes.append(
                Node(
                    _app_node(key),
                    "saas-app",
                    app.label,
                    self.name,
                    {"records": app.record_count(), "requests": app.requests},
                )
            )
        return nodes, edges


def _app_node(key: str) -> str:
    return f"saas:{key}"
