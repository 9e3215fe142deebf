"""Flushing buffers and delivering batches: transform, then S3 or an HTTP endpoint, with retries."""

from __future__ import annotations

import asyncio
import base64
import gzip
import inspect
import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .config import S3_RETRY_SECONDS, Destination
from .prefixes import error_prefix, object_name, object_prefix, utc
from .stream import Pending
from .transform import Failure, transform

if TYPE_CHECKING:
    from .service import FirehoseService
    from .stream import DeliveryStream

#: Waits between delivery attempts: doubling from 1 s, at most 60 s.
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is the endpoint's answer, not a new destination (it could leave loopback)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


#: No proxies from the environment (a proxy would carry loopback traffic elsewhere), no redirects.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


async def post_http(url: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    """POST `body` to a real HTTP endpoint (in a thread, so the loop keeps running)."""

    def send() -> tuple[int, bytes]:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with _OPENER.open(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, OSError) as error:
            return 0, f"connection failed: {error}".encode()

    return await asyncio.to_thread(send)


class Deliverer:
    """Delivers one flushed batch of one delivery stream."""

    def __init__(self, service: FirehoseService, stream: DeliveryStream) -> None:
        self.service = service
        self.stream = stream
        self.clock = service.clock

    async def run(self, batch: list[Pending]) -> None:
        """Transform the batch if configured, then deliver it; failures go to error output."""
        stream = self.stream
        destination = stream.destination
        failures: list[Failure] = []
        if destination.processor is not None:
            chunks, failures = await transform(self.service, stream, destination.processor, batch)
        else:
            chunks = [record.data for record in batch]
        first_arrival = batch[0].arrival
        # Where error output goes: the S3 destination itself, or an HTTP endpoint's bucket.
        error_target = destination.backup if destination.kind == "HttpEndpoint" else destination
        if destination.kind != "HttpEndpoint" and destination.backup is not None:
            # S3BackupMode Enabled: the source records, before transformation.
            await self._to_s3(destination.backup, [r.data for r in batch], first_arrival)
        if chunks:
            if destination.kind == "HttpEndpoint":
                await self._to_http(chunks, batch, first_arrival)
            elif await self._to_s3(destination, chunks, first_arrival):
                stream.delivered += len(chunks)
        if failures and error_target is not None:
            stream.failed += len(failures)
            await self._errors_to_s3(error_target, failures, "processing-failed")

    # -- S3 ---------------------------------------------------------------------------
    async def _to_s3(self, target: Destination, chunks: list[bytes], first_arrival: float) -> bool:
        """Write chunks as one object under the target's prefix; True once written."""
        when = utc(first_arrival)
        unique = self.service.ids.uuid()
        body = b"".join(chunks)
        key = object_prefix(target.prefix, when, unique) + object_name(
            self.stream.name, self.stream.version, when, unique
        )
        if target.compression == "GZIP":
            body = gzip.compress(body, mtime=0)
            key += ".gz"
        key += target.file_extension
        return await self._put_with_retries(target.bucket or "", key, body)

    async def _errors_to_s3(self, target: Destination, failures: list[Failure], kind: str) -> None:
        """Write failed records as JSON lines under the target's error prefix."""
        destination = self.stream.destination
        when = utc(failures[0].record.arrival)
        unique = self.service.ids.uuid()
        now_ms = self.clock.now_ms()
        lines = []
        for failure in failures:
            entry: dict[str, Any] = {
                "attemptsMade": failure.attempts,
                "arrivalTimestamp": int(failure.record.arrival * 1000),
                "errorCode": failure.code,
                "errorMessage": failure.message,
                "attemptEndingTimestamp": now_ms,
                "rawData": base64.b64encode(failure.record.data).decode(),
            }
            if destination.processor is not None and kind == "processing-failed":
                entry["lambdaArn"] = destination.processor.lambda_arn
            lines.append(json.dumps(entry))
        key = error_prefix(target.error_prefix, when, unique, kind) + object_name(
            self.stream.name, self.stream.version, when, unique
        )
        body = ("\n".join(lines) + "\n").encode()
        await self._put_with_retries(target.bucket or "", key, body)
        for failure in failures:
            self.service.emit(
                "delivery-failed",
                self.stream.arn,
                message_id=failure.record.record_id,
                trace_id=failure.record.trace_id,
                error=failure.code,
            )

    async def _put_with_retries(self, bucket: str, key: str, body: bytes) -> bool:
        """Write one object, retrying with backoff for up to 24 hours; True once written."""
        stream = self.stream
        give_up = self.clock.now() + S3_RETRY_SECONDS
        wait = FIRST_BACKOFF
        attempt = 0
        while True:
            attempt += 1
            try:
                s3: Any = self.service.engine.service("s3")
                result = s3.put_object_internal(
                    bucket, key, body, content_type="application/octet-stream"
                )
                if inspect.isawaitable(result):
                    await result
            except (ServiceError, ValueError) as error:
                reason = getattr(error, "code", type(error).__name__)
                if (
                    self.clock.now() + wait > give_up
                    or self.service.streams.get(stream.name) is not stream
                ):
                    self.service.emit(
                        "delivery-failed", stream.arn, bucket=bucket, key=key, error=str(reason)
                    )
                    return False
                self.service.emit(
                    "retried",
                    stream.arn,
                    bucket=bucket,
                    key=key,
                    attempt=attempt,
                    error=str(reason),
                )
                await self.clock.sleep(wait)
                wait = min(MAX_BACKOFF, wait * 2)
                continue
            self.service.emit("delivered", stream.arn, bucket=bucket, key=key, bytes=len(body))
            return True

    # -- HTTP endpoint ------------------------------------------------------------------
    async def _to_http(
        self, chunks: list[bytes], batch: list[Pending], first_arrival: float
    ) -> None:
        stream = self.stream
        destination = stream.destination
        request_id = self.service.ids.uuid()
        body = json.dumps(
            {
                "requestId": request_id,
                "timestamp": self.clock.now_ms(),
                "records": [{"data": base64.b64encode(chunk).decode()} for chunk in chunks],
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Amz-Firehose-Protocol-Version": "1.0",
            "X-Amz-Firehose-Request-Id": request_id,
            "X-Amz-Firehose-Source-Arn": stream.arn,
        }
        if destination.access_key is not None:
            headers["X-Amz-Firehose-Access-Key"] = destination.access_key
        if destination.common_attributes:
            headers["X-Amz-Firehose-Common-Attributes"] = json.dumps(
                {"commonAttributes": destination.common_attributes}
            )
        if destination.content_encoding == "GZIP":
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
        give_up = self.clock.now() + destination.retry_seconds
        wait = FIRST_BACKOFF
        attempt = 0
        while True:
            attempt += 1
            status, answer = await self.service.http_transport(destination.url or "", headers, body)
            if status == 200 and _acknowledged(answer, request_id):
                stream.delivered += len(chunks)
                self.service.emit("delivered", stream.arn, url=destination.url, records=len(chunks))
                if destination.backup_mode == "AllData" and destination.backup is not None:
                    await self._to_s3(destination.backup, chunks, first_arrival)
                return
            reason = (
                f"HTTP {status}"
                if status
                else (answer.decode(errors="replace") or "connection failed")
            )
            if (
                self.clock.now() + wait > give_up
                or self.service.streams.get(stream.name) is not stream
            ):
                break
            self.service.emit(
                "retried", stream.arn, url=destination.url, attempt=attempt, error=reason
            )
            await self.clock.sleep(wait)
            wait = min(MAX_BACKOFF, wait * 2)
        if destination.processor is None:
            sent = batch
        else:  # what failed is the transformed data, which no longer maps onto input records
            sent = [
                Pending(record_id=f"{request_id}-{i}", data=chunk, arrival=first_arrival)
                for i, chunk in enumerate(chunks)
            ]
        failures = [
            Failure(record, "HttpEndpoint.DeliveryFailed", f"Delivery failed: {reason}", attempt)
            for record in sent
        ]
        stream.failed += len(failures)
        if destination.backup is not None:
            await self._errors_to_s3(destination.backup, failures, "http-endpoint-failed")


def _acknowledged(answer: bytes, request_id: str) -> bool:
    """Whether an endpoint's response is the JSON acknowledgement Firehose requires."""
    try:
        parsed = json.loads(answer or b"{}")
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("requestId") == request_id
