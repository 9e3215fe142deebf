"""CloudWatch Logs' stored configuration: resource policies, destinations, deliveries, export tasks.

These are kept and described as AWS does; export tasks write the group's events to S3 as
gzipped text files. Vended-log deliveries are recorded (the sources they name are not emulated).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import ServiceError

if TYPE_CHECKING:
    from .service import LogsService

MAX_RESOURCE_POLICIES = 10
#: Services that can vend logs through a delivery source (S3 cannot be one).
DELIVERY_SOURCE_SERVICES = {
    "cloudfront", "bedrock", "elasticloadbalancing", "codewhisperer", "sagemaker", "workmail",
    "mediapackage", "mediatailor", "appsync", "eks", "ivs", "states", "lambda", "apigateway",
    "cognito-idp", "pcs", "xray", "qdeveloper", "network-firewall", "bedrock-agentcore",
}  # fmt: skip
DESTINATION_TYPES = {"s3": "S3", "logs": "CWL", "firehose": "FH", "xray": "XRAY"}


def _not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def _document(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ServiceError(
            "InvalidParameterException", "The policy document is not valid JSON."
        ) from None


@dataclass(slots=True)
class ExportTask:
    """One export of a log group's events to an S3 bucket."""

    task_id: str
    params: dict[str, Any]
    created: int
    status: str = "PENDING"
    completed: int | None = None


@dataclass(slots=True)
class Stored:
    """A named configuration record with its tags."""

    view: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)


class LogsConfig:
    """The configuration half of CloudWatch Logs (operations delegated from LogsService)."""

    OPERATIONS = (
        "put_resource_policy", "describe_resource_policies", "delete_resource_policy",
        "put_destination", "put_destination_policy", "describe_destinations",
        "delete_destination", "put_delivery_source", "get_delivery_source",
        "describe_delivery_sources", "delete_delivery_source", "put_delivery_destination",
        "get_delivery_destination", "describe_delivery_destinations",
        "delete_delivery_destination", "put_delivery_destination_policy",
        "get_delivery_destination_policy", "delete_delivery_destination_policy",
        "create_delivery", "get_delivery", "describe_deliveries", "delete_delivery",
        "create_export_task", "describe_export_tasks", "cancel_export_task",
    )  # fmt: skip

    def __init__(self, service: LogsService) -> None:
        self.service = service
        self.policies: dict[str, dict[str, Any]] = {}
        self.destinations: dict[str, Stored] = {}
        self.sources: dict[str, Stored] = {}
        self.delivery_destinations: dict[str, Stored] = {}
        self.destination_policies: dict[str, str] = {}
        self.deliveries: dict[str, Stored] = {}
        self.exports: dict[str, ExportTask] = {}

    def tags_of(self, arn: str) -> dict[str, str] | None:
        """The tag dict of a destination, delivery source/destination or delivery, by ARN."""
        for table in (self.destinations, self.sources, self.delivery_destinations, self.deliveries):
            for stored in table.values():
                if stored.view.get("arn") == arn:
                    return stored.tags
        return None

    # -- resource policies --------------------------------------------------------------------------
    def put_resource_policy(self, params: dict) -> dict:
        name = params.get("policyName", "")
        document = params.get("policyDocument", "")
        _document(document)
        if name not in self.policies and len(self.policies) >= MAX_RESOURCE_POLICIES:
            raise ServiceError("LimitExceededException", "Resource limit exceeded.")
        policy = {
            "policyName": name,
            "policyDocument": document,
            "lastUpdatedTime": self.service.now_ms(),
            "policyScope": "ACCOUNT",
        }
        self.policies[name] = policy
        return {"resourcePolicy": dict(policy)}

    def describe_resource_policies(self, params: dict) -> dict:
        return {"resourcePolicies": [dict(p) for p in self.policies.values()]}

    def delete_resource_policy(self, params: dict) -> dict:
        name = params.get("policyName", "")
        if self.policies.pop(name, None) is None:
            raise _not_found(f"Policy with name [{name}] does not exist.")
        return {}

    # -- destinations (cross-account subscription targets) ------------------------------------------
    def put_destination(self, params: dict) -> dict:
        name = params["destinationName"]
        stored = self.destinations.get(name)
        view = {
            "destinationName": name,
            "targetArn": params["targetArn"],
            "roleArn": params["roleArn"],
            "arn": self.service.arn(f"destination:{name}"),
            "creationTime": stored.view["creationTime"] if stored else self.service.now_ms(),
        }
        if stored and "accessPolicy" in stored.view:
            view["accessPolicy"] = stored.view["accessPolicy"]
        self.destinations[name] = Stored(view, dict(params.get("tags", {})))
        return {"destination": dict(view)}

    def _destination(self, name: str) -> Stored:
        stored = self.destinations.get(name)
        if stored is None:
            raise _not_found("The specified destination does not exist.")
        return stored

    def put_destination_policy(self, params: dict) -> dict:
        _document(params["accessPolicy"])
        self._destination(params["destinationName"]).view["accessPolicy"] = params["accessPolicy"]
        return {}

    def describe_destinations(self, params: dict) -> dict:
        prefix = params.get("DestinationNamePrefix", "")
        return {
            "destinations": [
                dict(s.view) for n, s in sorted(self.destinations.items()) if n.startswith(prefix)
            ]
        }

    def delete_destination(self, params: dict) -> dict:
        self._destination(params["destinationName"])
        del self.destinations[params["destinationName"]]
        return {}

    # -- delivery sources and destinations ------------------------------------------------------------
    def put_delivery_source(self, params: dict) -> dict:
        arn = params["resourceArn"]
        parts = arn.split(":")
        if len(parts) < 6 or parts[2] not in DELIVERY_SOURCE_SERVICES:
            raise _not_found("Cannot access provided service.")
        name = params["name"]
        view = {
            "name": name,
            "arn": self.service.arn(f"delivery-source:{name}"),
            "resourceArns": [arn],
            "service": parts[2],
            "logType": params["logType"],
        }
        stored = Stored(view, dict(params.get("tags", {})))
        self.sources[name] = stored
        return {"deliverySource": self._with_tags(stored)}

    @staticmethod
    def _with_tags(stored: Stored) -> dict[str, Any]:
        view = dict(stored.view)
        if stored.tags:
            view["tags"] = dict(stored.tags)
        return view

    def _source(self, name: str, suffix: str = ".") -> Stored:
        stored = self.sources.get(name)
        if stored is None:
            raise _not_found(f"Requested Delivery Source does not exist in this account{suffix}")
        return stored

    def get_delivery_source(self, params: dict) -> dict:
        return {"deliverySource": self._with_tags(self._source(params["name"]))}

    def describe_delivery_sources(self, params: dict) -> dict:
        return {"deliverySources": [self._with_tags(s) for _, s in sorted(self.sources.items())]}

    def delete_delivery_source(self, params: dict) -> dict:
        self._source(params["name"], "..")
        del self.sources[params["name"]]
        return {}

    def put_delivery_destination(self, params: dict) -> dict:
        name = params["name"]
        configuration = params.get("deliveryDestinationConfiguration", {})
        target = configuration.get("destinationResourceArn", "")
        kind = DESTINATION_TYPES.get(target.split(":")[2] if target.count(":") >= 5 else "")
        if kind is None:
            raise ServiceError("ValidationException", f"Invalid destination resource ARN: {target}")
        view: dict[str, Any] = {
            "name": name,
            "arn": self.service.arn(f"delivery-destination:{name}"),
            "deliveryDestinationType": kind,
            "deliveryDestinationConfiguration": {"destinationResourceArn": target},
        }
        if "outputFormat" in params:
            view["outputFormat"] = params["outputFormat"]
        stored = Stored(view, dict(params.get("tags", {})))
        self.delivery_destinations[name] = stored
        return {"deliveryDestination": self._with_tags(stored)}

    def _delivery_destination(self, name: str) -> Stored:
        stored = self.delivery_destinations.get(name)
        if stored is None:
            raise _not_found("Requested Delivery Destination does not exist in this account.")
        return stored

    def get_delivery_destination(self, params: dict) -> dict:
        return {"deliveryDestination": self._with_tags(self._delivery_destination(params["name"]))}

    def describe_delivery_destinations(self, params: dict) -> dict:
        return {
            "deliveryDestinations": [
                self._with_tags(s) for _, s in sorted(self.delivery_destinations.items())
            ]
        }

    def delete_delivery_destination(self, params: dict) -> dict:
        self._delivery_destination(params["name"])
        del self.delivery_destinations[params["name"]]
        self.destination_policies.pop(params["name"], None)
        return {}

    def put_delivery_destination_policy(self, params: dict) -> dict:
        name = params["deliveryDestinationName"]
        self._delivery_destination(name)
        _document(params["deliveryDestinationPolicy"])
        self.destination_policies[name] = params["deliveryDestinationPolicy"]
        return {"policy": {"deliveryDestinationPolicy": params["deliveryDestinationPolicy"]}}

    def get_delivery_destination_policy(self, params: dict) -> dict:
        name = params["deliveryDestinationName"]
        self._delivery_destination(name)
        policy = self.destination_policies.get(name)
        return {"policy": {"deliveryDestinationPolicy": policy} if policy else {}}

    def delete_delivery_destination_policy(self, params: dict) -> dict:
        name = params["deliveryDestinationName"]
        self._delivery_destination(name)
        self.destination_policies.pop(name, None)
        return {}

    # -- deliveries ---------------------------------------------------------------------------------
    def create_delivery(self, params: dict) -> dict:
        self._source(params["deliverySourceName"])
        target_arn = params["deliveryDestinationArn"]
        destination = next(
            (d for d in self.delivery_destinations.values() if d.view["arn"] == target_arn), None
        )
        if destination is None:
            raise _not_found("Requested Delivery Destination does not exist in this account.")
        delivery_id = self.service.ids.token(16)
        view: dict[str, Any] = {
            "id": delivery_id,
            "arn": self.service.arn(f"delivery:{delivery_id}"),
            "deliverySourceName": params["deliverySourceName"],
            "deliveryDestinationArn": target_arn,
            "deliveryDestinationType": destination.view["deliveryDestinationType"],
        }
        for key in ("recordFields", "fieldDelimiter", "s3DeliveryConfiguration"):
            if key in params:
                view[key] = json.loads(json.dumps(params[key]))
        stored = Stored(view, dict(params.get("tags", {})))
        self.deliveries[delivery_id] = stored
        return {"delivery": self._with_tags(stored)}

    def _delivery(self, delivery_id: str) -> Stored:
        stored = self.deliveries.get(delivery_id)
        if stored is None:
            raise _not_found("Requested Delivery does not exist in this account.")
        return stored

    def get_delivery(self, params: dict) -> dict:
        return {"delivery": self._with_tags(self._delivery(params["id"]))}

    def describe_deliveries(self, params: dict) -> dict:
        return {"deliveries": [self._with_tags(s) for s in self.deliveries.values()]}

    def delete_delivery(self, params: dict) -> dict:
        self._delivery(params["id"])
        del self.deliveries[params["id"]]
        return {}

    # -- export tasks -----------------------------------------------------------------------------
    def create_export_task(self, params: dict) -> dict:
        service = self.service
        group = service._group(params)
        engine = service.engine
        bucket = params["destination"]
        if "s3" not in engine.available_services() or bucket not in engine.service("s3").buckets:
            raise ServiceError(
                "InvalidParameterException",
                "The given bucket does not exist. Please make sure the bucket is valid.",
            )
        task = ExportTask(service.ids.uuid(), dict(params), service.now_ms())
        task.params["logGroupName"] = group.name
        self.exports[task.task_id] = task
        # Exports start a moment later, as on AWS (they are queued first).
        service.clock.call_later(1.0, self._run_export, task)
        return {"taskId": task.task_id}

    def _run_export(self, task: ExportTask) -> None:
        if task.status != "PENDING":
            return
        service = self.service
        params = task.params
        group = service.groups.get(params["logGroupName"])
        s3 = service.engine.service("s3")
        prefix = params.get("destinationPrefix", "exportedlogs")
        if group is not None and params["destination"] in s3.buckets:
            for stream in group.streams.values():
                if not stream.name.startswith(params.get("logStreamNamePrefix", "")):
                    continue
                low, high = stream.window(params["from"], params["to"])
                if low == high:
                    continue
                lines = "".join(
                    f"{_iso(e.timestamp)} {e.message}\n" for e in stream.events[low:high]
                )
                key = f"{prefix}/{task.task_id}/{stream.name}/000000.gz"
                s3.put_object_internal(params["destination"], key, gzip.compress(lines.encode()))
        task.status = "COMPLETED"
        task.completed = service.now_ms()

    def describe_export_tasks(self, params: dict) -> dict:
        tasks = [
            t
            for t in self.exports.values()
            if params.get("taskId") in (None, t.task_id)
            and params.get("statusCode") in (None, t.status)
        ]
        views = []
        for task in tasks:
            p = task.params
            view: dict[str, Any] = {
                "taskId": task.task_id,
                "logGroupName": p["logGroupName"],
                "from": p["from"],
                "to": p["to"],
                "destination": p["destination"],
                "destinationPrefix": p.get("destinationPrefix", "exportedlogs"),
                "status": {"code": task.status},
                "executionInfo": {"creationTime": task.created},
            }
            if "taskName" in p:
                view["taskName"] = p["taskName"]
            if task.completed is not None:
                view["executionInfo"]["completionTime"] = task.completed
            views.append(view)
        return {"exportTasks": views}

    def cancel_export_task(self, params: dict) -> dict:
        task = self.exports.get(params["taskId"])
        if task is None:
            raise _not_found("The specified export task does not exist.")
        if task.status not in ("PENDING", "RUNNING"):
            raise ServiceError(
                "InvalidOperationException", "The specified export task has already finished."
            )
        task.status = "CANCELLED"
        return {}


def _iso(timestamp_ms: int) -> str:
    from datetime import UTC, datetime

    return (
        datetime.fromtimestamp(timestamp_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    )
