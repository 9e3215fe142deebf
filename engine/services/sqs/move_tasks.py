"""Message move tasks: redrive messages from a dead-letter queue back to their source, on the clock."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .errors import invalid_parameter, sqs_error
from .queue import VISIBLE

if TYPE_CHECKING:
    from .service import SqsService

#: Messages per second when the caller leaves the rate to SQS ("system optimized").
DEFAULT_RATE = 500


@dataclass(slots=True)
class MoveTask:
    """One redrive from a dead-letter queue."""

    task_id: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    started_at: float
    to_move: int
    moved: int = 0
    status: str = "RUNNING"
    failure_reason: str | None = None

    @property
    def handle(self) -> str:
        """The opaque TaskHandle AWS returns: the task id and source ARN."""
        raw = json.dumps({"taskId": self.task_id, "sourceArn": self.source_arn})
        return base64.b64encode(raw.encode()).decode()


def _not_found(parameter: str) -> ServiceError:
    return sqs_error(
        "ResourceNotFoundException",
        f"The resource that you specified for the {parameter} parameter doesn't exist.",
        status=404,
    )


class MoveTasks:
    """Starts, runs, lists and cancels message move tasks for an SQS service."""

    def __init__(self, service: SqsService) -> None:
        self._service = service
        self._tasks: dict[str, list[MoveTask]] = {}  # source ARN → tasks, newest last

    def start(self, params: dict) -> dict:
        """StartMessageMoveTask."""
        service = self._service
        source_arn = params["SourceArn"]
        destination_arn = params.get("DestinationArn")
        rate = params.get("MaxNumberOfMessagesPerSecond")
        source = service._by_arn.get(source_arn)
        if source is None:
            raise _not_found("SourceArn")
        if not service._is_dead_letter_target(source):
            raise invalid_parameter("Source queue must be configured as a Dead Letter Queue.")
        if destination_arn is not None and destination_arn not in service._by_arn:
            raise _not_found("DestinationArn")
        if rate is not None and not 1 <= rate <= 500:
            raise invalid_parameter(
                f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. "
                "Reason: Must be between 1 and 500."
            )
        if any(t.status == "RUNNING" for t in self._tasks.get(source_arn, [])):
            raise invalid_parameter(
                "There is already a task running. Only one active task is allowed for a source "
                "queue arn at a given time."
            )
        source.refresh()
        task = MoveTask(
            service.ids.uuid(),
            source_arn,
            destination_arn,
            rate,
            service.clock.now(),
            source.visible_count,
        )
        self._tasks.setdefault(source_arn, []).append(task)
        service.emit(
            "move-task-started", source_arn, destination=destination_arn or "original sources"
        )
        service.engine.spawn(self._run(task), name=f"sqs-move-task-{task.task_id}")
        return {"TaskHandle": task.handle}

    async def _run(self, task: MoveTask) -> None:
        service = self._service
        per_second = task.rate or DEFAULT_RATE
        while task.status == "RUNNING":
            source = service._by_arn.get(task.source_arn)
            if source is None:
                self._fail(task, "AWS.SimpleQueueService.NonExistentQueue")
                return
            source.refresh()
            batch = source.take_visible(min(per_second, task.to_move - task.moved))
            for message in batch:
                target_arn = task.destination_arn or message.dead_letter_source
                target = service._by_arn.get(target_arn or "")
                if target is None:
                    # Put the message back where it was before failing the task.
                    source.discard_taken(message)
                    restored = _restore(message, source)
                    source.add(restored, 0)
                    self._fail(task, "AWS.SimpleQueueService.NonExistentQueue")
                    return
                source.discard_taken(message)
                came_from = message.dead_letter_source
                moved = _restore(message, target)
                moved.dead_letter_source = None
                moved.receive_count = 0
                moved.first_receive_at = None
                target.add(moved, 0)
                task.moved += 1
                service.emit(
                    "moved",
                    task.source_arn,
                    message_id=message.message_id,
                    trace_id=message.trace_id,
                    destination=target.arn,
                    from_queue=task.source_arn,
                    to_queue=target.arn,
                    # Whether the message went back to the queue it was dead-lettered from.
                    to_source=came_from == target.arn,
                )
            if task.moved >= task.to_move or not batch:
                task.status = "COMPLETED"
                service.emit("move-task-completed", task.source_arn, moved=task.moved)
                return
            await service.clock.sleep(1.0)

    def _fail(self, task: MoveTask, reason: str) -> None:
        task.status = "FAILED"
        task.failure_reason = reason
        self._service.emit("move-task-failed", task.source_arn, reason=reason)

    def cancel(self, params: dict) -> dict:
        """CancelMessageMoveTask."""
        handle = params["TaskHandle"]
        try:
            decoded = json.loads(base64.b64decode(handle, validate=True))
            task_id, source_arn = decoded["taskId"], decoded["sourceArn"]
        except (ValueError, KeyError, TypeError):
            raise invalid_parameter("Value for parameter TaskHandle is invalid.") from None
        if source_arn not in self._service._by_arn:
            raise _not_found("SourceArn")
        for task in self._tasks.get(source_arn, []):
            if task.task_id == task_id:
                if task.status != "RUNNING":
                    raise invalid_parameter("Task does not have status RUNNING.")
                task.status = "CANCELLED"
                self._service.emit("move-task-cancelled", source_arn, moved=task.moved)
                return {"ApproximateNumberOfMessagesMoved": task.moved}
        raise sqs_error("ResourceNotFoundException", "Task does not exist.", status=404)

    def list(self, params: dict) -> dict:
        """ListMessageMoveTasks: the most recent tasks of a source queue, newest first."""
        source_arn = params["SourceArn"]
        max_results = params.get("MaxResults", 1)
        if not 1 <= max_results <= 10:
            raise invalid_parameter(
                f"Value {max_results} for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10."
            )
        if source_arn not in self._service._by_arn:
            raise _not_found("SourceArn")
        results: list[dict[str, Any]] = []
        for task in reversed(self._tasks.get(source_arn, [])[-max_results:]):
            entry: dict[str, Any] = {
                "Status": task.status,
                "SourceArn": task.source_arn,
                "ApproximateNumberOfMessagesMoved": task.moved,
                "ApproximateNumberOfMessagesToMove": task.to_move,
                "StartedTimestamp": int(task.started_at * 1000),
            }
            if task.status == "RUNNING":
                entry["TaskHandle"] = task.handle
            if task.destination_arn:
                entry["DestinationArn"] = task.destination_arn
            if task.rate is not None:
                entry["MaxNumberOfMessagesPerSecond"] = task.rate
            if task.failure_reason:
                entry["FailureReason"] = task.failure_reason
            results.append(entry)
        return {"Results": results}

    def queue_deleted(self, arn: str) -> None:
        """Forget tasks of a deleted source queue (running ones fail on their next step)."""
        for task in self._tasks.get(arn, []):
            if task.status == "RUNNING":
                self._fail(task, "AWS.SimpleQueueService.NonExistentQueue")


def _restore(message: Any, queue: Any) -> Any:
    from .service import _copy_message

    copy = _copy_message(message, queue.next_sequence())
    if queue.fifo:
        copy.sequence_number = queue.next_sequence_number()
    copy.state = VISIBLE
    return copy
