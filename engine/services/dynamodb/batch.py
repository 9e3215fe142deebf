"""Multi-item operations: BatchGetItem, BatchWriteItem, TransactWriteItems, TransactGetItems."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .evaluate import apply_update, evaluate, project, touched_top_level
from .items import capacity_list, condition_failed, read_units, write_units
from .requests import Expressions, check_item_keys, clean_key, key_of
from .table import Table
from .throttling import throughput_exceeded
from .values import Item, clean_item, copy_item, invalid

if TYPE_CHECKING:
    from .service import DynamoDbService

MAX_BATCH_GET = 100
MAX_BATCH_WRITE = 25
MAX_TRANSACT = 100
IDEMPOTENCY_SECONDS = 600
MAX_BATCH_GET_BYTES = 16 * 1024 * 1024


@dataclass(slots=True)
class PlannedWrite:
    """One checked write of a transaction, ready to commit."""

    table: Table
    old: Item | None
    new: Item | None
    operation: str
    size: int = 0
    condition: str | None = None


def _token_fingerprint(params: dict[str, Any]) -> str:
    """The request without its token, as text, to spot a token reused for another request."""
    body = {k: v for k, v in params.items() if k != "ClientRequestToken"}
    return json.dumps(body, sort_keys=True, default=repr)


def _unprocessed_request(request: dict[str, Any]) -> dict[str, Any]:
    """The KeysAndAttributes of a BatchGetItem request, with its keys still to fill in."""
    kept = {k: v for k, v in request.items() if k != "Keys"}
    return {"Keys": [], **json.loads(json.dumps(kept))}


def _copy_write(write: dict[str, Any]) -> dict[str, Any]:
    """A WriteRequest returned as UnprocessedItems (copied; binary values kept)."""
    if "PutRequest" in write:
        return {"PutRequest": {"Item": clean_item(write["PutRequest"]["Item"])}}
    return {"DeleteRequest": {"Key": clean_item(write["DeleteRequest"]["Key"])}}


class BatchOperations:
    """Batch and transactional operations of DynamoDbService."""

    def __init__(self, service: DynamoDbService) -> None:
        self.service = service

    def batch_get_item(self, params: dict[str, Any]) -> dict[str, Any]:
        """BatchGetItem: up to 100 keys across tables."""
        requests = params["RequestItems"]
        total = sum(len(r["Keys"]) for r in requests.values())
        if total > MAX_BATCH_GET:
            raise invalid("Too many items requested for the BatchGetItem call")
        planned: list[tuple[str, Table, list[Item], Expressions]] = []
        for name, request in requests.items():
            table = self.service._table(name)
            expressions = Expressions(request)
            keys = [clean_key(table, k) for k in request["Keys"]]
            seen = {json.dumps(k, sort_keys=True, default=repr) for k in keys}
            if len(seen) != len(keys):
                raise invalid("Provided list of item keys contains duplicates")
            planned.append((name, table, keys, expressions))
        responses: dict[str, list[Item]] = {}
        unprocessed: dict[str, dict[str, Any]] = {}
        usage: dict[str, tuple[Table, float]] = {}
        returned = 0
        for name, table, keys, expressions in planned:
            found = responses[name] = []
            consistent = bool(requests[name].get("ConsistentRead"))
            units = 0.0
            for key in keys:
                # Throttled keys, and keys past the 16 MB response limit, come back unprocessed.
                if returned > MAX_BATCH_GET_BYTES or self.service._throttled(table):
                    entry = unprocessed.setdefault(name, _unprocessed_request(requests[name]))
                    entry["Keys"].append(copy_item(key))
                    continue
                item = table.get(key)
                size = table.size_of(item) if item is not None else 0
                units += read_units(size, consistent)
                if item is not None:
                    returned += size
                    shown = (
                        project(item, expressions.projection) if expressions.projection else item
                    )
                    found.append(copy_item(shown))
            table.reads += 1
            usage[name] = (table, units)
        if unprocessed and sum(len(u["Keys"]) for u in unprocessed.values()) == total:
            raise throughput_exceeded(planned[0][1])
        result: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
        consumed = capacity_list(usage, params.get("ReturnConsumedCapacity"), write=False)
        if consumed:
            result["ConsumedCapacity"] = consumed
        return result

    def batch_write_item(self, params: dict[str, Any]) -> dict[str, Any]:
        """BatchWriteItem: up to 25 puts and deletes across tables (no conditions)."""
        requests = params["RequestItems"]
        total = sum(len(r) for r in requests.values())
        if total > MAX_BATCH_WRITE:
            raise invalid("Too many items requested for the BatchWriteItem call")
        planned: list[tuple[str, dict, Table, Item, Item | None, int]] = []
        for name, writes in requests.items():
            table = self.service._table(name)
            seen: set[str] = set()
            for write in writes:
                if len(write) != 1:
                    raise invalid(
                        "One or more parameter values were invalid: A WriteRequest must contain "
                        "exactly one of PutRequest or DeleteRequest"
                    )
                if "PutRequest" in write:
                    item = clean_item(write["PutRequest"]["Item"])
                    size = check_item_keys(table, item, batch=True)
                    key = key_of(table, item)
                    planned.append((name, write, table, key, item, size))
                else:
                    key = clean_key(table, write["DeleteRequest"]["Key"])
                    planned.append((name, write, table, key, None, 0))
                marker = json.dumps(key, sort_keys=True, default=repr)
                if marker in seen:
                    raise invalid("Provided list of item keys contains duplicates")
                seen.add(marker)
        throttled = [self.service._throttled(table) for _, _, table, _, _, _ in planned]
        if planned and all(throttled):
            raise throughput_exceeded(planned[0][2])
        unprocessed: dict[str, list[dict[str, Any]]] = {}
        usage: dict[str, tuple[Table, float]] = {}
        for (name, write, table, key, item, size), skip in zip(planned, throttled, strict=True):
            if skip:
                unprocessed.setdefault(name, []).append(_copy_write(write))
                continue
            old = table.get(key)
            old_size = table.size_of(old) if old is not None else 0
            used = usage.get(name, (table, 0.0))[1]
            usage[name] = (table, used + write_units(old_size, size))
            if item is not None:
                self.service._commit(table, old, item, "PutItem", size)
            elif old is not None:
                self.service._commit(table, old, None, "DeleteItem")
        result: dict[str, Any] = {"UnprocessedItems": unprocessed}
        consumed = capacity_list(usage, params.get("ReturnConsumedCapacity"), write=True)
        if consumed:
            result["ConsumedCapacity"] = consumed
        return result

    # -- transactions --------------------------------------------------------------------
    def _idempotent(self, params: dict[str, Any]) -> dict[str, Any] | None:
        token = params.get("ClientRequestToken")
        if token is None:
            return None
        now = self.service.clock.now()
        tokens = self.service.tokens
        # Tokens are kept in the order they were first used: drop the expired ones from the front.
        while tokens:
            oldest = next(iter(tokens))
            if tokens[oldest][0] + IDEMPOTENCY_SECONDS > now:
                break
            del tokens[oldest]
        seen = self.service.tokens.get(token)
        if seen is None:
            return None
        _, fingerprint, result = seen
        if fingerprint != _token_fingerprint(params):
            raise ServiceError(
                "IdempotentParameterMismatchException",
                "The request uses the same client token as a previous, but non-identical request.",
            )
        return result

    def transact_write_items(self, params: dict[str, Any]) -> dict[str, Any]:
        """TransactWriteItems: all of up to 100 writes and checks happen, or none do."""
        earlier = self._idempotent(params)
        if earlier is not None:
            return dict(earlier)
        actions = params["TransactItems"]
        if len(actions) > MAX_TRANSACT:
            raise invalid(
                "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_TRANSACT}"
            )
        checked = [self._check_transact_action(action) for action in actions]
        seen: set[tuple[str, str]] = set()
        for table, key, _, _ in checked:
            marker = (table.name, json.dumps(key, sort_keys=True, default=repr))
            if marker in seen:
                raise invalid("Transaction request cannot include multiple operations on one item")
            seen.add(marker)
        reasons: list[dict[str, Any]] = []
        planned: list[PlannedWrite] = []
        usage: dict[str, tuple[Table, float]] = {}
        failed = False
        transaction = self.service.ids.uuid()
        for table, key, kind, body in checked:
            old = table.get(key)
            try:
                write = self._plan_transact_write(table, key, kind, body, old)
            except ServiceError as error:
                failed = True
                if error.code == "ConditionalCheckFailedException":
                    self.service._trace_condition_failed(
                        table, key, kind, body.get("ConditionExpression"), transaction
                    )
                reason: dict[str, Any] = {
                    "Code": error.code.removesuffix("Exception"),
                    "Message": error.message,
                }
                if error.code == "ConditionalCheckFailedException":
                    reason["Code"] = "ConditionalCheckFailed"
                    if "Item" in error.extra:
                        reason["Item"] = error.extra["Item"]
                elif error.code == "ValidationException":
                    reason["Code"] = "ValidationError"
                reasons.append(reason)
                continue
            reasons.append({"Code": "None"})
            # Transactions cost two units per item (prepare and commit).
            old_size = table.size_of(old) if old is not None else 0
            units = 2 * write_units(old_size, write.size if write is not None else 0)
            usage[table.name] = (table, usage.get(table.name, (table, 0.0))[1] + units)
            if write is not None:
                planned.append(write)
        if failed:
            codes = ", ".join(r["Code"] for r in reasons)
            raise ServiceError(
                "TransactionCanceledException",
                f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                extra={"CancellationReasons": reasons},
            )
        for write in planned:
            self.service._commit(
                write.table,
                write.old,
                write.new,
                write.operation,
                write.size,
                condition=write.condition,
                transaction=transaction,
            )
        result: dict[str, Any] = {}
        consumed = capacity_list(usage, params.get("ReturnConsumedCapacity"), write=True)
        if consumed:
            result["ConsumedCapacity"] = consumed
        if params.get("ClientRequestToken") is not None:
            self.service.tokens[params["ClientRequestToken"]] = (
                self.service.clock.now(),
                _token_fingerprint(params),
                result,
            )
        return dict(result)

    def _check_transact_action(
        self, action: dict[str, Any]
    ) -> tuple[Table, Item, str, dict[str, Any]]:
        if len(action) != 1:
            raise invalid("TransactItems can only contain one of Check, Put, Update or Delete")
        ((kind, body),) = action.items()
        table = self.service._table(body["TableName"])
        if kind == "Put":
            item = clean_item(body["Item"])
            body = {**body, "_size": check_item_keys(table, item)}
            key = key_of(table, item)
            body = {**body, "_item": item}
        else:
            key = clean_key(table, body["Key"])
        if kind == "ConditionCheck" and not body.get("ConditionExpression"):
            raise invalid("The ConditionExpression parameter is required for ConditionCheck")
        expressions = Expressions(
            {
                k: v
                for k, v in body.items()
                if not k.startswith("_") and k not in ("TableName", "Key", "Item")
            }
        )
        if kind == "Update":
            for name in touched_top_level(expressions.update or []):
                if name in table.shape.names:
                    raise invalid(
                        "One or more parameter values were invalid: Cannot update attribute "
                        f"{name}. This attribute is part of the key"
                    )
        return table, key, kind, {**body, "_expressions": expressions}

    def _plan_transact_write(
        self,
        table: Table,
        key: Item,
        kind: str,
        body: dict[str, Any],
        old: Item | None,
    ) -> PlannedWrite | None:
        expressions: Expressions = body["_expressions"]
        if expressions.condition is not None and not evaluate(old or {}, expressions.condition):
            raise condition_failed(old, body.get("ReturnValuesOnConditionCheckFailure"))
        if kind == "ConditionCheck":
            return None
        condition = body.get("ConditionExpression")
        if kind == "Put":
            return PlannedWrite(table, old, body["_item"], "PutItem", body["_size"], condition)
        if kind == "Delete":
            if old is None:
                return None
            return PlannedWrite(table, old, None, "DeleteItem", 0, condition)
        new = apply_update(old if old is not None else key, expressions.update or [])
        size = check_item_keys(table, new)
        return PlannedWrite(table, old, new, "UpdateItem", size, condition)

    def transact_get_items(self, params: dict[str, Any]) -> dict[str, Any]:
        """TransactGetItems: up to 100 items read as one snapshot."""
        planned = []
        for action in params["TransactItems"]:
            body = action["Get"]
            table = self.service._table(body["TableName"])
            key = clean_key(table, body["Key"])
            expressions = Expressions(
                {k: v for k, v in body.items() if k not in ("TableName", "Key")}
            )
            planned.append((table, key, expressions))
        responses = []
        usage: dict[str, tuple[Table, float]] = {}
        for table, key, expressions in planned:
            item = table.get(key)
            table.reads += 1
            units = 2 * read_units(table.size_of(item) if item is not None else 0, True)
            usage[table.name] = (table, usage.get(table.name, (table, 0.0))[1] + units)
            if item is None:
                responses.append({})
                continue
            shown = project(item, expressions.projection) if expressions.projection else item
            responses.append({"Item": copy_item(shown)})
        result: dict[str, Any] = {"Responses": responses}
        consumed = capacity_list(usage, params.get("ReturnConsumedCapacity"), write=False)
        if consumed:
            result["ConsumedCapacity"] = consumed
        return result
