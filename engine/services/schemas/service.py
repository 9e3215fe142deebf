"""Amazon EventBridge Schema Registry: registries, schemas with versions, and discoverers.

A discoverer watches an EventBridge bus (through `events.observe`) and keeps one schema per
source and detail-type in the "discovered-schemas" registry, inferred with genson; a new
version is written whenever an event widens the schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ...arn import parse_arn
from ...errors import ServiceError
from ...service import Service
from .infer import DetailSchema, draft4, openapi, openapi_to_draft4, schema_name

DISCOVERED = "discovered-schemas"
AWS_REGISTRY = "aws.events"
TYPES = ("OpenApi3", "JSONSchemaDraft4")


@dataclass(slots=True)
class SchemaVersion:
    """One immutable version of a schema's content."""

    number: int
    content: str
    created: float
    type: str


@dataclass(slots=True)
class Schema:
    """A named schema in a registry, with its versions (oldest first)."""

    name: str
    arn: str
    type: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    versions: list[SchemaVersion] = field(default_factory=list)
    next_version: int = 1
    modified: float = 0.0


@dataclass(slots=True)
class Registry:
    """A registry of schemas."""

    name: str
    arn: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    schemas: dict[str, Schema] = field(default_factory=dict)


@dataclass(slots=True)
class Discoverer:
    """Infers schemas from the events on one bus while STARTED."""

    id: str
    arn: str
    source_arn: str
    description: str | None = None
    state: str = "STARTED"
    cross_account: bool = True
    tags: dict[str, str] = field(default_factory=dict)
    cancel: Any = None
    inferred: dict[tuple[str, str], DetailSchema] = field(default_factory=dict)


def _bad(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


def _missing(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message, status_code=404)


def _conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, status_code=409)


def _stamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class SchemasService(Service):
    """The schema registry, with discoverers fed by EventBridge buses."""

    name = "schemas"
    validation_error_code = "BadRequestException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.registries: dict[str, Registry] = {}
        self.discoverers: dict[str, Discoverer] = {}
        # Registry name ("" for the account) -> (policy JSON, revision id).
        self.policies: dict[str, tuple[Any, str]] = {}
        self._new_registry(AWS_REGISTRY, "Schemas of the events AWS services send.")

    def _new_registry(self, name: str, description: str | None = None) -> Registry:
        registry = Registry(name, self.arn(f"registry/{name}"), description)
        self.registries[name] = registry
        return registry

    def _registry(self, name: str) -> Registry:
        registry = self.registries.get(name)
        if registry is None:
            raise _missing(f"Registry with name {name} does not exist.")
        return registry

    def _schema(self, registry_name: str, name: str) -> tuple[Registry, Schema]:
        registry = self._registry(registry_name)
        schema = registry.schemas.get(name)
        if schema is None:
            raise _missing(f"Schema with name {name} does not exist.")
        return registry, schema

    @staticmethod
    def _version(schema: Schema, number: str | None) -> SchemaVersion:
        if number is None:
            return schema.versions[-1]
        for version in schema.versions:
            if str(version.number) == number:
                return version
        raise _missing(f"Schema version {number} of {schema.name} does not exist.")

    # -- registries -------------------------------------------------------------------
    def create_registry(self, params: dict) -> dict:
        name = params["RegistryName"]
        if name in self.registries:
            raise _conflict(f"Registry with name {name} already exists.")
        registry = self._new_registry(name, params.get("Description"))
        registry.tags = dict(params.get("Tags", {}))
        return self._registry_view(registry)

    @staticmethod
    def _registry_view(registry: Registry) -> dict[str, Any]:
        view: dict[str, Any] = {
            "RegistryArn": registry.arn,
            "RegistryName": registry.name,
            "Tags": dict(registry.tags),
        }
        if registry.description is not None:
            view["Description"] = registry.description
        return view

    def describe_registry(self, params: dict) -> dict:
        return self._registry_view(self._registry(params["RegistryName"]))

    def update_registry(self, params: dict) -> dict:
        registry = self._registry(params["RegistryName"])
        if registry.name == AWS_REGISTRY:
            raise ServiceError(
                "ForbiddenException", "The aws.events registry cannot be changed.", status_code=403
            )
        if "Description" in params:
            registry.description = params["Description"]
        return self._registry_view(registry)

    def delete_registry(self, params: dict) -> dict:
        registry = self._registry(params["RegistryName"])
        if registry.name == AWS_REGISTRY:
            raise ServiceError(
                "ForbiddenException", "The aws.events registry cannot be deleted.", status_code=403
            )
        del self.registries[registry.name]
        return {}

    def list_registries(self, params: dict) -> dict:
        prefix = params.get("RegistryNamePrefix", "")
        scope = params.get("Scope")
        chosen = [
            {"RegistryArn": r.arn, "RegistryName": r.name, "Tags": dict(r.tags)}
            for name, r in sorted(self.registries.items())
            if name.startswith(prefix)
            and (scope is None or (scope == "AWS") == (name == AWS_REGISTRY))
        ]
        return self._paged("Registries", chosen, params)

    def _paged(self, key: str, items: list, params: dict) -> dict:
        start = int(params["NextToken"]) if params.get("NextToken", "").isdigit() else 0
        limit = params.get("Limit") or 100
        result: dict[str, Any] = {key: items[start : start + limit]}
        if start + limit < len(items):
            result["NextToken"] = str(start + limit)
        return result

    # -- schemas ------------------------------------------------------------------------
    @staticmethod
    def _check_content(content: str, schema_type: str) -> None:
        if schema_type not in TYPES:
            raise _bad(
                f"Invalid schema type {schema_type}. Valid types: OpenApi3, JSONSchemaDraft4."
            )
        try:
            document = json.loads(content)
        except ValueError:
            raise _bad("Invalid schema content: not a valid JSON document.") from None
        if not isinstance(document, dict):
            raise _bad("Invalid schema content: the document must be a JSON object.")
        if schema_type == "OpenApi3" and "openapi" not in document:
            raise _bad("Invalid OpenApi3 schema: the document has no 'openapi' field.")

    def _add_version(self, schema: Schema, content: str, schema_type: str) -> SchemaVersion:
        now = self.clock.now()
        version = SchemaVersion(schema.next_version, content, now, schema_type)
        schema.next_version += 1
        schema.versions.append(version)
        schema.type = schema_type
        schema.modified = now
        self.emit("updated", schema.arn, version=version.number)
        return version

    def _schema_view(
        self, schema: Schema, version: SchemaVersion, *, content: bool = False
    ) -> dict[str, Any]:
        view: dict[str, Any] = {
            "LastModified": _stamp(schema.modified),
            "SchemaArn": schema.arn,
            "SchemaName": schema.name,
            "SchemaVersion": str(version.number),
            "Tags": dict(schema.tags),
            "Type": version.type,
            "VersionCreatedDate": _stamp(version.created),
        }
        if schema.description is not None:
            view["Description"] = schema.description
        if content:
            view["Content"] = version.content
        return view

    def create_schema(self, params: dict) -> dict:
        registry = self._registry(params["RegistryName"])
        name = params["SchemaName"]
        self._check_content(params["Content"], params["Type"])
        if name in registry.schemas:
            raise _conflict(f"Schema with name {name} already exists.")
        schema = Schema(
            name,
            self.arn(f"schema/{registry.name}/{name}"),
            params["Type"],
            params.get("Description"),
            dict(params.get("Tags", {})),
        )
        registry.schemas[name] = schema
        version = self._add_version(schema, params["Content"], params["Type"])
        return self._schema_view(schema, version)

    def update_schema(self, params: dict) -> dict:
        _, schema = self._schema(params["RegistryName"], params["SchemaName"])
        schema_type = params.get("Type", schema.type)
        latest = schema.versions[-1]
        if "Content" in params:
            self._check_content(params["Content"], schema_type)
        if "Description" in params:
            schema.description = params["Description"]
        if "Content" in params and params["Content"] != latest.content:
            latest = self._add_version(schema, params["Content"], schema_type)
        return self._schema_view(schema, latest)

    def describe_schema(self, params: dict) -> dict:
        _, schema = self._schema(params["RegistryName"], params["SchemaName"])
        version = self._version(schema, params.get("SchemaVersion"))
        return self._schema_view(schema, version, content=True)

    def delete_schema(self, params: dict) -> dict:
        registry, schema = self._schema(params["RegistryName"], params["SchemaName"])
        del registry.schemas[schema.name]
        return {}

    def delete_schema_version(self, params: dict) -> dict:
        registry, schema = self._schema(params["RegistryName"], params["SchemaName"])
        version = self._version(schema, params["SchemaVersion"])
        schema.versions.remove(version)
        if not schema.versions:
            del registry.schemas[schema.name]
        return {}

    def list_schemas(self, params: dict) -> dict:
        registry = self._registry(params["RegistryName"])
        prefix = params.get("SchemaNamePrefix", "")
        chosen = [
            {
                "LastModified": _stamp(s.modified),
                "SchemaArn": s.arn,
                "SchemaName": s.name,
                "Tags": dict(s.tags),
                "VersionCount": len(s.versions),
            }
            for name, s in sorted(registry.schemas.items())
            if name.startswith(prefix)
        ]
        return self._paged("Schemas", chosen, params)

    def list_schema_versions(self, params: dict) -> dict:
        _, schema = self._schema(params["RegistryName"], params["SchemaName"])
        chosen = [
            {
                "SchemaArn": schema.arn,
                "SchemaName": schema.name,
                "SchemaVersion": str(v.number),
                "Type": v.type,
            }
            for v in schema.versions
        ]
        return self._paged("SchemaVersions", chosen, params)

    def search_schemas(self, params: dict) -> dict:
        registry = self._registry(params["RegistryName"])
        keywords = params["Keywords"].lower()
        chosen = [
            {
                "RegistryName": registry.name,
                "SchemaArn": s.arn,
                "SchemaName": s.name,
                "SchemaVersions": [
                    {
                        "CreatedDate": _stamp(v.created),
                        "SchemaVersion": str(v.number),
                        "Type": v.type,
                    }
                    for v in s.versions
                ],
            }
            for name, s in sorted(registry.schemas.items())
            if keywords in name.lower() or keywords in (s.description or "").lower()
        ]
        return self._paged("Schemas", chosen, params)

    def export_schema(self, params: dict) -> dict:
        _, schema = self._schema(params["RegistryName"], params["SchemaName"])
        version = self._version(schema, params.get("SchemaVersion"))
        if params["Type"] != "JSONSchemaDraft4":
            raise _bad(f"Export type {params['Type']} is not supported. Use JSONSchemaDraft4.")
        document = json.loads(version.content)
        if version.type == "OpenApi3":
            document = openapi_to_draft4(document)
        return {
            "Content": json.dumps(document),
            "SchemaArn": schema.arn,
            "SchemaName": schema.name,
            "SchemaVersion": str(version.number),
            "Type": "JSONSchemaDraft4",
        }

    def get_discovered_schema(self, params: dict) -> dict:
        schema_type = params["Type"]
        if schema_type not in TYPES:
            raise _bad(
                f"Invalid schema type {schema_type}. Valid types: OpenApi3, JSONSchemaDraft4."
            )
        builder = DetailSchema()
        source = detail_type = None
        for text in params["Events"]:
            try:
                event = json.loads(text)
            except ValueError:
                raise _bad("Events must be JSON documents of EventBridge events.") from None
            if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
                raise _bad("Events must be JSON documents of EventBridge events.")
            source, detail_type = event.get("source", ""), event.get("detail-type", "")
            builder.add(event["detail"])
        render = openapi if schema_type == "OpenApi3" else draft4
        return {"Content": json.dumps(render(source or "", detail_type or "", builder.schema()))}

    # -- discoverers --------------------------------------------------------------------
    def create_discoverer(self, params: dict) -> dict:
        source = params["SourceArn"]
        parsed = parse_arn(source)
        events = self.engine.service("events")
        if parsed is None or not events.owns(source):
            raise _bad(f"SourceArn {source} is not an existing event bus.")
        bus_name = parsed.resource.removeprefix("event-bus/")
        ident = f"events-event-bus-{bus_name}"
        if ident in self.discoverers:
            raise _conflict(f"Discoverer for {source} already exists.")
        if DISCOVERED not in self.registries:
            self._new_registry(
                DISCOVERED, "Schemas discovered from the events on your event buses."
            )
        discoverer = Discoverer(
            ident,
            self.arn(f"discoverer/{ident}"),
            source,
            params.get("Description"),
            cross_account=params.get("CrossAccount", True),
            tags=dict(params.get("Tags", {})),
        )
        discoverer.cancel = events.observe(source, lambda event: self._discover(discoverer, event))
        self.discoverers[ident] = discoverer
        self.emit("created", discoverer.arn, source=source)
        return self._discoverer_view(discoverer)

    def _discover(self, discoverer: Discoverer, event: dict) -> None:
        """Widen (and version) the schema of this event's source and detail-type."""
        if discoverer.state != "STARTED" or not isinstance(event.get("detail"), dict):
            return
        key = (event["source"], event["detail-type"])
        inferred = discoverer.inferred.get(key)
        if inferred is None:
            inferred = discoverer.inferred[key] = DetailSchema()
        if not inferred.add(event["detail"]):
            return
        registry = self.registries.get(DISCOVERED) or self._new_registry(DISCOVERED)
        name = schema_name(*key)
        content = json.dumps(openapi(key[0], key[1], inferred.schema()))
        schema = registry.schemas.get(name)
        if schema is None:
            schema = registry.schemas[name] = Schema(
                name, self.arn(f"schema/{DISCOVERED}/{name}"), "OpenApi3"
            )
        self._add_version(schema, content, "OpenApi3")

    @staticmethod
    def _discoverer_view(discoverer: Discoverer) -> dict[str, Any]:
        view: dict[str, Any] = {
            "DiscovererArn": discoverer.arn,
            "DiscovererId": discoverer.id,
            "SourceArn": discoverer.source_arn,
            "State": discoverer.state,
            "CrossAccount": discoverer.cross_account,
            "Tags": dict(discoverer.tags),
        }
        if discoverer.description is not None:
            view["Description"] = discoverer.description
        return view

    def _discoverer(self, ident: str) -> Discoverer:
        discoverer = self.discoverers.get(ident)
        if discoverer is None:
            raise _missing(f"Discoverer {ident} does not exist.")
        return discoverer

    def describe_discoverer(self, params: dict) -> dict:
        return self._discoverer_view(self._discoverer(params["DiscovererId"]))

    def update_discoverer(self, params: dict) -> dict:
        discoverer = self._discoverer(params["DiscovererId"])
        if "Description" in params:
            discoverer.description = params["Description"]
        if "CrossAccount" in params:
            discoverer.cross_account = params["CrossAccount"]
        return self._discoverer_view(discoverer)

    def start_discoverer(self, params: dict) -> dict:
        discoverer = self._discoverer(params["DiscovererId"])
        discoverer.state = "STARTED"
        return {"DiscovererId": discoverer.id, "State": discoverer.state}

    def stop_discoverer(self, params: dict) -> dict:
        discoverer = self._discoverer(params["DiscovererId"])
        discoverer.state = "STOPPED"
        return {"DiscovererId": discoverer.id, "State": discoverer.state}

    def delete_discoverer(self, params: dict) -> dict:
        discoverer = self._discoverer(params["DiscovererId"])
        if discoverer.cancel is not None:
            discoverer.cancel()
        del self.discoverers[discoverer.id]
        return {}

    def list_discoverers(self, params: dict) -> dict:
        prefix = params.get("DiscovererIdPrefix", "")
        source_prefix = params.get("SourceArnPrefix", "")
        chosen = [
            self._discoverer_view(d)
            for ident, d in sorted(self.discoverers.items())
            if ident.startswith(prefix) and d.source_arn.startswith(source_prefix)
        ]
        return self._paged("Discoverers", chosen, params)

    # -- save / open ------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "registries": [
                {
                    "RegistryName": r.name,
                    "Description": r.description,
                    "Tags": dict(r.tags),
                    "Schemas": [
                        {
                            "SchemaName": s.name,
                            "Description": s.description,
                            "Tags": dict(s.tags),
                            "Versions": [[v.type, v.content] for v in s.versions],
                        }
                        for s in r.schemas.values()
                    ],
                }
                for r in self.registries.values()
            ],
            "discoverers": [
                {"SourceArn": d.source_arn, "Description": d.description, "State": d.state}
                for d in self.discoverers.values()
            ],
        }

    def load(self, data: dict[str, Any]) -> None:
        for saved in data.get("registries", []):
            registry = self.registries.get(saved["RegistryName"]) or self._new_registry(
                saved["RegistryName"], saved.get("Description")
            )
            registry.tags = dict(saved.get("Tags", {}))
            for item in saved.get("Schemas", []):
                schema = Schema(
                    item["SchemaName"],
                    self.arn(f"schema/{registry.name}/{item['SchemaName']}"),
                    item["Versions"][-1][0],
                    item.get("Description"),
                    dict(item.get("Tags", {})),
                )
                registry.schemas[schema.name] = schema
                for schema_type, content in item["Versions"]:
                    self._add_version(schema, content, schema_type)
        for saved in data.get("discoverers", []):
            params = {"SourceArn": saved["SourceArn"]}
            if saved.get("Description") is not None:
                params["Description"] = saved["Description"]
            ident = self.create_discoverer(params)["DiscovererId"]
            self.discoverers[ident].state = saved.get("State", "STARTED")

    # -- resource policies ----------------------------------------------------------------
    def put_resource_policy(self, params: dict) -> dict:
        name = params.get("RegistryName", "")
        if name:
            self._registry(name)
        current = self.policies.get(name)
        revision = params.get("RevisionId")
        if revision is not None and (current is None or current[1] != revision):
            raise ServiceError(
                "PreconditionFailedException",
                "The revision id does not match the current policy.",
                status_code=412,
            )
        policy = params["Policy"]
        if isinstance(policy, str):
            try:
                policy = json.loads(policy)
            except ValueError:
                raise _bad("Policy must be a JSON document.") from None
        self.policies[name] = (policy, self.ids.uuid())
        return {"Policy": json.dumps(policy), "RevisionId": self.policies[name][1]}

    def get_resource_policy(self, params: dict) -> dict:
        name = params.get("RegistryName", "")
        if name not in self.policies:
            raise _missing("Resource policy does not exist.")
        policy, revision = self.policies[name]
        return {"Policy": json.dumps(policy), "RevisionId": revision}

    def delete_resource_policy(self, params: dict) -> dict:
        name = params.get("RegistryName", "")
        if self.policies.pop(name, None) is None:
            raise _missing("Resource policy does not exist.")
        return {}

    # -- tags -------------------------------------------------------------------------------
    def _tags_of(self, arn: str) -> dict[str, str]:
        for registry in self.registries.values():
            if registry.arn == arn:
                return registry.tags
            for schema in registry.schemas.values():
                if schema.arn == arn:
                    return schema.tags
        for discoverer in self.discoverers.values():
            if discoverer.arn == arn:
                return discoverer.tags
        raise _missing(f"Resource {arn} does not exist.")

    def tag_resource(self, params: dict) -> dict:
        self._tags_of(params["ResourceArn"]).update(params["Tags"])
        return {}

    def untag_resource(self, params: dict) -> dict:
        tags = self._tags_of(params["ResourceArn"])
        for key in params["TagKeys"]:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        return {"Tags": dict(self._tags_of(params["ResourceArn"]))}
