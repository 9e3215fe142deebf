"""Data sources at work: a resolver's request object sent to DynamoDB, Lambda, HTTP, EventBridge or NONE."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from engine.errors import FunctionError, ServiceError
from engine.service import Envelope

from .batching import Batches, BatchMismatch
from .templates import ResolverError, untyped, untyped_item

if TYPE_CHECKING:
    from .models import DataSource
    from .service import AppSyncService


def _token(key: dict[str, Any] | None) -> str | None:
    return base64.b64encode(json.dumps(key).encode()).decode() if key else None


def _from_token(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        return json.loads(base64.b64decode(token))
    except ValueError:
        raise ResolverError("Invalid pagination token", "DynamoDB:ValidationException") from None


def _expression(
    spec: dict[str, Any] | None, params: dict[str, Any], key: str, *, names: dict, values: dict
) -> None:
    if not spec:
        return
    params[key] = spec["expression"]
    names.update(spec.get("expressionNames") or {})
    values.update(spec.get("expressionValues") or {})


class DataSources:
    """Sends request objects to the lab's services and shapes the answers as `$ctx.result`."""

    def __init__(self, service: AppSyncService) -> None:
        self.service = service
        self.batches = Batches()

    async def invoke(self, source: DataSource, request: Any, context: dict[str, Any]) -> Any:
        """The data source's answer to `request` (ResolverError when it fails)."""
        kind = source.type
        if kind == "NONE":
            return request.get("payload") if isinstance(request, dict) else request
        if not isinstance(request, dict):
            raise ResolverError("The request must be a JSON object", "MappingTemplate")
        if kind == "AMAZON_DYNAMODB":
            return await self.dynamodb(source, request)
        if kind == "AWS_LAMBDA":
            return await self.lambda_(source, request, context)
        if kind == "HTTP":
            return await self.http(source, request)
        return await self.eventbridge(source, request)

    # -- DynamoDB ------------------------------------------------------------------------------
    async def dynamodb(self, source: DataSource, request: dict[str, Any]) -> Any:
        config = source.config["dynamodbConfig"]
        table = config["tableName"]
        client = self.service.engine.client("dynamodb")
        operation = request.get("operation")
        if operation is None:
            raise ResolverError("Value for field '$[operation]' not found.", "MappingTemplate")
        try:
            handler = getattr(self, f"_ddb_{operation}")
        except (AttributeError, TypeError):
            raise ResolverError(
                f"Unsupported operation '{operation}'. Datasource Versioning only supports "
                "operations (GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan, BatchGetItem, "
                "BatchPutItem, BatchDeleteItem, TransactGetItems, TransactWriteItems).",
                "MappingTemplate",
            ) from None
        try:
            return await handler(client, table, request)
        except ServiceError as error:
            raise ResolverError(error.message, f"DynamoDB:{error.code}") from None
        except (KeyError, TypeError) as error:
            raise ResolverError(
                f"The request is missing or has an invalid member: {error}", "MappingTemplate"
            ) from None

    @staticmethod
    def _write_params(request: dict[str, Any], table: str) -> dict[str, Any]:
        params: dict[str, Any] = {"TableName": table, "Key": request["key"]}
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        _expression(
            request.get("condition"), params, "ConditionExpression", names=names, values=values
        )
        _expression(request.get("update"), params, "UpdateExpression", names=names, values=values)
        if names:
            params["ExpressionAttributeNames"] = names
        if values:
            params["ExpressionAttributeValues"] = values
        return params

    async def _ddb_GetItem(self, client: Any, table: str, request: dict) -> Any:  # noqa: N802
        answer = await client.get_item(
            TableName=table, Key=request["key"], ConsistentRead=bool(request.get("consistentRead"))
        )
        return untyped_item(answer.get("Item"))

    async def _ddb_PutItem(self, client: Any, table: str, request: dict) -> Any:  # noqa: N802
        params = self._write_params(request, table)
        item = {**params.pop("Key"), **(request.get("attributeValues") or {})}
        await client.put_item(**params, Item=item)
        return untyped_item(item)

    async def _ddb_UpdateItem(self, client: Any, table: str, request: dict) -> Any:  # noqa: N802
        params = self._write_params(request, table)
        answer = await client.update_item(**params, ReturnValues="ALL_NEW")
        return untyped_item(answer.get("Attributes"))

    async def _ddb_DeleteItem(self, client: Any, table: str, request: dict) -> Any:  # noqa: N802
        params = self._write_params(request, table)
        answer = await client.delete_item(**params, ReturnValues="ALL_OLD")
        return untyped_item(answer.get("Attributes"))

    async def _read(self, call: Any, table: str, request: dict, key: str | None) -> Any:
        params: dict[str, Any] = {"TableName": table}
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        if key is not None:
            _expression(
                request.get(key), params, "KeyConditionExpression", names=names, values=values
            )
        _expression(request.get("filter"), params, "FilterExpression", names=names, values=values)
        if names:
            params["ExpressionAttributeNames"] = names
        if values:
            params["ExpressionAttributeValues"] = values
        if request.get("index"):
            params["IndexName"] = request["index"]
        if request.get("limit") is not None:
            params["Limit"] = int(request["limit"])
        if request.get("consistentRead"):
            params["ConsistentRead"] = True
        if key is not None and request.get("scanIndexForward") is False:
            params["ScanIndexForward"] = False
        if key is None and request.get("totalSegments") is not None:
            params["Segment"], params["TotalSegments"] = (
                request["segment"],
                request["totalSegments"],
            )
        start = _from_token(request.get("nextToken"))
        if start:
            params["ExclusiveStartKey"] = start
        answer = await call(**params)
        return {
            "items": [untyped_item(i) for i in answer.get("Items", [])],
            "nextToken": _token(answer.get("LastEvaluatedKey")),
            "scannedCount": answer.get("ScannedCount", 0),
        }

    async def _ddb_Query(self, client: Any, table: str, request: dict) -> Any:  # noqa: N802
        return await self._read(client.query, table, request, "query")

    async def _ddb_Scan(self, client: Any, table: str, request: dict) -> Any:  # noqa: N802
        return await self._read(client.scan, table, request, None)

    async def _ddb_BatchGetItem(self, client: Any, table: str, request: dict) -> Any:  # noqa: N802
        tables = request["tables"]
        wanted = {
            name: spec["keys"] if isinstance(spec, dict) else spec for name, spec in tables.items()
        }
        answer = await client.batch_get_item(
            RequestItems={name: {"Keys": keys} for name, keys in wanted.items()}
        )
        data: dict[str, list] = {}
        for name, keys in wanted.items():
            found = answer.get("Responses", {}).get(name, [])
            by_key = [untyped_item(i) for i in found]
            ordered = []
            for key in keys:
                plain = {k: untyped(v) for k, v in key.items()}
                match = next(
                    (i for i in by_key if i and all(i.get(k) == v for k, v in plain.items())), None
                )
                ordered.append(match)
            data[name] = ordered
        return {"data": data, "unprocessedKeys": {name: [] for name in wanted}}

    async def _ddb_BatchPutItem(self, client: Any, table: str, request: dict) -> Any:  # noqa: N802
        tables = request["tables"]
        await client.batch_write_item(
            RequestItems={
                name: [{"PutRequest": {"Item": item}} for item in items]
                for name, items in tables.items()
            }
        )
        return {
            "data": {name: [untyped_item(i) for i in items] for name, items in tables.items()},
            "unprocessedItems": {name: [] for name in tables},
        }

    async def _ddb_BatchDeleteItem(self, client: Any, table: str, request: dict) -> Any:  # noqa: N802
        tables = request["tables"]
        await client.batch_write_item(
            RequestItems={
                name: [{"DeleteRequest": {"Key": key}} for key in keys]
                for name, keys in tables.items()
            }
        )
        return {
            "data": {name: [untyped_item(k) for k in keys] for name, keys in tables.items()},
            "unprocessedKeys": {name: [] for name in tables},
        }

    async def _ddb_TransactGetItems(self, client: Any, table: str, request: dict) -> Any:  # noqa: N802
        items = [
            {"Get": {"TableName": t["table"], "Key": t["key"]}} for t in request["transactItems"]
        ]
        answer = await client.transact_get_items(TransactItems=items)
        return {
            "items": [untyped_item(r.get("Item")) for r in answer.get("Responses", [])],
            "cancellationReasons": None,
        }

    async def _ddb_TransactWriteItems(self, client: Any, table: str, request: dict) -> Any:  # noqa: N802
        items = []
        kinds = {
            "PutItem": "Put",
            "UpdateItem": "Update",
            "DeleteItem": "Delete",
            "ConditionCheck": "ConditionCheck",
        }
        for entry in request["transactItems"]:
            params = self._write_params(entry, entry["table"])
            kind = kinds[entry["operation"]]
            if kind == "Put":
                params["Item"] = {**params.pop("Key"), **(entry.get("attributeValues") or {})}
            items.append({kind: params})
        try:
            await client.transact_write_items(TransactItems=items)
        except ServiceError as error:
            reasons = error.extra.get("CancellationReasons")
            if reasons is None:
                raise
            raise ResolverError(
                error.message,
                "DynamoDB:TransactionCanceledException",
                {
                    "keys": None,
                    "cancellationReasons": [
                        {"type": r.get("Code", "None"), "message": r.get("Message")}
                        for r in reasons
                    ],
                },
            ) from None
        return {
            "keys": [untyped_item(e["key"]) for e in request["transactItems"]],
            "cancellationReasons": None,
        }

    # -- Lambda --------------------------------------------------------------------------------
    async def lambda_(self, source: DataSource, request: dict[str, Any], context: dict) -> Any:
        arn = source.config["lambdaConfig"]["lambdaFunctionArn"]
        operation = request.get("operation", "Invoke")
        if operation not in ("Invoke", "BatchInvoke"):
            raise ResolverError(
                f"Unsupported operation '{operation}' for a Lambda data source.", "MappingTemplate"
            )
        invocation = request.get("invocationType", "RequestResponse")
        trace_id = context.get("_trace_id")

        async def invoke(payload: Any) -> Any:
            envelope = Envelope(
                payload,
                source_arn=source.arn,
                trace_id=trace_id,
                options={"invocation_type": invocation},
            )
            return await self.service.engine.fabric.deliver(arn, envelope)

        batch = context.get("_batch")
        try:
            if operation == "BatchInvoke" and batch is not None:
                key, size = batch
                return await self.batches.submit(key, size, request.get("payload"), invoke)
            return await invoke(request.get("payload"))
        except BatchMismatch as error:
            raise ResolverError(str(error), "Lambda:BatchInvokeError") from None
        except FunctionError as error:
            raise ResolverError(error.message, error.code, None, None) from None
        except ServiceError as error:
            raise ResolverError(error.message, f"Lambda:{error.code}") from None

    # -- HTTP ----------------------------------------------------------------------------------
    async def http(self, source: DataSource, request: dict[str, Any]) -> Any:
        endpoint = source.config["httpConfig"]["endpoint"].rstrip("/")
        url = endpoint + str(request.get("resourcePath", "/"))
        try:
            self.service.engine.outbound.check(url, "appsync")
        except OSError as refused:
            raise ResolverError(str(refused), "HttpDataSourceError") from None
        import httpx

        params = request.get("params") or {}
        body = params.get("body")
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        try:
            async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
                response = await client.request(
                    str(request.get("method", "GET")),
                    url,
                    params=params.get("query") or None,
                    headers=params.get("headers") or None,
                    content=body,
                )
        except httpx.HTTPError as error:
            raise ResolverError(f"Http request failed: {error}", "HttpDataSourceError") from None
        return {
            "statusCode": response.status_code,
            "headers": dict(response.headers),
            "body": response.text,
        }

    # -- EventBridge ---------------------------------------------------------------------------
    async def eventbridge(self, source: DataSource, request: dict[str, Any]) -> Any:
        if request.get("operation") != "PutEvents":
            raise ResolverError(
                f"Unsupported operation '{request.get('operation')}' for an EventBridge data "
                "source.",
                "MappingTemplate",
            )
        bus = source.config["eventBridgeConfig"]["eventBusArn"]
        entries = []
        for event in request.get("events") or []:
            detail = event.get("detail", {})
            entries.append(
                {
                    "Source": event.get("source"),
                    "DetailType": event.get("detailType"),
                    "Detail": detail if isinstance(detail, str) else json.dumps(detail),
                    "Resources": list(event.get("resources") or []),
                    "EventBusName": bus,
                    **({"Time": event["time"]} if event.get("time") else {}),
                }
            )
        try:
            answer = await self.service.engine.client("events").put_events(Entries=entries)
        except ServiceError as error:
            raise ResolverError(error.message, f"EventBridge:{error.code}") from None
        return {
            "Entries": [{k: v for k, v in e.items()} for e in answer["Entries"]],
            "FailedEntryCount": answer.get("FailedEntryCount", 0),
        }
