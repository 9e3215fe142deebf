"""Table operations: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, tags."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .storage import ItemStore, KeyPart, KeyShape
from .table import Index, StreamSettings, Table
from .values import invalid

if TYPE_CHECKING:
    from .service import DynamoDbService

_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]+")
MAX_GLOBAL_INDEXES = 20
MAX_LOCAL_INDEXES = 5


def _shape(schema: list[dict[str, str]], types: dict[str, str]) -> KeyShape:
    """A KeyShape from a KeySchema list, checked the way CreateTable checks it."""
    if schema[0]["KeyType"] != "HASH":
        raise invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(schema) == 2:
        if schema[1]["KeyType"] != "RANGE":
            raise invalid("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        if schema[0]["AttributeName"] == schema[1]["AttributeName"]:
            raise invalid(
                "Both the Hash Key and the Range Key element in the KeySchema have the same name"
            )
    parts = []
    for element in schema:
        name = element["AttributeName"]
        if name not in types:
            defined = ", ".join(types)
            keys = ", ".join(e["AttributeName"] for e in schema if e["AttributeName"] not in types)
            raise invalid(
                "One or more parameter values were invalid: Some index key attributes are not "
                f"defined in AttributeDefinitions. Keys: [{keys}], AttributeDefinitions: [{defined}]"
            )
        parts.append(KeyPart(name, types[name]))
    return KeyShape(parts[0], parts[1] if len(parts) == 2 else None)


def _projection(spec: dict[str, Any], index_name: str) -> tuple[str, tuple[str, ...]]:
    kind = spec.get("ProjectionType", "ALL") if spec else "ALL"
    non_key = tuple(spec.get("NonKeyAttributes", ()) if spec else ())
    if kind == "INCLUDE" and not non_key:
        raise invalid(
            "One or more parameter values were invalid: NonKeyAttributes must not be empty "
            f"when ProjectionType is INCLUDE for index: {index_name}"
        )
    if kind != "INCLUDE" and non_key:
        raise invalid(
            "One or more parameter values were invalid: ProjectionType is "
            f"{kind}, but NonKeyAttributes is specified"
        )
    return kind, non_key


def _throughput(spec: dict[str, Any] | None, billing_mode: str, what: str) -> tuple[int, int]:
    if billing_mode == "PAY_PER_REQUEST":
        if spec:
            raise invalid(
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
            )
        return 0, 0
    if not spec:
        raise invalid(
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
            f"must both be specified when BillingMode is PROVISIONED{what}"
        )
    return int(spec["ReadCapacityUnits"]), int(spec["WriteCapacityUnits"])


class TableOperations:
    """The control plane of DynamoDbService."""

    def _check_table_name(self: DynamoDbService, name: str) -> str:
        if name.startswith("arn:"):
            name = name.rsplit("/", 1)[-1] if "/" in name else name
        if not _TABLE_NAME.fullmatch(name):
            raise invalid(
                f"1 validation error detected: Value '{name}' at 'tableName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
            )
        return name

    def _describe_table_or_raise(self: DynamoDbService, name: str) -> Table:
        name = self._check_table_name(name)
        table = self.tables.get(name)
        if table is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Requested resource not found: Table: {name} not found",
            )
        return table

    def _build_index(
        self: DynamoDbService,
        spec: dict[str, Any],
        table_name: str,
        table_shape: KeyShape,
        types: dict[str, str],
        billing_mode: str,
        *,
        is_global: bool,
    ) -> Index:
        name = spec["IndexName"]
        shape = _shape(spec["KeySchema"], types)
        if not is_global:
            if table_shape.range is None:
                raise invalid(
                    "One or more parameter values were invalid: Table KeySchema does not have a "
                    "range key, which is required when specifying a LocalSecondaryIndex"
                )
            if shape.hash != table_shape.hash:
                raise invalid(
                    "One or more parameter values were invalid: Index KeySchema does not have the "
                    f"same leading hash key as table KeySchema for index: {name}. "
                    f"index hash key: {shape.hash.name}, table hash key: {table_shape.hash.name}"
                )
            if shape.range is None:
                raise invalid(
                    "One or more parameter values were invalid: Index KeySchema does not have a "
                    f"range key for index: {name}"
                )
        kind, non_key = _projection(spec.get("Projection", {}), name)
        read, write = (0, 0)
        if is_global:
            read, write = _throughput(
                spec.get("ProvisionedThroughput"), billing_mode, f" for index {name}"
            )
        arn = self.arn(f"table/{table_name}/index/{name}")
        return Index(
            name, arn, shape, kind, non_key, is_global, ItemStore(shape, table_shape), read, write
        )

    def create_table(self: DynamoDbService, params: dict[str, Any]) -> dict[str, Any]:
        """CreateTable: key schema, attribute definitions, indexes, billing and stream settings."""
        name = self._check_table_name(params["TableName"])
        types: dict[str, str] = {}
        for definition in params["AttributeDefinitions"]:
            types[definition["AttributeName"]] = definition["AttributeType"]
        shape = _shape(params["KeySchema"], types)
        billing_mode = params.get("BillingMode", "PROVISIONED")
        read, write = _throughput(params.get("ProvisionedThroughput"), billing_mode, "")
        global_specs = params.get("GlobalSecondaryIndexes", [])
        local_specs = params.get("LocalSecondaryIndexes", [])
        if len(global_specs) > MAX_GLOBAL_INDEXES:
            raise invalid(
                "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds "
                f"the per-table limit of {MAX_GLOBAL_INDEXES}"
            )
        if len(local_specs) > MAX_LOCAL_INDEXES:
            raise invalid(
                "One or more parameter values were invalid: Number of LocalSecondaryIndexes "
                f"exceeds per-table limit of {MAX_LOCAL_INDEXES}"
            )
        indexes: list[Index] = []
        seen: set[str] = set()
        for spec, is_global in [(s, True) for s in global_specs] + [
            (s, False) for s in local_specs
        ]:
            if spec["IndexName"] in seen:
                raise invalid(
                    f"One or more parameter values were invalid: Duplicate index name: {spec['IndexName']}"
                )
            seen.add(spec["IndexName"])
            indexes.append(
                self._build_index(spec, name, shape, types, billing_mode, is_global=is_global)
            )
        used = set(shape.names)
        for index in indexes:
            used.update(index.shape.names)
        if used != set(types):
            raise invalid(
                "One or more parameter values were invalid: Number of attributes in KeySchema does "
                "not exactly match number of attributes defined in AttributeDefinitions"
            )
        stream = _stream_settings(params.get("StreamSpecification"))
        if name in self.tables:
            raise ServiceError("ResourceInUseException", f"Table already exists: {name}")
        now = self.clock.now()
        table = Table(
            name=name,
            arn=self.arn(f"table/{name}"),
            table_id=self.ids.uuid(),
            shape=shape,
            attribute_types=types,
            created=now,
            billing_mode=billing_mode,
            read_capacity=read,
            write_capacity=write,
            table_class=params.get("TableClass"),
            deletion_protection=bool(params.get("DeletionProtectionEnabled", False)),
            tags={t["Key"]: t["Value"] for t in params.get("Tags", [])},
            billing_changed=now if billing_mode == "PAY_PER_REQUEST" else None,
        )
        if warm := params.get("WarmThroughput"):
            table.warm = (
                int(warm.get("ReadUnitsPerSecond", read)),
                int(warm.get("WriteUnitsPerSecond", write)),
            )
        for index in indexes:
            (table.global_indexes if index.is_global else table.local_indexes)[index.name] = index
        self._set_busy(table, "CREATING")
        self.tables[name] = table
        if stream.enabled:
            self._start_stream(table, stream)
        self.emit("created", table.arn, table=name)
        described = table.description(now)
        described["TableStatus"] = "CREATING"
        # CreateTable's answer shows warm throughput only when it was asked for (being applied).
        warm = described.pop("WarmThroughput")
        if table.warm is not None:
            described["WarmThroughput"] = {**warm, "Status": "UPDATING"}
        for index in described.get("GlobalSecondaryIndexes", []):
            index.pop("WarmThroughput", None)
        return {"TableDescription": described}

    def _set_busy(self: DynamoDbService, table: Table, status: str) -> None:
        delay = float(self.engine.settings.get("dynamodb.status_delay", 0.0))
        table.pending_status = status
        table.busy_until = self.clock.now() + delay

    def describe_table(self: DynamoDbService, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeTable."""
        table = self._describe_table_or_raise(params["TableName"])
        return {"Table": table.description(self.clock.now())}

    def list_tables(self: DynamoDbService, params: dict[str, Any]) -> dict[str, Any]:
        """ListTables: names in order, paged by ExclusiveStartTableName and Limit."""
        limit = params.get("Limit", 100)
        names = sorted(self.tables)
        start = params.get("ExclusiveStartTableName")
        if start is not None:
            names = [n for n in names if n > start]
        result: dict[str, Any] = {"TableNames": names[:limit]}
        if len(names) > limit:
            result["LastEvaluatedTableName"] = names[limit - 1]
        return result

    def delete_table(self: DynamoDbService, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteTable: the table goes at once; its stream stays readable for 24 hours."""
        table = self._describe_table_or_raise(params["TableName"])
        if table.deletion_protection:
            raise invalid(
                "Resource cannot be deleted as it is currently protected against deletion. "
                "Disable deletion protection first."
            )
        now = self.clock.now()
        described = table.description(now)
        described["TableStatus"] = "DELETING"
        described.pop("WarmThroughput")  # as in CreateTable's answer, AWS leaves it out here
        if table.latest_stream_arn is not None:
            self._stop_stream(table)
        if table.expiry_timer is not None:
            table.expiry_timer.cancel()
        del self.tables[table.name]
        self.emit("deleted", table.arn, table=table.name)
        return {"TableDescription": described}

    def update_table(self: DynamoDbService, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateTable: billing, throughput, streams, deletion protection and GSI changes."""
        table = self._describe_table_or_raise(params["TableName"])
        changes = (
            "ProvisionedThroughput",
            "BillingMode",
            "StreamSpecification",
            "GlobalSecondaryIndexUpdates",
            "DeletionProtectionEnabled",
            "TableClass",
        )
        if not any(name in params for name in changes):
            raise invalid(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"
            )
        billing_mode = params.get("BillingMode", table.billing_mode)
        types = dict(table.attribute_types)
        for definition in params.get("AttributeDefinitions", []):
            types[definition["AttributeName"]] = definition["AttributeType"]
        read, write = table.read_capacity, table.write_capacity
        if "ProvisionedThroughput" in params or billing_mode != table.billing_mode:
            read, write = _throughput(params.get("ProvisionedThroughput"), billing_mode, "")
            if (
                billing_mode == table.billing_mode == "PROVISIONED"
                and (read, write) == (table.read_capacity, table.write_capacity)
                and len(params) == 2  # TableName and an unchanged ProvisionedThroughput only
            ):
                raise invalid(
                    "The provisioned throughput for the table will not change. The requested "
                    "value equals the current value. Current ReadCapacityUnits provisioned for "
                    f"the table: {read}. Requested ReadCapacityUnits: {read}. Current "
                    f"WriteCapacityUnits provisioned for the table: {write}. Requested "
                    f"WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide "
                    "for current limits and how to request higher limits."
                )
        creates: list[Index] = []
        deletes: list[str] = []
        for update in params.get("GlobalSecondaryIndexUpdates", []):
            if "Create" in update:
                spec = update["Create"]
                if table.index(spec["IndexName"]) is not None:
                    raise invalid(
                        "One or more parameter values were invalid: Duplicate index name: "
                        f"{spec['IndexName']}"
                    )
                creates.append(
                    self._build_index(
                        spec, table.name, table.shape, types, billing_mode, is_global=True
                    )
                )
            elif "Delete" in update:
                index_name = update["Delete"]["IndexName"]
                if index_name not in table.global_indexes:
                    raise ServiceError(
                        "ResourceNotFoundException",
                        f"Requested resource not found: Index: {index_name} not found",
                    )
                deletes.append(index_name)
            elif "Update" in update:
                index_name = update["Update"]["IndexName"]
                if index_name not in table.global_indexes:
                    raise ServiceError(
                        "ResourceNotFoundException",
                        f"Requested resource not found: Index: {index_name} not found",
                    )
        if len(table.global_indexes) + len(creates) - len(deletes) > MAX_GLOBAL_INDEXES:
            raise invalid(
                "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds "
                f"the per-table limit of {MAX_GLOBAL_INDEXES}"
            )
        stream = None
        if "StreamSpecification" in params:
            stream = _stream_settings(params["StreamSpecification"])
            if stream.enabled and table.stream.enabled:
                raise invalid(f"Table already has an enabled stream: {table.latest_stream_arn}")
            if not stream.enabled and not table.stream.enabled:
                raise invalid("Table already has no stream enabled")
        # Everything checked: apply.
        if billing_mode != table.billing_mode:
            table.billing_mode = billing_mode
            if billing_mode == "PAY_PER_REQUEST":
                table.billing_changed = self.clock.now()
        table.read_capacity, table.write_capacity = read, write
        table.attribute_types = {
            name: kind
            for name, kind in types.items()
            if name in table.shape.names
            or any(name in i.shape.names for i in table.indexes() if i.name not in deletes)
            or any(name in i.shape.names for i in creates)
        }
        for index_name in deletes:
            del table.global_indexes[index_name]
        for index in creates:
            for item, size in table.store.scan():
                index.store.put(index.project(item, table.shape.names), size)
            table.global_indexes[index.name] = index
        for update in params.get("GlobalSecondaryIndexUpdates", []):
            if "Update" in update:
                spec = update["Update"]
                index = table.global_indexes[spec["IndexName"]]
                throughput = spec.get("ProvisionedThroughput") or {}
                index.read_capacity = throughput.get("ReadCapacityUnits", index.read_capacity)
                index.write_capacity = throughput.get("WriteCapacityUnits", index.write_capacity)
        if "DeletionProtectionEnabled" in params:
            table.deletion_protection = bool(params["DeletionProtectionEnabled"])
        if "TableClass" in params:
            table.table_class = params["TableClass"]
        if stream is not None:
            if stream.enabled:
                self._start_stream(table, stream)
            else:
                self._stop_stream(table)
        self._set_busy(table, "UPDATING")
        described = table.description(self.clock.now())
        described["TableStatus"] = "UPDATING"
        return {"TableDescription": described}

    # -- tags ----------------------------------------------------------------------------
    def _table_by_arn(self: DynamoDbService, arn: str) -> Table:
        for table in self.tables.values():
            if table.arn == arn:
                return table
        raise ServiceError("ResourceNotFoundException", "Requested resource not found")

    def tag_resource(self: DynamoDbService, params: dict[str, Any]) -> dict[str, Any]:
        """TagResource."""
        table = self._table_by_arn(params["ResourceArn"])
        table.tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
        return {}

    def untag_resource(self: DynamoDbService, params: dict[str, Any]) -> dict[str, Any]:
        """UntagResource."""
        table = self._table_by_arn(params["ResourceArn"])
        for key in params["TagKeys"]:
            table.tags.pop(key, None)
        return {}

    def list_tags_of_resource(self: DynamoDbService, params: dict[str, Any]) -> dict[str, Any]:
        """ListTagsOfResource."""
        table = self._table_by_arn(params["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in table.tags.items()]}

    def describe_limits(self: DynamoDbService, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeLimits: AWS's default account and table quotas."""
        return {
            "AccountMaxReadCapacityUnits": 80000,
            "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000,
            "TableMaxWriteCapacityUnits": 40000,
        }

    def describe_endpoints(self: DynamoDbService, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeEndpoints."""
        return {
            "Endpoints": [
                {"Address": f"dynamodb.{self.region}.amazonaws.com", "CachePeriodInMinutes": 1440}
            ]
        }


def _stream_settings(spec: dict[str, Any] | None) -> StreamSettings:
    if not spec:
        return StreamSettings()
    enabled = bool(spec.get("StreamEnabled"))
    view_type = spec.get("StreamViewType")
    if enabled and view_type is None:
        raise invalid(
            "One or more parameter values were invalid: StreamViewType is required when "
            "StreamEnabled is true"
        )
    if not enabled and view_type is not None:
        raise invalid(
            "One or more parameter values were invalid: StreamViewType can not be specified "
            "when StreamEnabled is false"
        )
    return StreamSettings(enabled, view_type)
