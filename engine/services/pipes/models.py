"""A pipe as the service keeps it: its definition, state, counters and poller."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from engine.patterns import CompiledPattern

#: The most records a pipe hands one target in one batch (EventBridge Pipes' batching docs).
TARGET_BATCH_LIMITS = {"sqs": 10, "sns": 10, "events": 10, "kinesis": 500, "firehose": 500}


def target_batch_limit(target: str) -> int | None:
    """The largest batch the target `target` (an ARN) accepts, or None when it sets no limit."""
    parts = target.split(":")
    return TARGET_BATCH_LIMITS.get(parts[2]) if len(parts) > 2 else None


@dataclass(slots=True)
class Pipe:
    """One pipe: where it reads, how it filters and enriches, where it writes."""

    name: str
    arn: str
    source: str
    target: str
    role_arn: str
    created: float
    modified: float
    description: str = ""
    desired_state: str = "RUNNING"
    current_state: str = "CREATING"
    state_reason: str = ""
    source_parameters: dict[str, Any] = field(default_factory=dict)
    enrichment: str = ""
    enrichment_parameters: dict[str, Any] = field(default_factory=dict)
    target_parameters: dict[str, Any] = field(default_factory=dict)
    log_configuration: dict[str, Any] | None = None
    kms_key: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    filters: list[CompiledPattern] = field(default_factory=list)
    task: asyncio.Task | None = None
    received: int = 0
    filtered: int = 0
    enriched: int = 0
    delivered: int = 0
    failed: int = 0

    @property
    def source_settings(self) -> dict[str, Any]:
        """The source's own parameters (Sqs, Kinesis or DynamoDB stream parameters)."""
        parameters = self.source_parameters
        for key in (
            "KinesisStreamParameters",
            "DynamoDBStreamParameters",
            "SqsQueueParameters",
            "RabbitMQBrokerParameters",
            "ActiveMQBrokerParameters",
            "ManagedStreamingKafkaParameters",
        ):
            if parameters.get(key):
                return parameters[key]
        return {}

    @property
    def batch_size(self) -> int:
        """How many records one invocation carries (default: 10 for SQS, 100 for streams).

        The default never exceeds what the target takes in one batch (10 for a queue, say).
        """
        if "BatchSize" in self.source_settings:
            return int(self.source_settings["BatchSize"])
        default = 10 if ":sqs:" in self.source or ":mq:" in self.source else 100
        return min(default, target_batch_limit(self.target) or default)

    @property
    def batching_window(self) -> float:
        """Seconds the pipe waits to fill a batch (default 0)."""
        return float(self.source_settings.get("MaximumBatchingWindowInSeconds", 0))
