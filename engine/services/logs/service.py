"""Amazon CloudWatch Logs: groups, streams, events, filter patterns, metric and subscription filters.

Internal API (Lambda, Step Functions, API Gateway, CloudFormation):
`logs.ingest(group, stream, [(timestamp_ms, message), ...])` writes events the way a service's
own log agent does (creating the group and stream as AWS does for Lambda), then runs metric and
subscription filters; `logs.group(name)` returns the LogGroup or None.
Retention is applied on the engine clock: events older than the group's retention are gone.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from ...errors import FunctionError, ServiceError
from ...service import Envelope, Service
from ...topology import Edge, Node
from .config import LogsConfig
from .insights import Insights
from .models import EVENT_OVERHEAD, LogEvent, LogGroup, LogStream, MetricFilter, SubscriptionFilter
from .patterns import PatternError, compile_pattern, metric_value

DAY_MS = 86_400_000
RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip
MAX_BATCH_BYTES = 1_048_576
MAX_BATCH_EVENTS = 10_000
TOO_OLD_MS = 14 * DAY_MS
TOO_NEW_MS = 2 * 3_600_000
MAX_SUBSCRIPTIONS = 2


def invalid(message: str) -> ServiceError:
    """AWS's InvalidParameterException."""
    return ServiceError("InvalidParameterException", message)


def not_found(message: str) -> ServiceError:
    """AWS's ResourceNotFoundException."""
    return ServiceError("ResourceNotFoundException", message)


class LogsService(Service):
    """CloudWatch Logs on the engine clock."""

    name = "logs"
    validation_error_code = "InvalidParameterException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.groups: dict[str, LogGroup] = {}
        self._event_seq = 0
        self.insights = Insights(self)
        self.config = LogsConfig(self)
        # Delegated operations: resource policies, destinations, deliveries, export tasks, queries.
        for owner in (self.config, self.insights):
            for operation in owner.OPERATIONS:
                setattr(self, operation, getattr(owner, operation))
        # Lambda writes its logs here from now on; what it kept so far is ingested now.
        functions = engine.running("lambda")
        if functions is not None:
            for function in list(functions.functions.values()):
                for log in list(function.logs.invocations):
                    self.ingest_lambda(function.name, log.version, log)

    # -- lookup ---------------------------------------------------------------------------------
    def group(self, name: str) -> LogGroup | None:
        """The log group `name` (or its ARN), or None."""
        if name.startswith("arn:"):
            name = name.split(":log-group:", 1)[-1].removesuffix(":*")
        return self.groups.get(name)

    def _group(self, params: dict, *, key: str = "logGroupName") -> LogGroup:
        name = params.get(key)
        identifier = params.get("logGroupIdentifier")
        if name is not None and identifier is not None:
            raise invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        group = self.group(name or identifier or "")
        if group is None:
            raise not_found("The specified log group does not exist.")
        return group

    def _stream(self, group: LogGroup, name: str) -> LogStream:
        stream = group.streams.get(name)
        if stream is None:
            raise not_found("The specified log stream does not exist.")
        return stream

    def owns(self, arn: str) -> bool:
        return ":log-group:" in arn and self.group(arn) is not None

    def now_ms(self) -> int:
        """The engine clock in epoch milliseconds."""
        return int(self.clock.now() * 1000)

    def _expire(self, group: LogGroup, stream: LogStream) -> None:
        if group.retention_days is not None:
            stream.expire(self.now_ms() - group.retention_days * DAY_MS)

    # -- groups -----------------------------------------------------------------------------------
    def create_log_group(self, params: dict) -> dict:
        name = params["logGroupName"]
        if name in self.groups:
            raise ServiceError(
                "ResourceAlreadyExistsException", "The specified log group already exists"
            )
        self._create_group(
            name,
            tags=params.get("tags", {}),
            kms_key_id=params.get("kmsKeyId"),
            log_group_class=params.get("logGroupClass", "STANDARD"),
        )
        return {}

    def _create_group(self, name: str, **settings: Any) -> LogGroup:
        group = LogGroup(
            name,
            self.arn(f"log-group:{name}:*"),
            self.now_ms(),
            kms_key_id=settings.get("kms_key_id"),
            log_group_class=settings.get("log_group_class", "STANDARD"),
            tags=dict(settings.get("tags") or {}),
        )
        self.groups[name] = group
        self.emit("created", group.plain_arn)
        return group

    def delete_log_group(self, params: dict) -> dict:
        group = self._group(params)
        del self.groups[group.name]
        self.emit("deleted", group.plain_arn)
        return {}

    def describe_log_groups(self, params: dict) -> dict:
        prefix = params.get("logGroupNamePrefix")
        pattern = params.get("logGroupNamePattern")
        if prefix is not None and pattern is not None:
            raise invalid(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
            )
        identifiers = params.get("logGroupIdentifiers")
        chosen = []
        for name in sorted(self.groups):
            if prefix is not None and not name.startswith(prefix):
                continue
            if pattern is not None and pattern.lower() not in name.lower():
                continue
            group = self.groups[name]
            if identifiers and name not in identifiers and group.plain_arn not in identifiers:
                continue
            if params.get("logGroupClass") and group.log_group_class != params["logGroupClass"]:
                continue
            chosen.append(self._group_view(group))
        page, token = self._page(chosen, params, 50)
        result: dict[str, Any] = {"logGroups": page}
        if token:
            result["nextToken"] = token
        return result

    def _group_view(self, group: LogGroup) -> dict[str, Any]:
        view: dict[str, Any] = {
            "logGroupName": group.name,
            "creationTime": group.created,
            "metricFilterCount": len(group.metric_filters),
            "arn": group.arn,
            "storedBytes": group.stored_bytes(),
            "logGroupClass": group.log_group_class,
            "logGroupArn": group.plain_arn,
        }
        if group.retention_days is not None:
            view["retentionInDays"] = group.retention_days
        if group.kms_key_id is not None:
            view["kmsKeyId"] = group.kms_key_id
        if group.deletion_protection:
            view["deletionProtectionEnabled"] = True
        return view

    def list_log_groups(self, params: dict) -> dict:
        pattern = params.get("logGroupNamePattern")
        chosen = [
            {
                "logGroupName": g.name,
                "logGroupArn": g.plain_arn,
                "logGroupClass": g.log_group_class,
            }
            for name, g in sorted(self.groups.items())
            if pattern is None or pattern.lower() in name.lower()
        ]
        page, token = self._page(chosen, params, 50)
        result: dict[str, Any] = {"logGroups": page}
        if token:
            result["nextToken"] = token
        return result

    def _page(self, items: list, params: dict, default: int) -> tuple[list, str | None]:
        token = params.get("nextToken")
        start = 0
        if token:
            try:
                start = int(base64.b64decode(token).decode())
            except ValueError:
                raise invalid("The specified nextToken is invalid.") from None
        size = params.get("limit") or default
        end = start + size
        return items[start:end], (
            base64.b64encode(str(end).encode()).decode() if end < len(items) else None
        )

    def put_retention_policy(self, params: dict) -> dict:
        group = self._group(params)
        days = params["retentionInDays"]
        if days not in RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in RETENTION_DAYS)
            raise invalid(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
                f"satisfy constraint: Member must satisfy enum value set: [{allowed}]"
            )
        group.retention_days = days
        for stream in group.streams.values():
            self._expire(group, stream)
        return {}

    def delete_retention_policy(self, params: dict) -> dict:
        self._group(params).retention_days = None
        return {}

    def associate_kms_key(self, params: dict) -> dict:
        self._group(params).kms_key_id = params["kmsKeyId"]
        return {}

    def disassociate_kms_key(self, params: dict) -> dict:
        self._group(params).kms_key_id = None
        return {}

    # -- tags -------------------------------------------------------------------------------------
    def tag_log_group(self, params: dict) -> dict:
        self._group(params).tags.update(params["tags"])
        return {}

    def untag_log_group(self, params: dict) -> dict:
        group = self._group(params)
        for key in params["tags"]:
            group.tags.pop(key, None)
        return {}

    def list_tags_log_group(self, params: dict) -> dict:
        return {"tags": dict(self._group(params).tags)}

    def _tagged(self, arn: str) -> dict[str, str]:
        if ":log-group:" in arn:
            group = self.group(arn)
            if group is not None:
                return group.tags
        tags = self.config.tags_of(arn)
        if tags is None:
            raise not_found(f"The specified resource does not exist: {arn}")
        return tags

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

    # -- streams ---------------------------------------------------------------------------------
    def create_log_stream(self, params: dict) -> dict:
        group = self._group(params)
        name = params["logStreamName"]
        if name in group.streams:
            raise ServiceError(
                "ResourceAlreadyExistsException", "The specified log stream already exists"
            )
        self._create_stream(group, name)
        return {}

    def _create_stream(self, group: LogGroup, name: str) -> LogStream:
        stream = LogStream(name, f"{group.plain_arn}:log-stream:{name}", self.now_ms())
        group.streams[name] = stream
        return stream

    def delete_log_stream(self, params: dict) -> dict:
        group = self._group(params)
        self._stream(group, params["logStreamName"])
        del group.streams[params["logStreamName"]]
        return {}

    def describe_log_streams(self, params: dict) -> dict:
        if params.get("logGroupName") is not None and params.get("logGroupIdentifier") is not None:
            raise ServiceError(
                "ValidationException",
                "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
            )
        group = self._group(params)
        prefix = params.get("logStreamNamePrefix")
        order = params.get("orderBy", "LogStreamName")
        if prefix is not None and order == "LastEventTime":
            raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        streams = [s for n, s in group.streams.items() if prefix is None or n.startswith(prefix)]
        if order == "LastEventTime":
            streams.sort(key=lambda s: (s.last_event or 0, s.name))
        else:
            streams.sort(key=lambda s: s.name)
        if params.get("descending"):
            streams.reverse()
        views = []
        for stream in streams:
            view: dict[str, Any] = {
                "logStreamName": stream.name,
                "creationTime": stream.created,
                "arn": stream.arn,
                "storedBytes": 0,
            }
            if stream.first_event is not None:
                view["firstEventTimestamp"] = stream.first_event
                view["lastEventTimestamp"] = stream.last_event
                view["lastIngestionTime"] = stream.last_ingestion
                view["uploadSequenceToken"] = self.ids.digits(56)
            views.append(view)
        page, token = self._page(views, params, 50)
        result: dict[str, Any] = {"logStreams": page}
        if token:
            result["nextToken"] = token
        return result

    # -- writing ----------------------------------------------------------------------------------
    def put_log_events(self, params: dict) -> dict:
        group = self._group(params)
        stream = self._stream(group, params["logStreamName"])
        events = params["logEvents"]
        if len(events) > MAX_BATCH_EVENTS:
            raise invalid(
                f"1 validation error detected: Value '{events}' at 'logEvents' failed to satisfy "
                "constraint: Member must have length less than or equal to 10000"
            )
        size = 0
        previous = None
        for event in events:
            size += len(event["message"].encode()) + EVENT_OVERHEAD
            if previous is not None and event["timestamp"] < previous:
                raise invalid(
                    "Log events in a single PutLogEvents request must be in chronological order."
                )
            previous = event["timestamp"]
        if size > MAX_BATCH_BYTES:
            raise ServiceError(
                "InvalidParameterException",
                "Upload too large: the batch exceeds 1,048,576 bytes.",
            )
        if events and events[-1]["timestamp"] - events[0]["timestamp"] > DAY_MS:
            raise invalid(
                "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
            )
        now = self.now_ms()
        oldest = now - TOO_OLD_MS
        expired_before = (
            now - group.retention_days * DAY_MS if group.retention_days is not None else None
        )
        newest = now + TOO_NEW_MS
        rejected: dict[str, int] = {}
        accepted: list[tuple[int, str]] = []
        for index, event in enumerate(events):
            timestamp = event["timestamp"]
            if timestamp > newest:
                rejected.setdefault("tooNewLogEventStartIndex", index)
                continue
            if timestamp < oldest:
                rejected["tooOldLogEventEndIndex"] = index
                continue
            if expired_before is not None and timestamp < expired_before:
                rejected["expiredLogEventEndIndex"] = index
                continue
            accepted.append((timestamp, event["message"]))
        self._write(group, stream, accepted)
        result: dict[str, Any] = {"nextSequenceToken": self.ids.digits(56)}
        if rejected:
            result["rejectedLogEventsInfo"] = rejected
        return result

    def ingest(self, group_name: str, stream_name: str, events: list[tuple[int, str]]) -> None:
        """Write events for a service (Lambda, Step Functions, API Gateway), creating as needed."""
        group = self.groups.get(group_name) or self._create_group(group_name)
        stream = group.streams.get(stream_name) or self._create_stream(group, stream_name)
        self._write(group, stream, events)

    def ingest_arn(self, group_arn: str, stream_name: str, message: str) -> None:
        """One line to the log group named by an ARN (API Gateway access logs); now-stamped."""
        name = group_arn.split(":log-group:", 1)[-1].removesuffix(":*")
        if name:
            self.ingest(name, stream_name, [(self.now_ms(), message)])

    def ingest_lambda(self, function_name: str, version: str, log: Any) -> None:
        """One finished Lambda invocation into /aws/lambda/<function> (START … END, REPORT)."""
        stream = log.stream
        if not stream:
            day = self.clock.datetime().strftime("%Y/%m/%d")
            stream = f"{day}/[{version}]{self.ids.hex(32)}"
        self.ingest(f"/aws/lambda/{function_name}", stream, log.events())

    def _write(self, group: LogGroup, stream: LogStream, events: list[tuple[int, str]]) -> None:
        if not events:
            return
        now = self.now_ms()
        written = []
        for timestamp, message in events:
            self._event_seq += 1
            event = LogEvent(timestamp, message, now, f"{self._event_seq:056d}")
            stream.add(event)
            written.append(event)
        self._expire(group, stream)
        if self.trace.enabled:
            self.emit("put", stream.arn, count=len(written), first=written[0].message[:256])
        if group.metric_filters:
            self._apply_metric_filters(group, written)
        if group.subscriptions:
            for subscription in group.subscriptions.values():
                matched = [e for e in written if subscription.pattern.match(e.message) is not None]
                if matched:
                    self.engine.spawn(
                        self._deliver(group, stream, subscription, matched),
                        name=f"logs subscription {subscription.name}",
                    )

    # -- reading ----------------------------------------------------------------------------------
    def get_log_events(self, params: dict) -> dict:
        group = self._group(params)
        stream = self._stream(group, params["logStreamName"])
        self._expire(group, stream)
        low, high = stream.window(params.get("startTime"), params.get("endTime"))
        limit = params.get("limit", 10_000)
        token = params.get("nextToken")
        if token:
            direction, position = _read_token(token)
            position = min(max(position, low), high)
            if direction == "f":
                first, last = position, min(high, position + limit)
            else:
                first, last = max(low, position - limit), position
        elif params.get("startFromHead"):
            first, last = low, min(high, low + limit)
        else:
            first, last = max(low, high - limit), high
        events = [
            {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}
            for e in stream.events[first:last]
        ]
        return {
            "events": events,
            "nextForwardToken": f"f/{last:056d}",
            "nextBackwardToken": f"b/{first:056d}",
        }

    def filter_log_events(self, params: dict) -> dict:
        group = self._group(params)
        names = params.get("logStreamNames")
        prefix = params.get("logStreamNamePrefix")
        if names is not None and prefix is not None:
            raise invalid(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters."
            )
        try:
            pattern = compile_pattern(params.get("filterPattern"))
        except PatternError:
            raise invalid("Invalid filter pattern") from None
        streams = [
            s
            for n, s in sorted(group.streams.items())
            if (names is None or n in names) and (prefix is None or n.startswith(prefix))
        ]
        found: list[tuple[int, str, LogStream, LogEvent]] = []
        for stream in streams:
            self._expire(group, stream)
            low, high = stream.window(params.get("startTime"), params.get("endTime"))
            for event in stream.events[low:high]:
                if pattern.match(event.message) is not None:
                    found.append((event.timestamp, event.event_id, stream, event))
        found.sort(key=lambda item: (item[0], item[1]))
        start = 0
        if params.get("nextToken"):
            try:
                start = int(base64.b64decode(params["nextToken"]).decode())
            except ValueError:
                raise invalid("The specified nextToken is invalid.") from None
        limit = params.get("limit", 10_000)
        page = found[start : start + limit]
        result: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": stream.name,
                    "timestamp": event.timestamp,
                    "message": event.message,
                    "ingestionTime": event.ingestion_time,
                    "eventId": event.event_id,
                }
                for _, _, stream, event in page
            ],
            "searchedLogStreams": [
                {"logStreamName": s.name, "searchedCompletely": True} for s in streams
            ],
        }
        if start + limit < len(found):
            result["nextToken"] = base64.b64encode(str(start + limit).encode()).decode()
        return result

    # -- metric filters -----------------------------------------------------------------------------
    def put_metric_filter(self, params: dict) -> dict:
        group = self._group(params)
        try:
            pattern = compile_pattern(params["filterPattern"])
        except PatternError:
            raise invalid("Invalid metric filter pattern") from None
        transformations = [dict(t) for t in params["metricTransformations"]]
        for transformation in transformations:
            value = transformation["metricValue"]
            if value.startswith("$") and pattern.kind not in ("json", "delimited"):
                raise invalid(
                    "Invalid metric value for filter pattern: a $ selector needs a JSON or "
                    "space-delimited filter pattern."
                )
        group.metric_filters[params["filterName"]] = MetricFilter(
            params["filterName"],
            pattern,
            transformations,
            self.now_ms(),
            params.get("applyOnTransformedLogs", False),
        )
        return {}

    def delete_metric_filter(self, params: dict) -> dict:
        group = self._group(params)
        if group.metric_filters.pop(params["filterName"], None) is None:
            raise not_found("The specified metric filter does not exist.")
        return {}

    def describe_metric_filters(self, params: dict) -> dict:
        name = params.get("logGroupName")
        groups = [self._group(params)] if name else [self.groups[n] for n in sorted(self.groups)]
        metric, namespace = params.get("metricName"), params.get("metricNamespace")
        if (metric is None) != (namespace is None):
            raise invalid(
                "If you include the metricName parameter in your request, you must also include "
                "the metricNamespace parameter."
            )
        prefix = params.get("filterNamePrefix", "")
        views = []
        for group in groups:
            for filter_name in sorted(group.metric_filters):
                metric_filter = group.metric_filters[filter_name]
                if not filter_name.startswith(prefix):
                    continue
                if metric is not None and not any(
                    t["metricName"] == metric and t["metricNamespace"] == namespace
                    for t in metric_filter.transformations
                ):
                    continue
                views.append(
                    {
                        "filterName": filter_name,
                        "filterPattern": metric_filter.pattern.text,
                        "metricTransformations": [dict(t) for t in metric_filter.transformations],
                        "creationTime": metric_filter.created,
                        "logGroupName": group.name,
                        "applyOnTransformedLogs": metric_filter.apply_on_transformed,
                    }
                )
        views.sort(key=lambda view: view["filterName"])  # AWS lists by name across groups
        page, token = self._page(views, params, 50)
        result: dict[str, Any] = {"metricFilters": page}
        if token:
            result["nextToken"] = token
        return result

    def test_metric_filter(self, params: dict) -> dict:
        try:
            pattern = compile_pattern(params["filterPattern"])
        except PatternError:
            raise invalid("Invalid metric filter pattern") from None
        matches = []
        for number, message in enumerate(params["logEventMessages"], start=1):
            extracted = pattern.match(message)
            if extracted is not None:
                matches.append(
                    {
                        "eventNumber": number,
                        "eventMessage": message,
                        "extractedValues": {k: _text(v) for k, v in extracted.items()},
                    }
                )
        return {"matches": matches}

    def _apply_metric_filters(self, group: LogGroup, events: list[LogEvent]) -> None:
        cloudwatch = self.engine.service("cloudwatch")
        for metric_filter in group.metric_filters.values():
            for transformation in metric_filter.transformations:
                dimensions = transformation.get("dimensions") or {}
                for event in events:
                    extracted = metric_filter.pattern.match(event.message)
                    if extracted is None:
                        default = transformation.get("defaultValue")
                        if default is None:
                            continue
                        value: float | None = float(default)
                        resolved: dict[str, str] = {}
                    else:
                        value = metric_value(
                            transformation["metricValue"], event.message, extracted
                        )
                        if value is None:
                            continue
                        resolved = {k: _text(extracted.get(v, v)) for k, v in dimensions.items()}
                    cloudwatch.record(
                        transformation["metricNamespace"],
                        transformation["metricName"],
                        resolved,
                        value,
                        timestamp=event.timestamp / 1000,
                        unit=transformation.get("unit"),
                    )

    # -- subscription filters -----------------------------------------------------------------------
    async def put_subscription_filter(self, params: dict) -> dict:
        group = self._group(params)
        name = params["filterName"]
        destination = params["destinationArn"]
        if name not in group.subscriptions and len(group.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise ServiceError("LimitExceededException", "Resource limit exceeded.")
        try:
            pattern = compile_pattern(params["filterPattern"])
        except PatternError:
            raise invalid("Invalid subscription filter pattern") from None
        service = destination.split(":")[2] if destination.count(":") >= 5 else ""
        if service in ("kinesis", "firehose") and not params.get("roleArn"):
            raise invalid(f"destinationArn for vendor {service} cannot be used without roleArn")
        if service not in ("lambda", "kinesis", "firehose", "logs"):
            raise invalid(f"Invalid destination ARN: {destination}")
        if service == "lambda" and destination.split(":")[4] != self.account_id:
            raise invalid(
                "Cross-account lambda invocation passing is not allowed. You must use "
                "DestinationPolicies to create cross account lambda triggers."
            )
        if service != "logs" and not await self.engine.fabric.exists(destination):
            raise invalid(
                "Could not deliver test message to specified destination. Check if "
                "the destination is valid."
            )
        group.subscriptions[name] = SubscriptionFilter(
            name,
            pattern,
            destination,
            params.get("roleArn"),
            params.get("distribution", "ByLogStream"),
            self.now_ms(),
        )
        self.emit("created", f"{group.plain_arn}:subscription-filter:{name}", target=destination)
        return {}

    def delete_subscription_filter(self, params: dict) -> dict:
        group = self._group(params)
        if group.subscriptions.pop(params["filterName"], None) is None:
            raise not_found("The specified subscription filter does not exist.")
        return {}

    def describe_subscription_filters(self, params: dict) -> dict:
        group = self._group(params)
        prefix = params.get("filterNamePrefix", "")
        views = []
        for name in sorted(group.subscriptions):
            if not name.startswith(prefix):
                continue
            subscription = group.subscriptions[name]
            view = {
                "filterName": name,
                "logGroupName": group.name,
                "filterPattern": subscription.pattern.text,
                "destinationArn": subscription.destination,
                "distribution": subscription.distribution,
                "creationTime": subscription.created,
            }
            if subscription.role_arn:
                view["roleArn"] = subscription.role_arn
            views.append(view)
        page, token = self._page(views, params, 50)
        result: dict[str, Any] = {"subscriptionFilters": page}
        if token:
            result["nextToken"] = token
        return result

    def subscription_payload(
        self, group: LogGroup, stream: LogStream, subscription: SubscriptionFilter, events: list
    ) -> bytes:
        """AWS's gzipped DATA_MESSAGE for one batch of matched events."""
        document = {
            "messageType": "DATA_MESSAGE",
            "owner": self.account_id,
            "logGroup": group.name,
            "logStream": stream.name,
            "subscriptionFilters": [subscription.name],
            "logEvents": [
                {"id": e.event_id, "timestamp": e.timestamp, "message": e.message} for e in events
            ],
        }
        # mtime=0: the same events give the same bytes (deterministic replays).
        return gzip.compress(json.dumps(document).encode(), mtime=0)

    async def _deliver(
        self, group: LogGroup, stream: LogStream, subscription: SubscriptionFilter, events: list
    ) -> None:
        data = self.subscription_payload(group, stream, subscription, events)
        destination = subscription.destination
        service = destination.split(":")[2]
        if service == "lambda":
            envelope = Envelope(
                {"awslogs": {"data": base64.b64encode(data).decode()}},
                source_arn=group.plain_arn,
                options={"invocation_type": "Event"},
            )
        elif service == "kinesis":
            envelope = Envelope(
                data, source_arn=group.plain_arn, options={"partition_key": stream.name}
            )
        elif service == "firehose":
            envelope = Envelope(data, source_arn=group.plain_arn)
        else:
            return
        try:
            await self.engine.fabric.deliver(destination, envelope)
        except (FunctionError, ServiceError) as error:
            subscription.failed += 1
            self.emit(
                "delivery-failed", group.plain_arn, target=destination, error=error.message[:256]
            )
            return
        subscription.delivered += 1
        self.emit("delivered", group.plain_arn, target=destination, count=len(events))

    # -- save / open ------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """Groups with their settings, filters, streams and events."""
        if not self.groups:
            return None
        return {
            "groups": [
                {
                    "name": g.name,
                    "created": g.created,
                    "retention": g.retention_days,
                    "kms_key_id": g.kms_key_id,
                    "class": g.log_group_class,
                    "tags": g.tags,
                    "metric_filters": [
                        {
                            "name": f.name,
                            "pattern": f.pattern.text,
                            "transformations": f.transformations,
                        }
                        for f in g.metric_filters.values()
                    ],
                    "subscriptions": [
                        {
                            "name": f.name,
                            "pattern": f.pattern.text,
                            "destination": f.destination,
                            "role": f.role_arn,
                            "distribution": f.distribution,
                        }
                        for f in g.subscriptions.values()
                    ],
                    "streams": [
                        {
                            "name": s.name,
                            "created": s.created,
                            "events": [
                                [e.timestamp, e.message, e.ingestion_time] for e in s.events
                            ],
                        }
                        for s in g.streams.values()
                    ],
                }
                for g in self.groups.values()
            ]
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore what dump() produced."""
        for saved in data.get("groups", []):
            group = self._create_group(
                saved["name"],
                kms_key_id=saved.get("kms_key_id"),
                log_group_class=saved.get("class", "STANDARD"),
                tags=saved.get("tags"),
            )
            group.created = saved.get("created", group.created)
            group.retention_days = saved.get("retention")
            for f in saved.get("metric_filters", []):
                group.metric_filters[f["name"]] = MetricFilter(
                    f["name"], compile_pattern(f["pattern"]), f["transformations"], group.created
                )
            for f in saved.get("subscriptions", []):
                group.subscriptions[f["name"]] = SubscriptionFilter(
                    f["name"], compile_pattern(f["pattern"]), f["destination"], f.get("role"),
                    f.get("distribution", "ByLogStream"), group.created,
                )  # fmt: skip
            for saved_stream in saved.get("streams", []):
                stream = self._create_stream(group, saved_stream["name"])
                stream.created = saved_stream.get("created", stream.created)
                for timestamp, message, ingested in saved_stream.get("events", []):
                    self._event_seq += 1
                    stream.add(LogEvent(timestamp, message, ingested, f"{self._event_seq:056d}"))

    # -- views ------------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes, edges = [], []
        for group in self.groups.values():
            nodes.append(
                Node(
                    group.plain_arn,
                    "log-group",
                    group.name,
                    self.name,
                    {
                        "streams": len(group.streams),
                        "events": sum(len(s.events) for s in group.streams.values()),
                    },
                )
            )
            for subscription in group.subscriptions.values():
                edges.append(
                    Edge(
                        group.plain_arn,
                        subscription.destination,
                        "subscription",
                        subscription.name,
                        {"delivered": subscription.delivered, "errors": subscription.failed},
                    )
                )
        return nodes, edges


def _read_token(token: str) -> tuple[str, int]:
    direction, _, digits = token.partition("/")
    if direction not in ("f", "b") or not digits.isdigit():
        raise invalid("The specified nextToken is invalid.")
    return direction, int(digits)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
