"""The metrics AWS publishes for the emulated services, sampled from the engine's own counters.

Once a minute on the engine clock (on the minute, while the CloudWatch service runs) the
collector reads each running service's running totals and gauges — the same counters the flow
map shows — and records the minute's deltas and levels under AWS's namespaces, metric names and
dimensions. Nothing is added to any service's per-message path: a message costs the counter
increment its service already made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ...clock import Timer
from ..sqs.queue import GONE
from .store import RETENTION_SECONDS

if TYPE_CHECKING:
    from ...service import Service
    from .service import CloudWatchService

PERIOD = 60
#: A resource with nothing to report for this long stops sending datapoints (SQS: six hours).
IDLE_AFTER = 6 * 3600
#: One sample: (namespace, metric, dimensions, value, unit, kind) with kind "delta" for running
#: totals (the minute's increase is recorded) and "gauge" for levels.
Sample = tuple[str, str, dict[str, str], float, str, str]


class Collector:
    """Samples the lab's services into the metrics store every minute."""

    def __init__(self, service: CloudWatchService) -> None:
        self.service = service
        self.engine = service.engine
        self._last: dict[tuple, float] = {}
        self._lambda_seen: dict[str, int] = {}
        self._latency_seen: dict[tuple[str, str], int] = {}
        self._timer: Timer | None = None
        self._ticks = 0
        self._active_until: dict[Any, float] = {}
        self._recording = False
        self.enabled = True
        self._samplers: dict[str, Callable[[Service], Iterator[Sample]]] = {
            "sqs": _sqs,
            "lambda": self._lambda,
            "kinesis": _kinesis,
            "firehose": _firehose,
            "stepfunctions": _stepfunctions,
            "apigateway": self._apigateway,
            "apigatewayv2": self._apigatewayv2,
            "events": _events,
            "sns": _sns,
            "dynamodb": _dynamodb,
            "kinesisanalyticsv2": _kinesisanalytics,
        }

    def start(self) -> None:
        """Take the baseline now and sample on every minute from here on."""
        if self._timer is None and self.enabled:
            self.sample(record=False)
            self._arm()

    def stop(self) -> None:
        """Stop sampling."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self) -> None:
        now = self.service.clock.now()
        self._timer = self.service.clock.call_at(now - now % PERIOD + PERIOD, self._tick)

    def _tick(self) -> None:
        self._timer = None
        self.sample()
        self._ticks += 1
        if self._ticks % 60 == 0:  # hourly: forget datapoints past CloudWatch's retention
            cutoff = self.service.clock.now() - RETENTION_SECONDS
            for series in self.service.store.series.values():
                series.expire(cutoff)
        self._arm()

    def sample(self, *, record: bool = True) -> None:
        """Read every running service's counters; record the last minute's values.

        As on AWS, a resource idle for six hours (every level zero, no count changed) stops
        sending datapoints until it is used again: idle resources cost a lookup, not a write.
        """
        self._recording = record
        now = self.service.clock.now()
        stamp = now - PERIOD  # the minute that just ended
        store = self.service.store
        last = self._last
        for running in self.engine.started_services():
            sampler = self._samplers.get(running.name)
            if sampler is None:
                continue
            pending: list[tuple[str, str, tuple, float, str]] = []
            active = False
            group = None
            for namespace, name, dimensions, value, unit, kind in sampler(running):
                key_dimensions = tuple(sorted(dimensions.items()))
                if (namespace, key_dimensions) != group:
                    self._flush(group, pending, active, record, stamp, now)
                    group, pending, active = (namespace, key_dimensions), [], False
                if kind == "delta":
                    key = (namespace, name, key_dimensions)
                    previous = last.get(key, 0.0)
                    last[key] = value
                    value = max(0.0, value - previous)
                active = active or value != 0 or store.get(namespace, name, key_dimensions) is None
                pending.append((namespace, name, key_dimensions, value, unit))
            self._flush(group, pending, active, record, stamp, now)

    def _flush(
        self, group: Any, pending: list, active: bool, record: bool, stamp: float, now: float
    ) -> None:
        """Record one resource's samples if it was active in the last six hours."""
        if group is None:
            return
        if active:
            self._active_until[group] = now + IDLE_AFTER
        elif self._active_until.get(group, 0.0) < now:
            return
        if record:
            store = self.service.store
            for namespace, name, dimensions, value, unit in pending:
                store.record(namespace, name, dimensions, value, stamp, unit=unit)

    # -- Lambda: counters plus each invocation's duration ------------------------------------------
    def _lambda(self, service: Any) -> Iterator[Sample]:
        total_concurrency = 0
        for function in service.functions.values():
            dims = {"FunctionName": function.name}
            yield ("AWS/Lambda", "Invocations", dims, function.invocations, "Count", "delta")
            yield ("AWS/Lambda", "Errors", dims, function.errors, "Count", "delta")
            yield ("AWS/Lambda", "Throttles", dims, function.throttles, "Count", "delta")
            yield ("AWS/Lambda", "ConcurrentExecutions", dims, function.in_flight, "Count", "gauge")
            total_concurrency += function.in_flight
            self._durations(function)
        yield ("AWS/Lambda", "ConcurrentExecutions", {}, total_concurrency, "Count", "gauge")
        yield from self._iterator_ages(service)

    def _iterator_ages(self, service: Any) -> Iterator[Sample]:
        """IteratorAge of functions reading Kinesis streams: their mappings' oldest unread record."""
        kinesis = self.engine.running("kinesis")
        if kinesis is None:
            return
        ages: dict[str, float] = {}
        for mapping in service.mappings.values():
            if ":kinesis:" not in mapping.source_arn:
                continue
            try:
                rows = kinesis.lag(mapping.source_arn)
            except Exception:  # the stream is gone: the mapping reports nothing
                continue
            age = max((r.iterator_age_ms for r in rows if r.consumer == mapping.uuid), default=0)
            name = mapping.function_arn.split(":")[6]
            ages[name] = max(ages.get(name, 0.0), age)
        for name, age in ages.items():
            yield (
                "AWS/Lambda",
                "IteratorAge",
                {"FunctionName": name},
                age,
                "Milliseconds",
                "gauge",
            )

    def _durations(self, function: Any) -> None:
        """Record the Duration of every invocation finished since the last sample."""
        seen = self._lambda_seen.get(function.arn, 0)
        finished = function.invocations
        self._lambda_seen[function.arn] = finished
        if not self._recording or finished <= seen:
            return  # the baseline: invocations before CloudWatch started are not reported
        logs = list(function.logs.invocations)[-(finished - seen) :]
        store = self.service.store
        key = (("FunctionName", function.name),)
        stamp = self.service.clock.now() - PERIOD
        for log in logs:
            if log.finished:
                store.record(
                    "AWS/Lambda", "Duration", key, round(log.elapsed_ms, 2), stamp,
                    unit="Milliseconds",
                )  # fmt: skip

    # -- API Gateway: counters plus each request's latency ---------------------------------------
    def _apigateway(self, service: Any) -> Iterator[Sample]:
        yield from _apigateway(service)
        for api_id, latencies in service.pipeline.latencies.items():
            api = service.apis.get(api_id)
            self._latencies(
                service.name, api_id, "ApiName", getattr(api, "name", api_id), latencies
            )

    def _apigatewayv2(self, service: Any) -> Iterator[Sample]:
        yield from _apigatewayv2(service)
        for api_id, latencies in service.pipeline.latencies.items():
            self._latencies(service.name, api_id, "ApiId", api_id, latencies)

    def _latencies(self, owner: str, api_id: str, key: str, name: str, latencies: Any) -> None:
        """Record the Latency of every request answered since the last sample."""
        seen = self._latency_seen.get((owner, api_id), 0)
        self._latency_seen[(owner, api_id)] = latencies.answered
        if not self._recording or latencies.answered <= seen:
            return  # the baseline: requests before CloudWatch started are not reported
        store = self.service.store
        dims = ((key, name),)
        stamp = self.service.clock.now() - PERIOD
        for milliseconds in latencies.since(seen):
            store.record(
                "AWS/ApiGateway",
                "Latency",
                dims,
                round(milliseconds, 2),
                stamp,
                unit="Milliseconds",
            )


def _sqs(service: Any) -> Iterator[Sample]:
    now = service.clock.now()
    for queue in service.queues.values():
        queue.refresh()
        dims = {"QueueName": queue.name}
        yield (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            dims,
            queue.visible_count,
            "Count",
            "gauge",
        )  # noqa: E501
        yield (
            "AWS/SQS",
            "ApproximateNumberOfMessagesNotVisible",
            dims,
            queue.in_flight_count,
            "Count",
            "gauge",
        )  # noqa: E501
        yield (
            "AWS/SQS",
            "ApproximateNumberOfMessagesDelayed",
            dims,
            queue.delayed_count,
            "Count",
            "gauge",
        )  # noqa: E501
        oldest = next((m.sent_at for m in queue.retention if m.state != GONE), None)
        age = 0.0 if oldest is None else max(0.0, now - oldest)
        yield ("AWS/SQS", "ApproximateAgeOfOldestMessage", dims, round(age), "Seconds", "gauge")
        counters = queue.counters
        yield ("AWS/SQS", "NumberOfMessagesSent", dims, counters.get("sent", 0), "Count", "delta")
        yield (
            "AWS/SQS",
            "NumberOfMessagesReceived",
            dims,
            counters.get("received", 0),
            "Count",
            "delta",
        )  # noqa: E501
        yield (
            "AWS/SQS",
            "NumberOfMessagesDeleted",
            dims,
            counters.get("deleted", 0),
            "Count",
            "delta",
        )  # noqa: E501


def _kinesis(service: Any) -> Iterator[Sample]:
    for stream in service.streams.values():
        dims = {"StreamName": stream.name}
        shards = list(stream.shards.values())
        puts = sum(s.puts for s in shards)
        reads = sum(s.reads for s in shards)
        incoming_bytes = sum(sum(s.sizes) for s in shards)
        yield ("AWS/Kinesis", "IncomingRecords", dims, puts, "Count", "delta")
        yield ("AWS/Kinesis", "IncomingBytes", dims, incoming_bytes, "Bytes", "delta")
        yield ("AWS/Kinesis", "GetRecords.Records", dims, reads, "Count", "delta")
        throttled = getattr(stream, "write_throttles", 0)
        yield (
            "AWS/Kinesis",
            "WriteProvisionedThroughputExceeded",
            dims,
            throttled,
            "Count",
            "delta",
        )  # noqa: E501
        try:
            lag = service.lag(stream.arn)
        except Exception:  # a stream being deleted has no lag to report
            lag = []
        ages = [row.iterator_age_ms for row in lag]

        age = max(ages) if ages else 0
        yield (
            "AWS/Kinesis",
            "GetRecords.IteratorAgeMilliseconds",
            dims,
            age,
            "Milliseconds",
            "gauge",
        )  # noqa: E501


def _firehose(service: Any) -> Iterator[Sample]:
    for stream in service.streams.values():
        dims = {"DeliveryStreamName": stream.name}
        yield ("AWS/Firehose", "IncomingRecords", dims, stream.received, "Count", "delta")
        yield ("AWS/Firehose", "DeliveryToS3.Records", dims, stream.delivered, "Count", "delta")


def _kinesisanalytics(service: Any) -> Iterator[Sample]:
    for app in service.apps.values():
        if app.job is None:
            continue
        dims = {"Application": app.name}
        job = app.job
        yield ("AWS/KinesisAnalytics", "numRecordsIn", dims, job.records_in, "Count", "delta")
        yield ("AWS/KinesisAnalytics", "numRecordsOut", dims, job.records_out, "Count", "delta")
        yield ("AWS/KinesisAnalytics", "numLateRecordsDropped", dims, job.late, "Count", "delta")
        behind = job.millis_behind()
        yield ("AWS/KinesisAnalytics", "millisBehindLatest", dims, behind, "Milliseconds", "gauge")


def _stepfunctions(service: Any) -> Iterator[Sample]:
    for machine in service.machines.values():
        dims = {"StateMachineArn": machine.arn}
        yield (
            "AWS/States",
            "ExecutionsStarted",
            dims,
            machine.executions_started,
            "Count",
            "delta",
        )  # noqa: E501
        yield ("AWS/States", "ExecutionsSucceeded", dims, machine.succeeded, "Count", "delta")
        yield ("AWS/States", "ExecutionsFailed", dims, machine.failed, "Count", "delta")
        for attribute, name in (
            ("timed_out", "ExecutionsTimedOut"),
            ("aborted", "ExecutionsAborted"),
        ):  # noqa: E501
            if hasattr(machine, attribute):
                yield ("AWS/States", name, dims, getattr(machine, attribute), "Count", "delta")


def _api_counters(namespace: str, key: str, name: str, counters: dict) -> Iterator[Sample]:
    dims = {key: name}
    yield (namespace, "Count", dims, counters.get("requests", 0), "Count", "delta")
    yield (
        namespace,
        "4XXError" if key == "ApiName" else "4xx",
        dims,
        counters.get("4xx", 0),
        "Count",
        "delta",
    )  # noqa: E501
    yield (
        namespace,
        "5XXError" if key == "ApiName" else "5xx",
        dims,
        counters.get("5xx", 0),
        "Count",
        "delta",
    )  # noqa: E501


def _apigateway(service: Any) -> Iterator[Sample]:
    for api_id, counters in service.pipeline.counters.items():
        api = service.apis.get(api_id) if hasattr(service, "apis") else None
        yield from _api_counters(
            "AWS/ApiGateway", "ApiName", getattr(api, "name", api_id), counters
        )  # noqa: E501
        if counters.get("cache_hits"):
            yield (
                "AWS/ApiGateway",
                "CacheHitCount",
                {"ApiName": getattr(api, "name", api_id)},
                counters["cache_hits"],
                "Count",
                "delta",
            )  # noqa: E501


def _apigatewayv2(service: Any) -> Iterator[Sample]:
    for api_id, counters in service.pipeline.counters.items():
        yield from _api_counters("AWS/ApiGateway", "ApiId", api_id, counters)


def _events(service: Any) -> Iterator[Sample]:
    for bus in service.buses.values():
        for rule in bus.rules.values():
            dims = {"RuleName": rule.name}
            if bus.name != "default":
                dims["EventBusName"] = bus.name
            delivered = sum(t.delivered for t in rule.targets.values())
            failed = sum(t.failed for t in rule.targets.values())
            yield ("AWS/Events", "MatchedEvents", dims, rule.matched, "Count", "delta")
            yield ("AWS/Events", "TriggeredRules", dims, rule.matched, "Count", "delta")
            yield ("AWS/Events", "Invocations", dims, delivered + failed, "Count", "delta")
            yield ("AWS/Events", "FailedInvocations", dims, failed, "Count", "delta")


def _sns(service: Any) -> Iterator[Sample]:
    _, edges = service.topology()
    by_topic: dict[str, list[Any]] = {}
    for edge in edges:
        by_topic.setdefault(edge.source, []).append(edge)
    for topic in service.topics.values():
        dims = {"TopicName": topic.name}
        delivered = sum(e.counters.get("delivered", 0) for e in by_topic.get(topic.arn, []))
        failed = sum(
            e.counters.get("failed", e.counters.get("errors", 0))
            for e in by_topic.get(topic.arn, [])
        )
        yield ("AWS/SNS", "NumberOfMessagesPublished", dims, topic.published, "Count", "delta")
        yield ("AWS/SNS", "NumberOfNotificationsDelivered", dims, delivered, "Count", "delta")
        yield ("AWS/SNS", "NumberOfNotificationsFailed", dims, failed, "Count", "delta")


def _dynamodb(service: Any) -> Iterator[Sample]:
    for table in service.tables.values():
        dims = {"TableName": table.name}
        read = getattr(table, "consumed_read", None)
        write = getattr(table, "consumed_write", None)
        yield (
            "AWS/DynamoDB",
            "ConsumedReadCapacityUnits",
            dims,
            read if read is not None else table.reads,
            "Count",
            "delta",
        )  # noqa: E501
        yield (
            "AWS/DynamoDB",
            "ConsumedWriteCapacityUnits",
            dims,
            write if write is not None else table.writes,
            "Count",
            "delta",
        )  # noqa: E501
