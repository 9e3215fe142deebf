"""Which metrics belong to a lab resource, and the statistic each is best read with.

Used by the console's `metrics` command and the app's metrics view: a queue name, function
name, ARN, boto3 service name or namespace selects series from the metrics store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .store import Series, statistic

if TYPE_CHECKING:
    from ...engine import Engine

#: Topology node kind → (namespace, dimension name, whether the dimension value is the ARN).
KIND_DIMENSIONS: dict[str, tuple[str, str, bool]] = {
    "queue": ("AWS/SQS", "QueueName", False),
    "function": ("AWS/Lambda", "FunctionName", False),
    "stream": ("AWS/Kinesis", "StreamName", False),
    "delivery-stream": ("AWS/Firehose", "DeliveryStreamName", False),
    "state-machine": ("AWS/States", "StateMachineArn", True),
    "rule": ("AWS/Events", "RuleName", False),
    "topic": ("AWS/SNS", "TopicName", False),
    "table": ("AWS/DynamoDB", "TableName", False),
    "api": ("AWS/ApiGateway", "ApiName", False),
}
SERVICE_NAMESPACES = {
    "sqs": "AWS/SQS",
    "lambda": "AWS/Lambda",
    "kinesis": "AWS/Kinesis",
    "firehose": "AWS/Firehose",
    "stepfunctions": "AWS/States",
    "events": "AWS/Events",
    "sns": "AWS/SNS",
    "dynamodb": "AWS/DynamoDB",
    "apigateway": "AWS/ApiGateway",
    "apigatewayv2": "AWS/ApiGateway",
}
_GAUGES = ("Approximate", "Concurrent", "IteratorAge")
_AVERAGED = ("Duration", "Latency")


def natural_statistic(metric_name: str) -> str:
    """The statistic a metric is usually read with: Maximum for levels, Average for times."""
    if metric_name.startswith(_GAUGES) or "IteratorAge" in metric_name:
        return "Maximum"
    if any(word in metric_name for word in _AVERAGED):
        return "Average"
    return "Sum"


def series_of(engine: Engine, ident: str, metric: str | None = None) -> list[Series]:
    """The series of a resource (name or ARN), a service, or a namespace; [] when none match."""
    store = engine.service("cloudwatch").store  # type: ignore[attr-defined]
    namespace = SERVICE_NAMESPACES.get(ident, ident if "/" in ident else None)
    wanted: tuple[str, str] | None = None
    if namespace is None or ident.startswith("arn:"):
        node = engine.topology().node(ident)
        if node is None or node.kind not in KIND_DIMENSIONS:
            return []
        namespace, dimension, by_arn = KIND_DIMENSIONS[node.kind]
        if node.service == "apigatewayv2":
            dimension, by_arn = "ApiId", False
            wanted = (dimension, node.id.rsplit("/", 1)[-1])
        else:
            wanted = (dimension, node.id if by_arn else node.name)
    found = []
    for (ns, name, dims), series in sorted(store.series.items()):
        if ns != namespace or (metric is not None and name != metric):
            continue
        if wanted is not None and dims != (wanted,):
            continue
        found.append(series)
    return found


def points(series: Series, start: float, end: float, period: int, stat: str) -> list[float | None]:
    """One value per period from `start` to `end` (None where nothing was recorded)."""
    aligned = start - start % period
    buckets = series.aggregate(aligned, end, period)
    values: list[float | None] = []
    slot = int(aligned)
    while slot < end:
        bucket = buckets.get(slot)
        values.append(statistic(bucket, stat) if bucket is not None else None)
        slot += period
    return values
