"""Amazon EventBridge: event buses, PutEvents, rules and targets, archives and replays.

Internal API (for Scheduler, Pipes and other services):
- `await eng.fabric.deliver(bus_arn, Envelope(body={"Source", "DetailType", "Detail", ...}))`
  puts one event on a bus and returns its event id.
- `events.put_event(bus_name, entry, trace_id=None) -> str` does the same synchronously.
- `events.observe(bus_arn, callback) -> cancel` sees every event put on a bus (schema discovery).
- `engine.services.events.delivery.TargetDelivery` shapes, delivers, retries and dead-letters
  for any schedule- or rule-like owner (Scheduler uses it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ...errors import ServiceError
from ...patterns import matches
from ...service import Envelope, Service, delegate_operations
from ...topology import Edge, Node
from ..iam.enforcement import ENFORCE_SETTING, check_delivery
from .archives import ArchiveOperations
from .delivery import TargetDelivery, bus_name_from
from .destinations import ApiDestination, ApiDestinationOperations, Connection, LabHttp
from .errors import already_exists, bus_not_found, check_patterns, validation
from .models import Archive, Bus, Replay
from .rules import RuleOperations
from .timefmt import epoch_of, iso_time
from .transform import compact

DEFAULT_BUS = "default"
#: PutEvents' limit on the total size of a request's entries.
MAX_REQUEST_BYTES = 256 * 1024
_REQUIRED_EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


def entry_size(entry: dict) -> int:
    """An entry's size as AWS counts it: Time 14 bytes plus the UTF-8 of the text fields."""
    size = 14 if entry.get("Time") is not None else 0
    for name in ("Source", "DetailType", "Detail"):
        value = entry.get(name)
        if isinstance(value, str):
            size += len(value.encode())
    for resource in entry.get("Resources") or []:
        size += len(resource.encode())
    return size


class EventsService(Service):
    """EventBridge: buses with rules whose patterns live in one compiled index per bus."""

    name = "events"
    validation_error_code = "ValidationException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.buses: dict[str, Bus] = {}
        self.delivery = TargetDelivery(self)
        #: bus ARN -> callbacks that see every event put on the bus (schema discoverers).
        self.observers: dict[str, list[Callable[[dict], None]]] = {}
        self.archives: dict[str, Archive] = {}
        self.replays: dict[str, Replay] = {}
        self.connections: dict[str, Connection] = {}
        self.api_destinations: dict[str, ApiDestination] = {}
        self.http = LabHttp()
        self.rules_api = RuleOperations(self)
        self.archives_api = ArchiveOperations(self)
        self.destinations_api = ApiDestinationOperations(self)
        self._create_bus(DEFAULT_BUS)

    def _create_bus(self, name: str, **fields: Any) -> Bus:
        now = self.clock.now()
        bus = Bus(name, self.arn(f"event-bus/{name}"), now, modified=now, **fields)
        self.buses[name] = bus
        return bus

    def bus(self, name_or_arn: str | None) -> Bus:
        """The bus named (or ARN'd) by a request; ResourceNotFoundException if none."""
        name = bus_name_from(name_or_arn or DEFAULT_BUS)
        bus = self.buses.get(name)
        if bus is None:
            raise bus_not_found(name)
        return bus

    async def close(self) -> None:
        for bus in self.buses.values():
            for rule in bus.rules.values():
                if rule.timer is not None:
                    rule.timer.cancel()
        self.archives_api.cancel_replays()

    # -- buses ----------------------------------------------------------------------
    def create_event_bus(self, params: dict) -> dict:
        name = params["Name"]
        check_patterns([(name, "name", "bus")])
        if "/" in name and not params.get("EventSourceName"):
            raise validation(f"Event bus name must not contain '/'. Name: {name}")
        if name in self.buses:
            raise already_exists(f"Event bus {name} already exists.")
        bus = self._create_bus(
            name,
            description=params.get("Description"),
            kms_key=params.get("KmsKeyIdentifier"),
            dead_letter_config=dict(params["DeadLetterConfig"])
            if "DeadLetterConfig" in params
            else None,
            log_config=dict(params["LogConfig"]) if "LogConfig" in params else None,
            tags={t["Key"]: t["Value"] for t in params.get("Tags", [])},
        )
        self.emit("created", bus.arn)
        result: dict[str, Any] = {"EventBusArn": bus.arn}
        if bus.description is not None:
            result["Description"] = bus.description
        if bus.dead_letter_config is not None:
            result["DeadLetterConfig"] = dict(bus.dead_letter_config)
        return result

    def update_event_bus(self, params: dict) -> dict:
        bus = self.bus(params.get("Name"))
        for key, attr in (
            ("Description", "description"),
            ("KmsKeyIdentifier", "kms_key"),
            ("DeadLetterConfig", "dead_letter_config"),
            ("LogConfig", "log_config"),
        ):
            if key in params:
                value = params[key]
                setattr(bus, attr, dict(value) if isinstance(value, dict) else value)
        bus.modified = self.clock.now()
        result = {"Arn": bus.arn, "Name": bus.name}
        if bus.description is not None:
            result["Description"] = bus.description
        return result

    def delete_event_bus(self, params: dict) -> dict:
        name = bus_name_from(params["Name"])
        if name == DEFAULT_BUS:
            raise validation("Cannot delete event bus default.")
        bus = self.buses.pop(name, None)
        if bus is not None:
            for rule in bus.rules.values():
                self.rules_api.forget_rule(bus, rule)
            self.emit("deleted", bus.arn)
        return {}

    def _bus_summary(self, bus: Bus) -> dict[str, Any]:
        summary: dict[str, Any] = {"Name": bus.name, "Arn": bus.arn}
        if bus.description is not None:
            summary["Description"] = bus.description
        if bus.statements:
            summary["Policy"] = self._policy_text(bus)
        summary["CreationTime"] = datetime.fromtimestamp(bus.created, UTC)
        summary["LastModifiedTime"] = datetime.fromtimestamp(bus.modified, UTC)
        return summary

    def describe_event_bus(self, params: dict) -> dict:
        bus = self.bus(params.get("Name"))
        result = self._bus_summary(bus)
        if bus.kms_key is not None:
            result["KmsKeyIdentifier"] = bus.kms_key
        if bus.dead_letter_config is not None:
            result["DeadLetterConfig"] = dict(bus.dead_letter_config)
        if bus.log_config is not None:
            result["LogConfig"] = dict(bus.log_config)
        return result

    def list_event_buses(self, params: dict) -> dict:
        prefix = params.get("NamePrefix", "")
        names = sorted(name for name in self.buses if name.startswith(prefix))
        page, token = self.page(names, params)
        result: dict[str, Any] = {"EventBuses": [self._bus_summary(self.buses[n]) for n in page]}
        if token:
            result["NextToken"] = token
        return result

    def page(self, items: list, params: dict) -> tuple[list, str | None]:
        """One page of `items` per Limit and NextToken (an offset, opaque to callers)."""
        token = params.get("NextToken")
        start = 0
        if token is not None:
            if not token.isdigit() or int(token) > len(items):
                raise validation("The NextToken provided is invalid.")
            start = int(token)
        limit = params.get("Limit") or 100
        end = start + limit
        return items[start:end], (str(end) if end < len(items) else None)

    # -- permissions ------------------------------------------------------------------
    def _policy_text(self, bus: Bus) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": list(bus.statements.values())})

    def put_permission(self, params: dict) -> dict:
        bus = self.bus(params.get("EventBusName"))
        if "Policy" in params:
            try:
                policy = json.loads(params["Policy"])
                statements = policy["Statement"]
                statements = statements if isinstance(statements, list) else [statements]
                bus.statements = {s.get("Sid", str(i)): dict(s) for i, s in enumerate(statements)}
            except (ValueError, KeyError, TypeError, AttributeError):
                raise validation("Parameter Policy is not valid.") from None
            return {}
        missing = [p for p in ("Action", "Principal", "StatementId") if p not in params]
        if missing:
            raise validation(f"Parameter {missing[0]} is required when Policy is not given.")
        principal = params["Principal"]
        statement: dict[str, Any] = {
            "Sid": params["StatementId"],
            "Effect": "Allow",
            "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
            "Action": params["Action"],
            "Resource": bus.arn,
        }
        if "Condition" in params:
            condition = params["Condition"]
            statement["Condition"] = {
                "StringEquals": {condition["Key"]: condition["Value"]},
            }
        bus.statements[params["StatementId"]] = statement
        return {}

    def remove_permission(self, params: dict) -> dict:
        bus = self.bus(params.get("EventBusName"))
        if params.get("RemoveAllPermissions"):
            bus.statements.clear()
            return {}
        statement_id = params.get("StatementId")
        if statement_id not in bus.statements:
            raise ServiceError(
                "ResourceNotFoundException", "Statement with the provided id does not exist."
            )
        del bus.statements[statement_id]
        return {}

    # -- events ----------------------------------------------------------------------
    def put_events(self, params: dict) -> dict:
        entries = params["Entries"]
        if sum(entry_size(entry) for entry in entries) > MAX_REQUEST_BYTES:
            raise validation("Total size of the entries in the request is over the limit.")
        buses = [self.bus(entry.get("EventBusName")) for entry in entries]
        results: list[dict[str, Any]] = []
        failed = 0
        for entry, bus in zip(entries, buses, strict=True):
            problem = self._entry_problem(entry)
            if problem is not None:
                failed += 1
                results.append({"ErrorCode": problem[0], "ErrorMessage": problem[1]})
                continue
            trace_id = self._trace_id_of(entry.get("TraceHeader"))
            event = self._event_from_entry(entry)
            self.accept(bus, event, trace_id)
            results.append({"EventId": event["id"]})
        return {"FailedEntryCount": failed, "Entries": results}

    def _trace_id_of(self, header: str | None) -> str:
        if header:
            for part in header.split(";"):
                if part.startswith("Root="):
                    return part
            return header
        return self.ids.trace_id(self.clock.now())

    @staticmethod
    def _entry_problem(entry: dict) -> tuple[str, str] | None:
        for name in ("Source", "DetailType", "Detail"):
            if not entry.get(name):
                return (
                    "InvalidArgument",
                    f"Parameter {name} is not valid. Reason: {name} is a required argument.",
                )
        try:
            detail = json.loads(entry["Detail"])
        except ValueError:
            detail = None
        if not isinstance(detail, dict):
            return "MalformedDetail", "Detail is malformed."
        if entry["Source"].startswith("aws."):
            return "NotAuthorizedForSourceException", "Not authorized for the source."
        return None

    def _event_from_entry(self, entry: dict, *, event_id: str | None = None) -> dict[str, Any]:
        when = epoch_of(entry["Time"]) if entry.get("Time") is not None else self.clock.now()
        return {
            "version": "0",
            "id": event_id or self.ids.uuid(),
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": self.account_id,
            "time": iso_time(when),
            "region": self.region,
            "resources": list(entry.get("Resources") or []),
            "detail": json.loads(entry["Detail"])
            if isinstance(entry["Detail"], str)
            else entry["Detail"],
        }

    def put_event(self, bus_name: str, entry: dict, trace_id: str | None = None) -> str:
        """Put one PutEvents-style entry on a bus (for other services); returns the event id."""
        bus = self.bus(bus_name)
        problem = self._entry_problem(
            {
                **entry,
                "Detail": entry.get("Detail")
                if isinstance(entry.get("Detail"), str)
                else compact(entry.get("Detail", {})),
            }
        )
        if problem is not None and problem[0] != "NotAuthorizedForSourceException":
            raise ServiceError(problem[0], problem[1])
        event = self._event_from_entry(entry)
        self.accept(bus, event, trace_id or self.ids.trace_id(self.clock.now()))
        return event["id"]

    def accept(
        self, bus: Bus, event: dict, trace_id: str | None, *, rule_filter: set[str] | None = None
    ) -> None:
        """Archive the event, match it against the bus's rules and start deliveries."""
        bus.put += 1
        if self.trace.enabled:
            self.emit(
                "put",
                bus.arn,
                message_id=event["id"],
                trace_id=trace_id,
                source=event["source"],
                detail_type=event["detail-type"],
                replay_name=event.get("replay-name"),
            )
        if rule_filter is None:
            self.archives_api.archive(bus, event)
            self._observe(bus, event)
        names = bus.index.matches(event)
        if not names:
            return
        deliveries = []
        for name in sorted(names):
            rule = bus.rules[name]
            if rule_filter is not None and rule.arn not in rule_filter:
                continue
            rule.matched += 1
            if self.trace.enabled:
                self.emit(
                    "matched", rule.arn, message_id=event["id"], trace_id=trace_id, bus=bus.arn
                )
            deliveries.extend((rule, target) for target in rule.targets.values())
        self.start_deliveries(deliveries, event, trace_id)

    def observe(self, bus_arn: str, callback: Callable[[dict], None]) -> Callable[[], None]:
        """Call `callback(event)` for every event put on the bus; returns a cancel function."""
        callbacks = self.observers.setdefault(bus_arn, [])
        callbacks.append(callback)

        def cancel() -> None:
            if callback in callbacks:
                callbacks.remove(callback)

        return cancel

    def _observe(self, bus: Bus, event: dict) -> None:
        """Hook for the schema discoverer (engine.services.schemas) watching this bus."""
        for observer in self.observers.get(bus.arn, ()):
            observer(event)

    def start_deliveries(self, deliveries: list, event: dict, trace_id: str | None) -> None:
        """Start one delivery task per (rule, target), after the caller has returned."""
        for rule, target in deliveries:
            # Each target's retries run on their own, so a failing target never delays another.
            self.engine.spawn(
                self.delivery.deliver(rule, target, event, trace_id), name=f"events:{target.arn}"
            )

    def test_event_pattern(self, params: dict) -> dict:
        from ...patterns import parse_event_pattern

        _, compiled = parse_event_pattern(params["EventPattern"])
        try:
            event = json.loads(params["Event"])
        except ValueError:
            event = None
        if not isinstance(event, dict) or any(f not in event for f in _REQUIRED_EVENT_FIELDS):
            raise validation("Parameter Event is not valid.")
        return {"Result": matches(compiled, event)}

    # -- the fabric ---------------------------------------------------------------------
    def owns(self, arn: str) -> bool:
        return any(
            bus.arn == arn for bus in self.buses.values()
        ) or self.destinations_api.owns_api_destination(arn)

    async def deliver(self, target_arn: str, envelope: Envelope) -> str:
        """Another service (a rule on another bus, Scheduler, Pipes) puts an event on a bus.

        A rule whose target is an API destination also arrives here: that is an HTTP call.
        """
        if ":api-destination/" in target_arn:
            return str(await self.destinations_api.invoke_api_destination(target_arn, envelope))
        if self.engine.settings.get(ENFORCE_SETTING) and envelope.options.get("role_arn"):
            # Pipes and Step Functions put events with their role (rule-to-bus hops use a
            # target role AWS does not check against the bus policy in one account).
            check_delivery(self.engine, envelope, target_arn, "events:PutEvents")
        bus = next((b for b in self.buses.values() if b.arn == target_arn), None)
        if bus is None:
            raise bus_not_found(bus_name_from(target_arn))
        entry = envelope.body
        if isinstance(entry, str):
            entry = json.loads(entry)
        return self.put_event(bus.name, entry, envelope.trace_id)

    # -- views ----------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes: list[Node] = []
        edges: list[Edge] = []
        for bus in self.buses.values():
            nodes.append(
                Node(bus.arn, "bus", bus.name, self.name, {"put": bus.put, "rules": len(bus.rules)})
            )
            for rule in bus.rules.values():
                delivered = sum(t.delivered for t in rule.targets.values())
                failed = sum(t.failed for t in rule.targets.values())
                nodes.append(
                    Node(
                        rule.arn,
                        "rule",
                        rule.name,
                        self.name,
                        {"matched": rule.matched, "delivered": delivered, "errors": failed},
                        parent=bus.arn,
                    )
                )
                for target in rule.targets.values():
                    counters = {"delivered": target.delivered, "errors": target.failed}
                    edges.append(Edge(rule.arn, target.arn, "rule-target", target.id, counters))
                    if target.dead_letter_arn:
                        edges.append(
                            Edge(rule.arn, target.dead_letter_arn, "dead-letter", target.id)
                        )
        return nodes, edges

    def dump(self) -> dict[str, Any]:
        buses = []
        for bus in self.buses.values():
            rules = []
            for rule in bus.rules.values():
                rules.append(
                    {
                        "Name": rule.name,
                        "EventPattern": rule.event_pattern,
                        "ScheduleExpression": rule.schedule_expression,
                        "State": rule.state,
                        "Description": rule.description,
                        "RoleArn": rule.role_arn,
                        "Tags": [{"Key": k, "Value": v} for k, v in rule.tags.items()],
                        "Targets": [dict(t.spec) for t in rule.targets.values()],
                    }
                )
            buses.append(
                {
                    "Name": bus.name,
                    "Description": bus.description,
                    "Tags": [{"Key": k, "Value": v} for k, v in bus.tags.items()],
                    "Statements": list(bus.statements.values()),
                    "Rules": rules,
                }
            )
        return {
            "buses": buses,
            "archives": self.archives_api.dump(),
            "destinations": self.destinations_api.dump(),
        }

    def load(self, data: dict[str, Any]) -> None:
        self.destinations_api.load(data.get("destinations", {}))
        for saved in data.get("buses", []):
            if saved["Name"] != DEFAULT_BUS:
                params = {"Name": saved["Name"], "Tags": saved.get("Tags", [])}
                if saved.get("Description") is not None:
                    params["Description"] = saved["Description"]
                self.create_event_bus(params)
            bus = self.buses[saved["Name"]]
            bus.statements = {s["Sid"]: s for s in saved.get("Statements", [])}
            for rule in saved.get("Rules", []):
                params = {k: v for k, v in rule.items() if v is not None and k != "Targets"}
                params["EventBusName"] = bus.name
                if not params.get("Tags"):
                    params.pop("Tags", None)
                self.rules_api.put_rule(params)
                if rule["Targets"]:
                    self.rules_api.put_targets(
                        {"Rule": rule["Name"], "EventBusName": bus.name, "Targets": rule["Targets"]}
                    )
        self.archives_api.load(data.get("archives", []))


delegate_operations(
    EventsService,
    {
        "rules_api": RuleOperations,
        "archives_api": ArchiveOperations,
        "destinations_api": ApiDestinationOperations,
    },
)
