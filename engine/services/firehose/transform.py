"""Lambda record transformation: invoke with base64 records, read back Ok/Dropped/ProcessingFailed."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError
from engine.service import Envelope

from .config import MIB, Processor

if TYPE_CHECKING:
    from .service import FirehoseService
    from .stream import DeliveryStream, Pending


@dataclass(slots=True)
class Failure:
    """A record that could not be transformed, with Firehose's error code and message."""

    record: Pending
    code: str
    message: str
    attempts: int


async def transform(
    service: FirehoseService, stream: DeliveryStream, processor: Processor, batch: list[Pending]
) -> tuple[list[bytes], list[Failure]]:
    """Run `batch` through the Lambda processor in chunks of its buffer size.

    Returns the transformed data of every Ok record, in order, and the records that failed.
    Dropped records appear in neither.
    """
    kept: list[bytes] = []
    failures: list[Failure] = []
    limit = int(processor.buffer_mb * MIB)
    chunk: list[Pending] = []
    size = 0
    for record in batch:
        if chunk and size + len(record.data) > limit:
            await _run_chunk(service, stream, processor, chunk, kept, failures)
            chunk, size = [], 0
        chunk.append(record)
        size += len(record.data)
    if chunk:
        await _run_chunk(service, stream, processor, chunk, kept, failures)
    return kept, failures


def _event(service: FirehoseService, stream: DeliveryStream, chunk: list[Pending]) -> dict:
    records = []
    for record in chunk:
        item: dict[str, Any] = {
            "recordId": record.record_id,
            "approximateArrivalTimestamp": int(record.arrival * 1000),
            "data": base64.b64encode(record.data).decode(),
        }
        if record.kinesis is not None:
            item["kinesisRecordMetadata"] = dict(record.kinesis)
        records.append(item)
    event: dict[str, Any] = {
        "invocationId": service.ids.uuid(),
        "deliveryStreamArn": stream.arn,
        "region": service.region,
        "records": records,
    }
    if stream.source_arn is not None:
        event["sourceKinesisStreamArn"] = stream.source_arn
    return event


async def _run_chunk(
    service: FirehoseService,
    stream: DeliveryStream,
    processor: Processor,
    chunk: list[Pending],
    kept: list[bytes],
    failures: list[Failure],
) -> None:
    attempts = 0
    error = ""
    while attempts <= processor.retries:
        attempts += 1
        try:
            result = await service.engine.fabric.deliver(
                processor.lambda_arn,
                Envelope(
                    body=_event(service, stream, chunk),
                    source_arn=stream.arn,
                    trace_id=chunk[0].trace_id,
                    options={"invocation_type": "RequestResponse"},
                ),
            )
        except ServiceError as failure:
            error = f"{failure.code}: {failure.message}"
            service.emit("retried", stream.arn, reason=error[:256], attempt=attempts)
            continue
        _read_result(result, chunk, kept, failures, attempts)
        return
    failures.extend(
        Failure(
            record,
            "Lambda.FunctionError",
            f"The Lambda function was invoked and failed: {error}",
            attempts,
        )
        for record in chunk
    )


def _read_result(
    result: Any,
    chunk: list[Pending],
    kept: list[bytes],
    failures: list[Failure],
    attempts: int,
) -> None:
    """Match the function's answer to the records sent, by recordId."""
    answered = result.get("records") if isinstance(result, dict) else None
    if not isinstance(answered, list):
        failures.extend(
            Failure(
                r,
                "Lambda.InvalidReturnedResult",
                "The Lambda function returned no records list.",
                attempts,
            )
            for r in chunk
        )
        return
    by_id: dict[str, dict] = {}
    for item in answered:
        if isinstance(item, dict) and isinstance(item.get("recordId"), str):
            by_id.setdefault(item["recordId"], item)
    for record in chunk:
        item = by_id.get(record.record_id)
        if item is None:
            failures.append(
                Failure(
                    record,
                    "Lambda.MissingRecordId",
                    "One or more record Ids were not returned.",
                    attempts,
                )
            )
            continue
        status = item.get("result")
        if status == "Dropped":
            continue
        if status == "ProcessingFailed":
            failures.append(
                Failure(
                    record,
                    "Lambda.ProcessingFailedStatus",
                    "ProcessingFailed status returned by the Lambda function.",
                    attempts,
                )
            )
            continue
        if status != "Ok":
            failures.append(
                Failure(
                    record,
                    "Lambda.InvalidReturnedResult",
                    f"Invalid result {status!r} returned by the Lambda function.",
                    attempts,
                )
            )
            continue
        try:
            kept.append(base64.b64decode(item.get("data", ""), validate=True))
        except (binascii.Error, TypeError, ValueError):
            failures.append(
                Failure(
                    record,
                    "Lambda.InvalidReturnedData",
                    "The data returned by the Lambda function is not valid base64.",
                    attempts,
                )
            )
