"""A running pipe: the shared pipeline (filter, enrichment, target) and the SQS source.

SQS: a batch whose enrichment or target fails is not deleted: its messages return to the queue
when their visibility timeout ends, and the queue's own redrive policy decides when they give up.
Filtered-out SQS messages are deleted, as AWS does.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from engine.arn import owner_of
from engine.errors import ServiceError
from engine.faults import target_fails
from engine.service import Envelope
from engine.services.iam.enforcement import refused_role_action

from .models import Pipe
from .records import passes, sqs_record
from .template import render

if TYPE_CHECKING:
    from .service import PipesService

#: Seconds a pipe waits before polling a source it could not read (a deleted queue).
SOURCE_RETRY = 10.0
#: What a pipe's execution role must allow on its source, by the source ARN's service part.
SOURCE_ACTIONS = {
    "sqs": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    "kinesis": (
        "kinesis:DescribeStream",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    ),
    "dynamodb": (
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    ),
}
#: Targets that take the whole batch in one invocation; the rest get one event each.
BATCH_TARGETS = frozenset({"lambda", "stepfunctions"})


class Pipeline:
    """Filter, enrichment and target: what every source does with a batch of records."""

    def __init__(self, service: PipesService, pipe: Pipe) -> None:
        self.service = service
        self.pipe = pipe
        self.engine = service.engine
        self.clock = service.clock

    async def handle(self, records: list[dict[str, Any]], trace_id: str) -> tuple[bool, list[int]]:
        """Run one batch; (whether it succeeded, indexes of the records the filters dropped)."""
        pipe, service = self.pipe, self.service
        await self.engine.hold.wait()  # a lab opened from elsewhere runs nothing until `resume`
        pipe.received += len(records)
        service.emit("received", pipe.arn, trace_id=trace_id, count=len(records))
        kept: list[dict[str, Any]] = []
        dropped: list[int] = []
        for index, record in enumerate(records):
            if passes(pipe.filters, record):
                kept.append(record)
                continue
            dropped.append(index)
            pipe.filtered += 1
            service.emit("filtered-out", pipe.arn, message_id=_record_id(record), trace_id=trace_id)
        if not kept:
            return True, dropped
        try:
            events: list[Any] = kept
            if pipe.enrichment:
                events = await self._enrich(
                    self._shaped(kept, pipe.enrichment_parameters), trace_id
                )
            if events:
                await self._deliver(self._shaped(events, pipe.target_parameters), trace_id)
        except ServiceError as error:
            pipe.failed += len(kept)
            service.emit(
                "delivery-failed",
                pipe.arn,
                trace_id=trace_id,
                reason=f"{error.code}: {error.message}"[:256],
                count=len(kept),
            )
            return False, dropped
        pipe.delivered += len(events)
        service.emit(
            "delivered", pipe.arn, trace_id=trace_id, target=pipe.target, count=len(events)
        )
        return True, dropped

    def _shaped(self, events: list[Any], parameters: dict[str, Any]) -> list[Any]:
        """Events through the step's InputTemplate (JSON results as values, else as text)."""
        template = parameters.get("InputTemplate")
        if not template:
            return events
        pipe = self.pipe
        now = self.clock.datetime().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        shaped: list[Any] = []
        for event in events:
            reserved = {
                "aws.pipes.pipe-arn": pipe.arn,
                "aws.pipes.pipe-name": pipe.name,
                "aws.pipes.source-arn": pipe.source,
                "aws.pipes.enrichment-arn": pipe.enrichment,
                "aws.pipes.target-arn": pipe.target,
                "aws.pipes.event.ingestion-time": now,
                "aws.pipes.event": event,
                "aws.pipes.event.json": event,
            }
            text = render(template, event, reserved)
            try:
                shaped.append(json.loads(text))
            except ValueError:
                shaped.append(text)
        return shaped

    async def _enrich(self, events: list[Any], trace_id: str) -> list[Any]:
        """Call the enrichment with the batch; its answer becomes the events sent on."""
        pipe = self.pipe
        owner = owner_of(pipe.enrichment)
        envelope = Envelope(
            events if owner == "lambda" else json.dumps(events),
            source_arn=pipe.arn,
            trace_id=trace_id,
            options={"invocation_type": "RequestResponse", "sync": True},
        )
        if owner == "events":
            # An API destination: the batch is the request body, the response body the result.
            http = (pipe.enrichment_parameters or {}).get("HttpParameters") or {}
            envelope.options["http_parameters"] = http
            _, answer = await self.engine.service("events").destinations_api.call_api_destination(
                pipe.enrichment, envelope
            )
            try:
                result = json.loads(answer) if answer else None
            except ValueError:
                result = answer
        else:
            result = await self.engine.fabric.deliver(pipe.enrichment, envelope)
        if owner == "stepfunctions":
            if not isinstance(result, dict) or result.get("status") != "SUCCEEDED":
                status = result.get("status") if isinstance(result, dict) else result
                raise ServiceError("ExecutionFailed", f"Enrichment execution ended {status}")
            result = json.loads(result.get("output") or "null")
        pipe.enriched += len(events)
        self.service.emit("invoked", pipe.arn, trace_id=trace_id, enrichment=pipe.enrichment)
        if result is None:
            return []
        return result if isinstance(result, list) else [result]

    async def _deliver(self, events: list[Any], trace_id: str) -> None:
        pipe = self.pipe
        owner = owner_of(pipe.target)
        fabric = self.engine.fabric
        if target_fails(self.engine.faults, pipe.target):
            raise ServiceError("InternalFailure", "The target failed (injected fault).")
        if owner in BATCH_TARGETS:
            envelope = self._batch_envelope(owner, events, trace_id)
            await fabric.deliver(pipe.target, self._as_role(envelope))
            return
        for event in events:
            envelope = self._event_envelope(owner, event, trace_id)
            await fabric.deliver(pipe.target, self._as_role(envelope))

    def _as_role(self, envelope: Envelope) -> Envelope:
        """The pipe reaches its target with its execution role (checked when IAM is enforced)."""
        envelope.options["role_arn"] = self.pipe.role_arn
        envelope.options["role_session"] = self.pipe.name
        return envelope

    def _batch_envelope(self, owner: str, events: list[Any], trace_id: str) -> Envelope:
        parameters = self.pipe.target_parameters
        if owner == "lambda":
            invocation = parameters.get("LambdaFunctionParameters", {}).get(
                "InvocationType", "REQUEST_RESPONSE"
            )
            kind = "Event" if invocation == "FIRE_AND_FORGET" else "RequestResponse"
            return Envelope(
                events,
                source_arn=self.pipe.arn,
                trace_id=trace_id,
                options={"invocation_type": kind},
            )
        invocation = parameters.get("StepFunctionStateMachineParameters", {}).get(
            "InvocationType", "FIRE_AND_FORGET"
        )
        return Envelope(
            json.dumps(events),
            source_arn=self.pipe.arn,
            trace_id=trace_id,
            options={"sync": invocation == "REQUEST_RESPONSE"},
        )

    def _event_envelope(self, owner: str | None, event: Any, trace_id: str) -> Envelope:
        pipe = self.pipe
        parameters = pipe.target_parameters
        text = event if isinstance(event, str) else json.dumps(event)
        if owner == "sqs":
            sqs = parameters.get("SqsQueueParameters", {})
            return Envelope(
                text,
                source_arn=pipe.arn,
                trace_id=trace_id,
                group_id=sqs.get("MessageGroupId"),
                dedup_id=sqs.get("MessageDeduplicationId"),
            )
        if owner == "events":
            bus = parameters.get("EventBridgeEventBusParameters", {})
            entry: dict[str, Any] = {
                "Source": bus.get("Source", f"Pipe {pipe.name}"),
                "DetailType": bus.get("DetailType", f"Event from {_source_kind(pipe.source)}"),
                "Detail": text if isinstance(event, (dict, list)) else json.dumps(event),
                "Resources": list(bus.get("Resources", [])),
            }
            if bus.get("Time"):
                entry["Time"] = bus["Time"]
            return Envelope(entry, source_arn=pipe.arn, trace_id=trace_id)
        if owner == "kinesis":
            key = parameters.get("KinesisStreamParameters", {}).get("PartitionKey", "")
            return Envelope(
                text.encode(),
                source_arn=pipe.arn,
                trace_id=trace_id,
                options={"partition_key": key},
            )
        if owner == "firehose":
            return Envelope(text.encode(), source_arn=pipe.arn, trace_id=trace_id)
        return Envelope(text, source_arn=pipe.arn, trace_id=trace_id)


def _record_id(record: dict[str, Any]) -> str | None:
    return record.get("messageId") or record.get("eventID")


def _source_kind(source: str) -> str:
    """aws:sqs, aws:kinesis … as Pipes names the source in event-bus detail types."""
    return f"aws:{owner_of(source) or 'unknown'}"


class PipeSource(ABC):
    """A pipe's source poller: its pipe, the service's clock and the shared pipeline."""

    def __init__(self, service: PipesService, pipe: Pipe) -> None:
        self.pipe = pipe
        self.service = service
        self.clock = service.clock
        self.pipeline = Pipeline(service, pipe)

    @abstractmethod
    async def run(self) -> None:
        """Read the source until cancelled (StopPipe, DeletePipe, engine shutdown)."""


class SqsSource(PipeSource):
    """Polls one pipe's SQS queue; deletes what was handled or filtered out."""

    async def run(self) -> None:
        """Poll until cancelled (StopPipe, DeletePipe, engine shutdown)."""
        pipe = self.pipe
        sqs = self.service.engine.service("sqs")
        wake = asyncio.Event()
        cancel = None
        try:
            hold = self.service.engine.hold
            while True:
                if hold.held:
                    await hold.wait()  # opened from elsewhere: take no message until `resume`
                if cancel is None:
                    try:
                        cancel = sqs.on_available(pipe.source, wake.set)
                    except ServiceError as error:
                        await source_unreadable(self.service, pipe, error)
                        continue
                try:
                    batch = await self._collect(sqs, wake)
                except ServiceError as error:
                    cancel()
                    cancel = None
                    await source_unreadable(self.service, pipe, error)
                    continue
                if batch:
                    await self._process(sqs, batch)
        finally:
            if cancel is not None:
                cancel()

    async def _collect(self, sqs: Any, wake: asyncio.Event) -> list[Any]:
        """One batch: up to BatchSize messages, waiting up to the batching window to fill it."""
        pipe = self.pipe
        size = pipe.batch_size
        while True:
            wake.clear()
            check_source_role(self.service, pipe)
            batch = await sqs.poll(pipe.source, min(10, size), 0)
            if batch:
                break
            await wake.wait()
        deadline = self.clock.now() + pipe.batching_window
        while len(batch) < size:
            wake.clear()
            more = await sqs.poll(pipe.source, min(10, size - len(batch)), 0)
            if more:
                batch.extend(more)
                continue
            if self.clock.now() >= deadline:
                break
            await wait_for_wake(self.clock, wake, deadline)
        return batch

    async def _process(self, sqs: Any, batch: list[Any]) -> None:
        pipe, service = self.pipe, self.service
        trace_id = next((r.trace_id for r in batch if r.trace_id), None) or service.ids.trace_id(
            self.clock.now()
        )
        records = [sqs_record(r.message, pipe.source, service.region) for r in batch]
        ok, dropped = await self.pipeline.handle(records, trace_id)
        # Filtered-out messages are deleted; a failed batch stays for the queue to retry.
        done = range(len(records)) if ok else dropped
        for index in done:
            sqs.delete(pipe.source, records[index]["receiptHandle"])


async def wait_for_wake(clock: Any, wake: asyncio.Event, deadline: float) -> None:
    """Wait until `wake` is set or the engine clock reaches `deadline`."""
    waiter = asyncio.ensure_future(wake.wait())
    timer = asyncio.ensure_future(clock.sleep_until(deadline))
    try:
        await asyncio.wait({waiter, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        timer.cancel()


def check_source_role(service: PipesService, pipe: Pipe) -> None:
    """Refuse (AccessDenied, traced `denied`) a read the pipe's role may not make, when enforcing."""
    actions = SOURCE_ACTIONS.get(pipe.source.split(":", 3)[2], ())
    refused = refused_role_action(
        service.engine, pipe.role_arn, pipe.name, actions, pipe.source, source=pipe.arn
    )
    if refused is not None:
        raise refused[1]


async def source_unreadable(service: PipesService, pipe: Pipe, error: ServiceError) -> None:
    """Note that the source cannot be read, and wait before trying again."""
    pipe.state_reason = f"Source {pipe.source} cannot be read: {error.code}"
    service.emit("failed", pipe.arn, reason=pipe.state_reason)
    await service.clock.sleep(SOURCE_RETRY)
