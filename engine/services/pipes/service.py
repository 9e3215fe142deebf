"""EventBridge Pipes: CreatePipe … DeletePipe, tags, topology; each running pipe has a poller."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from engine.arn import owner_of, parse_arn
from engine.errors import ServiceError
from engine.patterns import parse_event_pattern
from engine.service import Service
from engine.topology import Edge, Node

from .dynamodb_source import DynamoDbSource
from .kafka_source import KafkaSource
from .kinesis_source import KinesisSource
from .models import Pipe, target_batch_limit
from .mq_source import MqSource
from .runner import SqsSource

if TYPE_CHECKING:
    from engine.engine import Engine

_NAME = re.compile(r"[\.\-_A-Za-z0-9]+")
#: Services a pipe can enrich with in the lab (API destinations are left out).
ENRICHMENT_OWNERS = frozenset({"lambda", "stepfunctions", "events"})
TARGET_OWNERS = frozenset(
    {"sqs", "sns", "events", "lambda", "stepfunctions", "kinesis", "firehose"}
)
LIST_LIMIT = 100
#: Which poller reads each kind of source.
SOURCES: dict[str, Any] = {
    "sqs": SqsSource,
    "kinesis": KinesisSource,
    "dynamodb": DynamoDbSource,
    "mq": MqSource,
    "kafka": KafkaSource,
}


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _check_batch_size(source_parameters: dict, target: str) -> None:
    """Refuse a source BatchSize larger than the target takes in one batch (10 for SQS)."""
    limit = target_batch_limit(target)
    if limit is None:
        return
    for key in ("KinesisStreamParameters", "DynamoDBStreamParameters", "SqsQueueParameters"):
        size = (source_parameters.get(key) or {}).get("BatchSize")
        if size is not None and size > limit:
            raise _validation(
                f"BatchSize {size} is larger than the maximum batch size of {limit} "
                f"supported by the target {target}."
            )


class PipesService(Service):
    """Amazon EventBridge Pipes in the lab (SQS sources)."""

    name: ClassVar[str] = "pipes"
    validation_error_code: ClassVar[str] = "ValidationException"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.pipes: dict[str, Pipe] = {}

    async def close(self) -> None:
        for pipe in self.pipes.values():
            self._halt(pipe)

    # -- operations ---------------------------------------------------------------------------
    def create_pipe(self, params: dict) -> dict:
        name = params["Name"]
        self._check_name(name)
        if name in self.pipes:
            raise ServiceError(
                "ConflictException",
                f"Pipe {name} already exists.",
                status_code=409,
                extra={"resourceId": name, "resourceType": "pipe"},
            )
        self._check_source(params["Source"], params.get("SourceParameters") or {})
        filters = self._compile_filters(params.get("SourceParameters") or {})
        enrichment = params.get("Enrichment") or ""
        self._check_enrichment(enrichment)
        self._check_target(params["Target"], params.get("TargetParameters") or {})
        _check_batch_size(params.get("SourceParameters") or {}, params["Target"])
        now = self.clock.now()
        pipe = Pipe(
            name,
            self.arn(f"pipe/{name}"),
            params["Source"],
            params["Target"],
            params["RoleArn"],
            now,
            now,
            description=params.get("Description", ""),
            desired_state=params.get("DesiredState", "RUNNING"),
            source_parameters=_copy(params.get("SourceParameters") or {}),
            enrichment=enrichment,
            enrichment_parameters=_copy(params.get("EnrichmentParameters") or {}),
            target_parameters=_copy(params.get("TargetParameters") or {}),
            log_configuration=_copy(params.get("LogConfiguration")),
            kms_key=params.get("KmsKeyIdentifier", ""),
            tags=dict(params.get("Tags") or {}),
            filters=filters,
        )
        self.pipes[name] = pipe
        self.emit("created", pipe.arn, source=pipe.source, target=pipe.target)
        result = self._summary(pipe)
        self._settle_state(pipe)
        return result

    def describe_pipe(self, params: dict) -> dict:
        pipe = self._require(params["Name"])
        result: dict[str, Any] = {
            "Arn": pipe.arn,
            "Name": pipe.name,
            "Description": pipe.description,
            "DesiredState": pipe.desired_state,
            "CurrentState": pipe.current_state,
            "Source": pipe.source,
            "SourceParameters": _copy(pipe.source_parameters),
            "Enrichment": pipe.enrichment,
            "EnrichmentParameters": _copy(pipe.enrichment_parameters),
            "Target": pipe.target,
            "TargetParameters": _copy(pipe.target_parameters),
            "RoleArn": pipe.role_arn,
            "Tags": dict(pipe.tags),
            "CreationTime": _time(pipe.created),
            "LastModifiedTime": _time(pipe.modified),
        }
        if pipe.state_reason:
            result["StateReason"] = pipe.state_reason
        if pipe.log_configuration is not None:
            result["LogConfiguration"] = _copy(pipe.log_configuration)
        if pipe.kms_key:
            result["KmsKeyIdentifier"] = pipe.kms_key
        return result

    def list_pipes(self, params: dict) -> dict:
        chosen = [
            pipe
            for pipe in self.pipes.values()
            if pipe.name.startswith(params.get("NamePrefix", ""))
            and pipe.source.startswith(params.get("SourcePrefix", ""))
            and pipe.target.startswith(params.get("TargetPrefix", ""))
            and params.get("DesiredState", pipe.desired_state) == pipe.desired_state
            and params.get("CurrentState", pipe.current_state) == pipe.current_state
        ]
        start = 0
        if params.get("NextToken"):
            token = params["NextToken"]
            if not token.isdigit() or int(token) > len(chosen):
                raise _validation("Invalid NextToken.")
            start = int(token)
        limit = params.get("Limit", LIST_LIMIT)
        page = chosen[start : start + limit]
        result: dict[str, Any] = {
            "Pipes": [
                {
                    **self._summary(pipe),
                    "Source": pipe.source,
                    "Target": pipe.target,
                    **({"Enrichment": pipe.enrichment} if pipe.enrichment else {}),
                    **({"StateReason": pipe.state_reason} if pipe.state_reason else {}),
                }
                for pipe in page
            ]
        }
        if start + limit < len(chosen):
            result["NextToken"] = str(start + limit)
        return result

    def update_pipe(self, params: dict) -> dict:
        pipe = self._require(params["Name"])
        source_parameters = params.get("SourceParameters")
        filters = self._compile_filters(source_parameters) if source_parameters else pipe.filters
        enrichment = params.get("Enrichment", pipe.enrichment)
        self._check_enrichment(enrichment)
        target = params.get("Target", pipe.target)
        target_parameters = params.get("TargetParameters", pipe.target_parameters)
        self._check_target(target, target_parameters)
        merged_source = {**pipe.source_parameters, **(source_parameters or {})}
        _check_batch_size(merged_source, target)
        self._halt(pipe)
        if source_parameters:
            merged = _copy(pipe.source_parameters)
            for key, value in _copy(source_parameters).items():
                # UpdatePipe's source members carry only what may change (no QueueName, say).
                if isinstance(value, dict) and isinstance(merged.get(key), dict):
                    merged[key] = {**merged[key], **value}
                else:
                    merged[key] = value
            pipe.source_parameters = merged
            pipe.filters = filters
        pipe.enrichment = enrichment
        pipe.enrichment_parameters = _copy(
            params.get("EnrichmentParameters", pipe.enrichment_parameters)
        )
        pipe.target = target
        pipe.target_parameters = _copy(target_parameters)
        pipe.role_arn = params["RoleArn"]
        pipe.description = params.get("Description", pipe.description)
        pipe.desired_state = params.get("DesiredState", pipe.desired_state)
        if "LogConfiguration" in params:
            pipe.log_configuration = _copy(params["LogConfiguration"])
        pipe.kms_key = params.get("KmsKeyIdentifier", pipe.kms_key)
        pipe.modified = self.clock.now()
        pipe.current_state = "UPDATING"
        result = self._summary(pipe)
        self._settle_state(pipe)
        return result

    def start_pipe(self, params: dict) -> dict:
        return self._change_state(params["Name"], "RUNNING", "STARTING")

    def stop_pipe(self, params: dict) -> dict:
        return self._change_state(params["Name"], "STOPPED", "STOPPING")

    def _change_state(self, name: str, desired: str, transitional: str) -> dict:
        """StartPipe/StopPipe: report the transitional state, then settle into `desired`."""
        pipe = self._require(name)
        pipe.desired_state = desired
        if pipe.current_state != desired:
            pipe.current_state = transitional
        pipe.modified = self.clock.now()
        result = self._summary(pipe)
        self._settle_state(pipe)
        return result

    def delete_pipe(self, params: dict) -> dict:
        pipe = self._require(params["Name"])
        self._halt(pipe)
        pipe.current_state = "DELETING"
        result = self._summary(pipe)
        del self.pipes[pipe.name]
        self.emit("deleted", pipe.arn)
        return result

    def tag_resource(self, params: dict) -> dict:
        self._require_arn(params["resourceArn"]).tags.update(params["tags"])
        return {}

    def untag_resource(self, params: dict) -> dict:
        pipe = self._require_arn(params["resourceArn"])
        for key in params["tagKeys"]:
            pipe.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        return {"tags": dict(self._require_arn(params["resourceArn"]).tags)}

    # -- running ------------------------------------------------------------------------------
    def _settle_state(self, pipe: Pipe) -> None:
        """Move a pipe to its desired state: start or stop its poller."""
        if pipe.desired_state == "RUNNING":
            if pipe.task is None or pipe.task.done():
                runner = SOURCES[owner_of(pipe.source) or "sqs"](self, pipe)
                pipe.task = self.engine.spawn(runner.run(), name=f"pipe:{pipe.name}")
            pipe.current_state = "RUNNING"
        else:
            self._halt(pipe)
            pipe.current_state = "STOPPED"
        pipe.state_reason = ""
        self.emit("state-changed", pipe.arn, state=pipe.current_state)

    def _halt(self, pipe: Pipe) -> None:
        if pipe.task is not None and not pipe.task.done():
            pipe.task.cancel()
        pipe.task = None

    # -- checks -------------------------------------------------------------------------------
    def _check_name(self, name: str) -> None:
        if not _NAME.fullmatch(name):
            raise _validation(
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
            )

    def _check_source(self, source: str, source_parameters: dict) -> None:
        owner = owner_of(source)
        if owner not in SOURCES or (owner == "dynamodb" and "/stream/" not in source):
            raise _validation(
                "Pipework's Pipes reads SQS queues, Kinesis streams, DynamoDB streams, Amazon MQ "
                "brokers and MSK topics; this "
                f"source is not emulated: {source}"
            )
        exists = (
            self._dynamodb_stream_exists(source)
            if owner == "dynamodb"
            else self._exists(owner, source)
        )
        if not exists:
            raise _validation(f"Source {source} does not exist.")
        needed = {
            "kinesis": "KinesisStreamParameters",
            "dynamodb": "DynamoDBStreamParameters",
            "mq": self._broker_parameters(source) if owner == "mq" else "",
            "kafka": "ManagedStreamingKafkaParameters",
        }
        if owner in needed and needed[owner] not in source_parameters:
            starting = " (with StartingPosition)" if owner in ("kinesis", "dynamodb") else ""
            raise _validation(
                f"SourceParameters.{needed[owner]}{starting} is required for this source."
            )

    def _broker_parameters(self, source: str) -> str:
        """The SourceParameters member an Amazon MQ broker needs: by its engine type."""
        mq: Any = self.engine.service("mq")
        engine_type = mq.brokers.get(source).spec.engine_type
        return (
            "ActiveMQBrokerParameters" if engine_type == "ACTIVEMQ" else "RabbitMQBrokerParameters"
        )

    def _dynamodb_stream_exists(self, arn: str) -> bool:
        if "dynamodb" not in self.engine.available_services():
            return False
        return self.engine.service("dynamodb").stream_for_arn(arn) is not None

    def _check_enrichment(self, enrichment: str) -> None:
        if not enrichment:
            return
        owner = owner_of(enrichment)
        if owner not in ENRICHMENT_OWNERS or (
            owner == "events" and ":api-destination/" not in enrichment
        ):
            raise _validation(
                f"Enrichment {enrichment} is not supported: use a Lambda function, a Step "
                "Functions state machine or an API destination."
            )
        if not self._exists(owner, enrichment):
            raise _validation(f"Enrichment {enrichment} does not exist.")

    def _check_target(self, target: str, parameters: dict) -> None:
        owner = owner_of(target)
        if owner not in TARGET_OWNERS:
            raise _validation(f"Target {target} is not a supported target.")
        if not self._exists(owner, target):
            raise _validation(f"Target {target} does not exist.")
        if owner == "kinesis" and not parameters.get("KinesisStreamParameters", {}).get(
            "PartitionKey"
        ):
            raise _validation(
                "KinesisStreamParameters.PartitionKey is required for Kinesis targets."
            )
        fifo_group = parameters.get("SqsQueueParameters", {}).get("MessageGroupId")
        if owner == "sqs" and target.endswith(".fifo") and not fifo_group:
            raise _validation("SqsQueueParameters.MessageGroupId is required for FIFO queues.")

    def _exists(self, owner: str, arn: str) -> bool:
        """Whether the emulated service `owner` has the resource `arn` (False if not emulated)."""
        if owner not in self.engine.available_services():
            return False
        return self.engine.service(owner).owns(arn)

    def _compile_filters(self, source_parameters: dict) -> list:
        compiled = []
        criteria = source_parameters.get("FilterCriteria") or {}
        for item in criteria.get("Filters", []):
            try:
                compiled.append(parse_event_pattern(item.get("Pattern", ""))[1])
            except ServiceError as error:
                raise _validation(f"Invalid filter pattern definition. {error.message}") from None
        return compiled

    # -- lookups ------------------------------------------------------------------------------
    def _require(self, name: str) -> Pipe:
        pipe = self.pipes.get(name)
        if pipe is None:
            raise ServiceError("NotFoundException", f"Pipe {name} does not exist.", status_code=404)
        return pipe

    def _require_arn(self, arn: str) -> Pipe:
        parsed = parse_arn(arn)
        name = parsed.resource_name if parsed else ""
        pipe = self.pipes.get(name)
        if pipe is None or pipe.arn != arn:
            raise ServiceError(
                "NotFoundException", f"Resource {arn} does not exist.", status_code=404
            )
        return pipe

    def owns(self, arn: str) -> bool:
        parsed = parse_arn(arn)
        pipe = self.pipes.get(parsed.resource_name) if parsed else None
        return pipe is not None and pipe.arn == arn

    def _summary(self, pipe: Pipe) -> dict[str, Any]:
        return {
            "Arn": pipe.arn,
            "Name": pipe.name,
            "DesiredState": pipe.desired_state,
            "CurrentState": pipe.current_state,
            "CreationTime": _time(pipe.created),
            "LastModifiedTime": _time(pipe.modified),
        }

    # -- views --------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes: list[Node] = []
        edges: list[Edge] = []
        for pipe in self.pipes.values():
            counters = {
                "received": pipe.received,
                "filtered": pipe.filtered,
                "delivered": pipe.delivered,
                "errors": pipe.failed,
            }
            nodes.append(Node(pipe.arn, "pipe", pipe.name, "pipes", counters))
            edges.append(Edge(pipe.source, pipe.arn, "pipe", "source", {"received": pipe.received}))
            if pipe.enrichment:
                edges.append(
                    Edge(
                        pipe.arn, pipe.enrichment, "pipe", "enrichment", {"enriched": pipe.enriched}
                    )
                )
            edges.append(
                Edge(pipe.arn, pipe.target, "pipe", "target", {"delivered": pipe.delivered})
            )
        return nodes, edges

    def dump(self) -> dict[str, Any] | None:
        if not self.pipes:
            return None
        return {
            "pipes": [
                {
                    "Name": p.name,
                    "Description": p.description,
                    "DesiredState": p.desired_state,
                    "Source": p.source,
                    "SourceParameters": _copy(p.source_parameters),
                    "Enrichment": p.enrichment,
                    "EnrichmentParameters": _copy(p.enrichment_parameters),
                    "Target": p.target,
                    "TargetParameters": _copy(p.target_parameters),
                    "RoleArn": p.role_arn,
                    "Tags": dict(p.tags),
                }
                for p in self.pipes.values()
            ]
        }

    def load(self, data: dict[str, Any]) -> None:
        # Saved pipes are restored as they were; their sources and targets may be restored
        # after this service, so nothing is checked against other services here.
        now = self.clock.now()
        for saved in data.get("pipes", []):
            name = saved["Name"]
            pipe = Pipe(
                name,
                self.arn(f"pipe/{name}"),
                saved["Source"],
                saved["Target"],
                saved["RoleArn"],
                now,
                now,
                description=saved.get("Description", ""),
                desired_state=saved.get("DesiredState", "RUNNING"),
                source_parameters=_copy(saved.get("SourceParameters") or {}),
                enrichment=saved.get("Enrichment", ""),
                enrichment_parameters=_copy(saved.get("EnrichmentParameters") or {}),
                target_parameters=_copy(saved.get("TargetParameters") or {}),
                tags=dict(saved.get("Tags") or {}),
                filters=self._compile_filters(saved.get("SourceParameters") or {}),
            )
            self.pipes[name] = pipe
            self._settle_state(pipe)


def _copy(value: Any) -> Any:
    """A deep copy of plain JSON-like data (copy in, copy out)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
