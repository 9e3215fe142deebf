"""Ready-made demo functions a learner can deploy without writing code.

Create one with the Handler `pipework.demos.<name>` (any Runtime, Code may be `{}`), e.g. in the
console `lambda create-function --function-name f --runtime python3.12 --role r
--handler pipework.demos.echo --code '{}'`, or from Python with `lambda_service.create_demo("f",
"echo")`. Settings come from the function's environment variables (listed per demo).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .runtime import getenv

if TYPE_CHECKING:
    from engine.engine import Engine

#: Handler prefix that selects a demo instead of zip code.
DEMO_HANDLER_PREFIX = "pipework.demos."

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True, slots=True)
class Demo:
    """A demo function: what it does, its settings, and a factory making its handler."""

    name: str
    description: str
    factory: Callable[[Engine], Handler]
    settings: str = ""


class DemoFailure(Exception):
    """Raised by demos that fail on purpose."""


def _echo(engine: Engine) -> Handler:
    def handler(event: Any, context: Any) -> Any:
        return event

    return handler


def _uppercase(engine: Engine) -> Handler:
    def upper(value: Any) -> Any:
        if isinstance(value, str):
            return value.upper()
        if isinstance(value, list):
            return [upper(item) for item in value]
        if isinstance(value, dict):
            return {key: upper(item) for key, item in value.items()}
        return value

    def handler(event: Any, context: Any) -> Any:
        return upper(event)

    return handler


def _fail_then_succeed(engine: Engine) -> Handler:
    failures: dict[str, int] = {}

    def handler(event: Any, context: Any) -> Any:
        limit = int(getenv("FAIL_TIMES", "2") or 2)
        key = json.dumps(event, sort_keys=True, default=str)
        seen = failures.get(key, 0)
        if seen < limit:
            failures[key] = seen + 1
            print(f"failing attempt {seen + 1} of {limit}")
            raise DemoFailure(f"Failing on purpose (attempt {seen + 1} of {limit})")
        return {"ok": True, "attempts": seen + 1, "event": event}

    return handler


def _fail_fraction(engine: Engine) -> Handler:
    def handler(event: Any, context: Any) -> Any:
        rate = float(getenv("FAILURE_RATE", "0.5") or 0.5)
        if engine.ids.random() < rate:
            raise DemoFailure(f"Random failure (FAILURE_RATE={rate})")
        return {"ok": True, "event": event}

    return handler


def _slow(engine: Engine) -> Handler:
    async def handler(event: Any, context: Any) -> Any:
        seconds = float(getenv("SLEEP_SECONDS", "5") or 5)
        print(f"sleeping {seconds} s")
        await engine.clock.sleep(seconds)
        return {"slept": seconds, "event": event}

    return handler


def _validate_order(engine: Engine) -> Handler:
    def handler(event: Any, context: Any) -> Any:
        if not isinstance(event, dict):
            raise ValueError("Order must be a JSON object")
        problems = [name for name in ("orderId", "items") if name not in event]
        if problems:
            raise ValueError(f"Order is missing {', '.join(problems)}")
        items = event["items"]
        if not isinstance(items, list) or not items:
            raise ValueError("Order must have at least one item")
        total = 0.0
        for item in items:
            if not isinstance(item, dict):
                raise ValueError("Each item must be an object")
            total += float(item.get("price", 0)) * int(item.get("quantity", 1))
        return {**event, "valid": True, "total": round(total, 2)}

    return handler


def _charge_card(engine: Engine) -> Handler:
    def handler(event: Any, context: Any) -> Any:
        if not isinstance(event, dict):
            raise ValueError("Payment must be a JSON object")
        amount = event.get("total", event.get("amount"))
        if not isinstance(amount, (int, float)) or amount <= 0:
            raise ValueError("Amount must be a positive number")
        limit = float(getenv("CARD_LIMIT", "1000") or 1000)
        if amount > limit:
            raise PaymentDeclined(f"Card declined: {amount} exceeds the limit of {limit}")
        return {**event, "charged": amount, "chargeId": f"ch_{engine.ids.hex(16)}"}

    return handler


class PaymentDeclined(Exception):
    """The charge-card demo refused a payment."""


def _write_item(engine: Engine) -> Handler:
    async def handler(event: Any, context: Any) -> Any:
        table = getenv("TABLE_NAME", "")
        if not table:
            raise ValueError("Set the TABLE_NAME environment variable")
        records = event.get("Records") if isinstance(event, dict) else None
        items = [_item_from_record(r) for r in records] if records else [event]
        client = engine.client("dynamodb")
        for item in items:
            await client.put_item(TableName=table, Item=_to_attribute_map(item))
        print(f"wrote {len(items)} item(s) to {table}")
        return {"written": len(items), "table": table}

    return handler


def _detect_motion(engine: Engine) -> Handler:
    async def handler(event: Any, context: Any) -> Any:
        from datetime import timedelta

        from engine.services.kinesisvideo.motion import scores

        stream = getenv("STREAM_NAME", "")
        if not stream:
            raise ValueError("Set the STREAM_NAME environment variable")
        window = float(getenv("WINDOW_SECONDS", "5") or 5)
        threshold = float(getenv("THRESHOLD", "4") or 4)
        end = engine.clock.datetime()
        answer = await engine.client("kinesis-video-archived-media").get_images(
            StreamName=stream,
            ImageSelectorType="SERVER_TIMESTAMP",
            StartTimestamp=end - timedelta(seconds=window),
            EndTimestamp=end,
            SamplingInterval=1000,
            Format="PNG",
            WidthPixels=80,
        )
        found = scores(answer["Images"])
        score = max(found, default=0.0)
        motion = score > threshold
        print(
            f"{stream}: {len(found) + 1 if found else 0} frames, score {score:.1f}, motion={motion}"
        )
        return {
            "stream": stream,
            "frames": len(answer["Images"]),
            "score": round(score, 2),
            "motion": motion,
        }

    return handler


def _item_from_record(record: Any) -> dict:
    """An item from an SQS/SNS/S3 record: the JSON body if it is an object, else the record."""
    if isinstance(record, dict):
        body = record.get("body") or (record.get("Sns") or {}).get("Message")
        if isinstance(body, str):
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                return parsed
            return {"id": record.get("messageId", ""), "body": body}
        return record
    return {"value": record}


def _to_attribute_map(item: Any) -> dict:
    """A plain JSON object as DynamoDB attribute values."""
    if not isinstance(item, dict):
        raise ValueError("An item must be a JSON object")
    return {key: _to_attribute(value) for key, value in item.items()}


def _to_attribute(value: Any) -> dict:
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, (int, float)):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [_to_attribute(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: _to_attribute(v) for k, v in value.items()}}
    return {"S": str(value)}


def _partial_batch(engine: Engine) -> Handler:
    def handler(event: Any, context: Any) -> Any:
        marker = getenv("FAIL_MARKER", "fail") or "fail"
        failures = [
            {"itemIdentifier": record.get("messageId", "")}
            for record in (event.get("Records", []) if isinstance(event, dict) else [])
            if marker in str(record.get("body", ""))
        ]
        return {"batchItemFailures": failures}

    return handler


def _fail_on_marker(engine: Engine) -> Handler:
    def handler(event: Any, context: Any) -> Any:
        marker = getenv("FAIL_MARKER", "poison") or "poison"
        records = event.get("Records", []) if isinstance(event, dict) else []
        for record in records or [event]:
            data = record.get("kinesis", {}).get("data") if isinstance(record, dict) else None
            text = base64.b64decode(data).decode("utf-8", "replace") if data else str(record)
            if marker in text:
                raise DemoFailure(f"Cannot process a record containing {marker!r}")
        return {"processed": len(records) or 1}

    return handler


def _log_event(engine: Engine) -> Handler:
    def handler(event: Any, context: Any) -> Any:
        print(json.dumps(event, default=str))
        return {"logged": True, "requestId": context.aws_request_id}

    return handler


DEMOS: dict[str, Demo] = {
    demo.name: demo
    for demo in (
        Demo("echo", "Returns the event unchanged.", _echo),
        Demo("uppercase", "Returns the event with every string upper-cased.", _uppercase),
        Demo(
            "fail-then-succeed",
            "Fails the first N attempts for each distinct event, then succeeds.",
            _fail_then_succeed,
            "FAIL_TIMES (default 2)",
        ),
        Demo(
            "fail-fraction",
            "Fails a given fraction of invocations at random (seeded).",
            _fail_fraction,
            "FAILURE_RATE (default 0.5)",
        ),
        Demo(
            "slow",
            "Sleeps on the engine clock before echoing (try it with a short Timeout).",
            _slow,
            "SLEEP_SECONDS (default 5)",
        ),
        Demo(
            "validate-order",
            "Checks an order has orderId and items, adds its total; raises ValueError if not.",
            _validate_order,
        ),
        Demo(
            "charge-card",
            "Charges the order total; declines amounts over the card limit.",
            _charge_card,
            "CARD_LIMIT (default 1000)",
        ),
        Demo(
            "write-item",
            "Writes the event (or each record's JSON body) as an item into a DynamoDB table.",
            _write_item,
            "TABLE_NAME (required)",
        ),
        Demo(
            "partial-batch",
            "SQS batch handler reporting records whose body contains a marker as failures.",
            _partial_batch,
            "FAIL_MARKER (default 'fail')",
        ),
        Demo(
            "fail-on-marker",
            "Fails the whole invocation when any record (Kinesis data, SQS body) holds a marker.",
            _fail_on_marker,
            "FAIL_MARKER (default 'poison')",
        ),
        Demo("log-event", "Prints the event to the function's log and returns.", _log_event),
        Demo(
            "detect-motion",
            "Reads a Kinesis video stream's last seconds with GetImages; motion by pixel differencing.",
            _detect_motion,
            "STREAM_NAME (required), WINDOW_SECONDS (default 5), THRESHOLD (default 4)",
        ),
    )
}


def demo_named(handler: str) -> Demo | None:
    """The demo a Handler string names (`pipework.demos.<name>`), or None."""
    if handler.startswith(DEMO_HANDLER_PREFIX):
        return DEMOS.get(handler[len(DEMO_HANDLER_PREFIX) :])
    return None


def describe_demos() -> list[dict[str, str]]:
    """Every demo with its handler string, description and settings (for the REPL)."""
    return [
        {
            "Name": demo.name,
            "Handler": DEMO_HANDLER_PREFIX + demo.name,
            "Description": demo.description,
            "Settings": demo.settings,
        }
        for demo in DEMOS.values()
    ]
