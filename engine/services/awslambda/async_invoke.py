"""Asynchronous invocation: Lambda's internal event queue, retries, destinations and the DLQ.

Each accepted event waits on the engine clock between attempts as AWS documents: after a function
error, 1 minute before the second attempt and 2 minutes before the third; after a throttle, an
exponential backoff from 1 second up to 5 minutes, until MaximumEventAgeInSeconds passes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from engine.arn import parse_arn
from engine.errors import ServiceError
from engine.service import Envelope

from .execution_role import delivery_options
from .logs import lambda_timestamp
from .models import EventInvokeConfig, Function, FunctionVersion
from .runtime import InvocationResult

if TYPE_CHECKING:
    from .service import LambdaService

#: Waits before the second and third attempts after a function error.
RETRY_DELAYS = (60.0, 120.0)
THROTTLE_BACKOFF_START = 1.0
THROTTLE_BACKOFF_MAX = 300.0


class AsyncInvoker:
    """Queues Event invocations and runs each one's attempts on the engine clock."""

    def __init__(self, service: LambdaService) -> None:
        self.service = service
        self.clock = service.clock

    def submit(
        self,
        function: Function,
        version: FunctionVersion,
        invoked_arn: str,
        qualifier: str | None,
        event: Any,
        *,
        request_id: str,
        trace_id: str | None,
        source: str | None,
    ) -> None:
        """Accept an event; it runs as background work owned by the engine."""
        function.async_queued += 1
        self.service.engine.spawn(
            self._run(
                function, version, invoked_arn, qualifier, event, request_id, trace_id, source
            ),
            name=f"lambda-async:{function.name}",
        )

    async def _run(
        self,
        function: Function,
        version: FunctionVersion,
        invoked_arn: str,
        qualifier: str | None,
        event: Any,
        request_id: str,
        trace_id: str | None,
        source: str | None,
    ) -> None:
        service = self.service
        clock = self.clock
        config = service.invoke_config(function, qualifier)
        received = clock.now()
        attempts = 0
        backoff = THROTTLE_BACKOFF_START
        result: InvocationResult | None = None
        condition = "Success"
        try:
            while True:
                if clock.now() - received > config.max_event_age:
                    condition = "EventAgeExceeded"
                    service.emit(
                        "expired",
                        function.arn,
                        trace_id=trace_id,
                        request_id=request_id,
                        attempts=attempts,
                    )
                    break
                try:
                    result = await service.runtime.invoke(
                        function,
                        version,
                        invoked_arn,
                        event,
                        trace_id=trace_id,
                        source=source,
                        request_id=request_id,
                    )
                except ServiceError as error:
                    # Throttled: the event goes back to the queue and waits with backoff.
                    service.emit(
                        "retried",
                        function.arn,
                        trace_id=trace_id,
                        request_id=request_id,
                        reason=error.code,
                        delay=backoff,
                    )
                    await clock.sleep(backoff)
                    backoff = min(backoff * 2, THROTTLE_BACKOFF_MAX)
                    continue
                attempts += 1
                if result.function_error is None:
                    break
                if attempts > config.max_retries:
                    condition = "RetriesExhausted"
                    break
                delay = RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)]
                service.emit(
                    "retried",
                    function.arn,
                    trace_id=trace_id,
                    request_id=request_id,
                    attempt=attempts + 1,
                    delay=delay,
                )
                await clock.sleep(delay)
        finally:
            function.async_queued -= 1
        await self._conclude(
            function,
            version,
            invoked_arn,
            config,
            event,
            request_id,
            trace_id,
            condition,
            attempts,
            result,
        )

    async def _conclude(
        self,
        function: Function,
        version: FunctionVersion,
        invoked_arn: str,
        config: EventInvokeConfig,
        event: Any,
        request_id: str,
        trace_id: str | None,
        condition: str,
        attempts: int,
        result: InvocationResult | None,
    ) -> None:
        success = condition == "Success"
        destination = config.on_success if success else config.on_failure
        qualified = invoked_arn if invoked_arn.count(":") >= 7 else f"{invoked_arn}:$LATEST"
        if destination:
            record = self._record(qualified, event, request_id, condition, attempts, result)
            await self._send_record(function, destination, record, success, trace_id)
        if not success and version.dead_letter_arn:
            message = (result.error or {}).get("errorMessage", condition) if result else condition
            await self._dead_letter(
                function, version.dead_letter_arn, event, request_id, message, trace_id
            )

    def _record(
        self,
        function_arn: str,
        event: Any,
        request_id: str,
        condition: str,
        attempts: int,
        result: InvocationResult | None,
    ) -> dict:
        """The invocation record AWS sends to destinations."""
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": lambda_timestamp(self.clock.now()),
            "requestContext": {
                "requestId": request_id,
                "functionArn": function_arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
        }
        if result is not None:
            response: dict[str, Any] = {
                "statusCode": 200,
                "executedVersion": result.executed_version,
            }
            if result.function_error:
                response["functionError"] = result.function_error
            record["responseContext"] = response
            record["responsePayload"] = json.loads(result.payload) if result.payload else None
        return record

    async def _send_record(
        self,
        function: Function,
        destination: str,
        record: dict,
        success: bool,
        trace_id: str | None,
    ) -> None:
        service_part = parse_arn(destination).service  # validated when configured
        text = json.dumps(record)
        if service_part == "lambda":
            envelope = Envelope(
                record, function.arn, trace_id, options={"invocation_type": "Event"}
            )
        elif service_part == "events":
            outcome = "Success" if success else "Failure"
            envelope = Envelope(
                {
                    "Source": "lambda",
                    "DetailType": f"Lambda Function Invocation Result - {outcome}",
                    "Detail": text,
                    "Resources": [destination, record["requestContext"]["functionArn"]],
                },
                function.arn,
                trace_id,
            )
        else:
            envelope = Envelope(text, function.arn, trace_id)
        await self._deliver(function, destination, envelope, trace_id, "destination")

    async def _dead_letter(
        self,
        function: Function,
        target: str,
        event: Any,
        request_id: str,
        message: str,
        trace_id: str | None,
    ) -> None:
        attributes = {
            "RequestID": {"DataType": "String", "StringValue": request_id},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
            "ErrorMessage": {"DataType": "String", "StringValue": message[:256] or "error"},
        }
        envelope = Envelope(json.dumps(event), function.arn, trace_id, attributes=attributes)
        await self._deliver(function, target, envelope, trace_id, "dead-letter")

    async def _deliver(
        self, function: Function, target: str, envelope: Envelope, trace_id: str | None, why: str
    ) -> None:
        service = self.service
        # Lambda sends to destinations and the dead-letter queue with the function's role.
        envelope.options.update(delivery_options(function))
        try:
            await service.engine.fabric.deliver(target, envelope)
        except ServiceError as error:
            service.emit(
                "delivery-failed",
                function.arn,
                trace_id=trace_id,
                target=target,
                via=why,
                error=f"{error.code}: {error.message}"[:256],
            )
            return
        kind = "dead-lettered" if why == "dead-letter" else "delivered"
        service.emit(kind, function.arn, trace_id=trace_id, target=target, via=why)
