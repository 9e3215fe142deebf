"""The DynamoDB Streams event source for Lambda event source mappings.

`StreamPoller` checks and describes the stream-specific parameters and runs
ParallelizationFactor lanes (see `lane.py`), each an ordered consumer of the records whose item
key hashes to it, invoking the function with `{"Records": [...]}` in Lambda's DynamoDB format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from engine.arn import parse_arn
from engine.services.awslambda.esm import EventSourceMapping, EventSourcePoller, validation

from ..dynamodb.streams import StreamRecord
from .lane import Lane

if TYPE_CHECKING:
    from engine.services.awslambda.service import LambdaService

STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST")
DESTINATION_SERVICES = ("sqs", "sns")


def _settings(params: dict) -> dict[str, Any]:
    """The stream-specific settings with AWS's defaults."""
    destination = ((params.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
        "Destination"
    )
    return {
        "StartingPosition": params.get("StartingPosition"),
        "MaximumRetryAttempts": params.get("MaximumRetryAttempts", -1),
        "MaximumRecordAgeInSeconds": params.get("MaximumRecordAgeInSeconds", -1),
        "BisectBatchOnFunctionError": bool(params.get("BisectBatchOnFunctionError", False)),
        "ParallelizationFactor": params.get("ParallelizationFactor", 1),
        "OnFailure": destination,
    }


class StreamPoller(EventSourcePoller):
    """Reads one DynamoDB stream for one mapping with ParallelizationFactor ordered lanes."""

    default_batch_size: ClassVar[int] = 100
    max_batch_size: ClassVar[int] = 10_000
    read_actions: ClassVar[tuple[str, ...]] = (
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:DescribeStream",
        "dynamodb:ListStreams",
    )

    @classmethod
    def role_refusal(cls, source_arn: str, action: str) -> str:
        return (
            f"Cannot access stream {source_arn}. Please ensure the role can perform the "
            "GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your "
            "stream in IAM."
        )

    streaming: ClassVar[bool] = True

    def __init__(self, service: LambdaService, mapping: EventSourceMapping) -> None:
        super().__init__(service, mapping)
        self.dynamodb: Any = service.engine.service("dynamodb")
        factor = mapping.params["ParallelizationFactor"]
        self.lanes = [Lane(self, index, factor) for index in range(factor)]
        self.cancel_listener: Any = None
        self.started = False

    # -- configuration ---------------------------------------------------------------------
    @classmethod
    def validate(cls, service: LambdaService, params: dict, function_timeout: int) -> dict:
        """Check the stream exists and the stream-only parameters are within AWS's ranges."""
        source = params["EventSourceArn"]
        dynamodb: Any = service.engine.service("dynamodb")
        if dynamodb.stream_for_arn(source) is None:
            raise validation(f"Stream not found: {source}")
        position = params.get("StartingPosition")
        if position is None:
            raise validation("StartingPosition must be provided for DynamoDB stream event sources.")
        if position not in STARTING_POSITIONS:
            raise validation(f"Unsupported starting position for DynamoDB streams: {position}")
        if "TumblingWindowInSeconds" in params:
            raise validation("Pipework does not emulate TumblingWindowInSeconds.")
        retries = params.get("MaximumRetryAttempts", -1)
        if not -1 <= retries <= 10_000:
            raise validation("MaximumRetryAttempts must be between -1 and 10000.")
        age = params.get("MaximumRecordAgeInSeconds", -1)
        if age != -1 and not 60 <= age <= 604_800:
            raise validation("MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.")
        factor = params.get("ParallelizationFactor", 1)
        if not 1 <= factor <= 10:
            raise validation("ParallelizationFactor must be between 1 and 10.")
        window = params.get("MaximumBatchingWindowInSeconds", 0)
        if not 0 <= window <= 300:
            raise validation("MaximumBatchingWindowInSeconds must be between 0 and 300.")
        settings = _settings(params)
        destination = settings["OnFailure"]
        if destination is not None:
            parsed = parse_arn(destination)
            if parsed is None or parsed.service not in DESTINATION_SERVICES:
                raise validation(
                    "The provided destination config DestinationConfig is invalid: OnFailure "
                    "destinations for DynamoDB streams must be SQS queues or SNS topics."
                )
        return settings

    @classmethod
    def describe(cls, mapping: EventSourceMapping) -> dict:
        """StartingPosition, retry, age, bisect, parallelization and destination settings."""
        settings = mapping.params
        on_failure = {"Destination": settings["OnFailure"]} if settings.get("OnFailure") else {}
        return {
            "StartingPosition": settings["StartingPosition"],
            "ParallelizationFactor": settings["ParallelizationFactor"],
            "MaximumRecordAgeInSeconds": settings["MaximumRecordAgeInSeconds"],
            "BisectBatchOnFunctionError": settings["BisectBatchOnFunctionError"],
            "MaximumRetryAttempts": settings["MaximumRetryAttempts"],
            "TumblingWindowInSeconds": 0,
            "DestinationConfig": {"OnFailure": on_failure},
        }

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Subscribe to the stream and start every lane."""
        if self.cancel_listener is not None:
            return
        source = self.mapping.source_arn
        log = self.dynamodb.stream_for_arn(source)
        if log is None:
            return
        if not self.started:
            self.started = True
            latest = self.mapping.params["StartingPosition"] == "LATEST"
            for lane in self.lanes:
                lane.place(log, latest)
        self.cancel_listener = self.dynamodb.on_record(source, self._on_record)
        spawn = self.service.engine.spawn
        for lane in self.lanes:
            lane.task = spawn(lane.run(), name=f"lambda-esm:{self.mapping.uuid}:{lane.index}")

    async def stop(self) -> None:
        """Stop reading; positions are kept, so re-enabling resumes where it stopped."""
        if self.cancel_listener is not None:
            self.cancel_listener()
            self.cancel_listener = None
        for lane in self.lanes:
            if lane.task is not None:
                lane.task.cancel()
                lane.task = None

    def _on_record(self, record: StreamRecord) -> None:
        for lane in self.lanes:
            lane.wakeup.set()
