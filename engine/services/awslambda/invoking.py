"""Invoke, InvokeAsync and fabric deliveries: checks, then the runtime or the async queue."""

from __future__ import annotations

import base64
import binascii
import io
import json
from typing import TYPE_CHECKING, Any

from botocore.response import StreamingBody

from engine.errors import FunctionError, ServiceError
from engine.service import Envelope
from engine.services.iam.enforcement import ENFORCE_SETTING, check_delivery

from .describe import parse_function_ref
from .runtime import ASYNC_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT

if TYPE_CHECKING:
    from .service import LambdaService


def _body(data: bytes) -> StreamingBody:
    """The Payload object boto3 returns: `.read()` gives the bytes."""
    return StreamingBody(io.BytesIO(data), len(data))


class InvokeOperations:
    """Invocation entry points (mixed into LambdaService)."""

    async def invoke(self: LambdaService, params: dict) -> dict:
        """Invoke: RequestResponse, Event or DryRun."""
        function, version, invoked_arn = self.resolve_for_invoke(
            params["FunctionName"], params.get("Qualifier")
        )
        invocation_type = params.get("InvocationType", "RequestResponse")
        payload = params.get("Payload", b"")
        if isinstance(payload, str):
            payload = payload.encode()
        limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        if len(payload) > limit:
            raise ServiceError(
                "RequestEntityTooLargeException",
                f"Request must be smaller than {limit} bytes for the "
                f"{'InvokeAsync' if invocation_type == 'Event' else 'InvokeFunction'} operation",
                status_code=413,
            )
        try:
            # Decoding first spares json its encoding detection on every call.
            event = json.loads(payload.decode()) if payload else {}
        except ValueError as error:
            raise ServiceError(
                "InvalidRequestContentException",
                f"Could not parse request body into json: Could not parse payload into json: {error}",
            ) from None
        if invocation_type == "DryRun":
            return {"StatusCode": 204, "Payload": _body(b"")}
        trace_id = self.ids.trace_id(self.clock.now()) if self.trace.enabled else None
        if invocation_type == "Event":
            request_id = self.ids.uuid()
            self.async_invoker.submit(
                function,
                version,
                invoked_arn,
                params.get("Qualifier") or parse_function_ref(params["FunctionName"])[1],
                event,
                request_id=request_id,
                trace_id=trace_id,
                source=None,
            )
            return {"StatusCode": 202, "Payload": _body(b"")}
        client_context = None
        if params.get("ClientContext"):
            try:
                client_context = json.loads(base64.b64decode(params["ClientContext"]))
            except (ValueError, binascii.Error):
                raise ServiceError(
                    "InvalidRequestContentException",
                    "Client context must be a valid Base64-encoded JSON object.",
                ) from None
        result = await self.runtime.invoke(
            function, version, invoked_arn, event, trace_id=trace_id, client_context=client_context
        )
        response: dict = {
            "StatusCode": 200,
            "ExecutedVersion": result.executed_version,
            "Payload": _body(result.payload),
        }
        if result.function_error:
            response["FunctionError"] = result.function_error
        if params.get("LogType") == "Tail":
            tail = result.log_tail.encode()[-4096:]
            response["LogResult"] = base64.b64encode(tail).decode()
        return response

    def invoke_async(self: LambdaService, params: dict) -> dict:
        """InvokeAsync (deprecated): queue the event as Invoke with InvocationType=Event does."""
        function, version, invoked_arn = self.resolve_for_invoke(params["FunctionName"], None)
        data = params["InvokeArgs"]
        if hasattr(data, "read"):
            data = data.read()
        if isinstance(data, str):
            data = data.encode()
        try:
            event = json.loads(data) if data else {}
        except ValueError as error:
            raise ServiceError(
                "InvalidRequestContentException", f"Could not parse request body into json: {error}"
            ) from None
        trace_id = self.ids.trace_id(self.clock.now()) if self.trace.enabled else None
        self.async_invoker.submit(
            function,
            version,
            invoked_arn,
            None,
            event,
            request_id=self.ids.uuid(),
            trace_id=trace_id,
            source=None,
        )
        return {"Status": 202}

    def owns(self: LambdaService, arn: str) -> bool:
        """Whether the function (and qualifier, if any) exists."""
        try:
            self.resolve_for_invoke(arn, None)
        except ServiceError:
            return False
        return True

    async def deliver(self: LambdaService, target_arn: str, envelope: Envelope) -> Any:
        """Invoke for another service: sync returns the decoded result, Event returns None."""
        function, version, invoked_arn = self.resolve_for_invoke(target_arn, None)
        if self.engine.settings.get(ENFORCE_SETTING):
            check_delivery(self.engine, envelope, target_arn, "lambda:InvokeFunction")
        event = envelope.body
        trace_id = envelope.trace_id or (
            self.ids.trace_id(self.clock.now()) if self.trace.enabled else None
        )
        if envelope.options.get("invocation_type") == "Event":
            _, qualifier = parse_function_ref(target_arn)
            self.async_invoker.submit(
                function,
                version,
                invoked_arn,
                qualifier,
                event,
                request_id=self.ids.uuid(),
                trace_id=trace_id,
                source=envelope.source_arn,
            )
            return None
        result = await self.runtime.invoke(
            function, version, invoked_arn, event, trace_id=trace_id, source=envelope.source_arn
        )
        if result.function_error:
            raise FunctionError(result.error or {}, handled=False, log_tail=result.log_tail[-4096:])
        return json.loads(result.payload)
