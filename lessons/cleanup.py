"""Deleting the resources a lesson created, newest first, through the services' own APIs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine import ServiceError

if TYPE_CHECKING:
    from tui.console import Console


async def _delete(engine: Any, arn: str) -> None:
    """Delete one resource by ARN (what a resource holds goes first: targets, objects)."""
    parts = arn.split(":", 5)
    service, rest = parts[2], parts[5] if len(parts) > 5 else ""
    if service == "sqs":
        url = (await engine.client("sqs").get_queue_url(QueueName=rest))["QueueUrl"]
        await engine.client("sqs").delete_queue(QueueUrl=url)
    elif service == "sns":
        await engine.client("sns").delete_topic(TopicArn=arn)
    elif service == "lambda" and rest.startswith("function:"):
        await engine.client("lambda").delete_function(FunctionName=arn)
    elif service == "lambda" and rest.startswith("event-source-mapping:"):
        await engine.client("lambda").delete_event_source_mapping(UUID=rest.split(":", 1)[1])
    elif service == "events":
        await _delete_events(engine.client("events"), rest)
    elif service == "kinesis":
        await engine.client("kinesis").delete_stream(StreamARN=arn, EnforceConsumerDeletion=True)
    elif service == "dynamodb" and "/stream/" not in rest:
        await engine.client("dynamodb").delete_table(TableName=rest.split("/", 1)[1])
    elif service == "s3":
        s3 = engine.client("s3")
        listed = await s3.list_objects_v2(Bucket=rest)
        for item in listed.get("Contents", []):
            await s3.delete_object(Bucket=rest, Key=item["Key"])
        await s3.delete_bucket(Bucket=rest)
    elif service == "states" and rest.startswith("stateMachine:"):
        await engine.client("stepfunctions").delete_state_machine(stateMachineArn=arn)
    elif service == "apigateway" and rest.startswith("/restapis/"):
        await engine.client("apigateway").delete_rest_api(restApiId=rest.split("/")[2])
    elif service == "firehose":
        await engine.client("firehose").delete_delivery_stream(
            DeliveryStreamName=rest.split("/", 1)[1]
        )
    elif service == "pipes":
        await engine.client("pipes").delete_pipe(Name=rest.split("/", 1)[1])
    elif service == "scheduler" and rest.startswith("schedule/"):
        _, group, name = rest.split("/", 2)
        await engine.client("scheduler").delete_schedule(Name=name, GroupName=group)
    else:
        raise LookupError("the lab cannot delete this kind of resource for you")


async def _delete_events(events: Any, rest: str) -> None:
    kind, _, path = rest.partition("/")
    if kind == "rule":
        bus, _, rule = path.rpartition("/")
        bus = bus or "default"
        targets = await events.list_targets_by_rule(Rule=rule, EventBusName=bus)
        ids = [target["Id"] for target in targets.get("Targets", [])]
        if ids:
            await events.remove_targets(Rule=rule, EventBusName=bus, Ids=ids)
        await events.delete_rule(Name=rule, EventBusName=bus)
    elif kind == "event-bus" and path != "default":
        await events.delete_event_bus(Name=path)
    elif kind == "archive":
        await events.delete_archive(ArchiveName=path)
    else:
        raise LookupError("the lab cannot delete this kind of resource for you")


async def delete_resources(console: Console, arns: list[str]) -> tuple[list[str], list[str]]:
    """Delete `arns`, newest first; returns (deleted, "ARN: why not" for the rest)."""
    deleted: list[str] = []
    failed: list[str] = []
    present = {node.id for node in console.engine.topology().nodes}
    for arn in reversed(arns):
        if arn not in present:
            continue  # gone already (deleted with its parent, or by the learner)
        try:
            await _delete(console.engine, arn)
        except (ServiceError, LookupError, KeyError, IndexError) as error:
            failed.append(f"{arn}: {error}")
        else:
            deleted.append(arn)
    return deleted, failed
