"""Resource names accepted wherever a queue URL or an ARN is expected, looked up in the live lab.

The rule is generic, by member name: `QueueUrl` takes a queue name; any `…Arn`/`…ARN` member
takes the name of a live resource (the member's prefix picks the kind when it names one:
`TopicArn` → topic, `StateMachineArn` → state machine …); an SNS `Endpoint` takes a queue or
function name when the `Protocol` beside it says which. Values that are already URLs or ARNs,
and names that match nothing (or more than one thing), are passed on untouched so the service
gives AWS's own error.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from botocore.model import Shape

from engine.errors import ServiceError

if TYPE_CHECKING:
    from engine import Engine

#: The word before `Arn` in a member name → the topology node kind it refers to.
ARN_KINDS: dict[str, str] = {
    "Topic": "topic",
    "StateMachine": "state-machine",
    "Stream": "stream",
    "ConsumerStream": "stream",
    "DeliveryStream": "delivery-stream",
    "KinesisStream": "stream",
    "Function": "function",
    "EventBus": "bus",
    "Queue": "queue",
    "DeadLetterQueue": "queue",
    "Rule": "rule",
    "Table": "table",
    "Bucket": "bucket",
    "Pipe": "pipe",
    "Schedule": "schedule",
}

#: Kinds that can receive deliveries, preferred when a bare `Arn` name is ambiguous.
TARGET_KINDS = frozenset(
    {"queue", "topic", "function", "state-machine", "stream", "delivery-stream", "bus"}
)

#: ARN members that name things the topology does not list (roles, keys, executions …).
_NEVER_RESOLVED = ("Role", "Kms", "Key", "Execution", "Certificate", "Policy", "Alias", "Layer")

#: SNS subscription protocol → the node kind its endpoint names.
_PROTOCOL_KINDS = {"sqs": "queue", "lambda": "function", "firehose": "delivery-stream"}


class NameIndex:
    """Live resources by name (built once per command, only when a name needs resolving)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._by_name: dict[str, list[tuple[str, str]]] | None = None

    def _index(self) -> dict[str, list[tuple[str, str]]]:
        if self._by_name is None:
            self._by_name = {}
            for node in self._engine.topology().nodes:
                self._by_name.setdefault(node.name, []).append((node.kind, node.id))
        return self._by_name

    def arn_for(self, name: str, kind: str | None) -> str | None:
        """The ARN of the one live resource called `name` (of `kind` when given)."""
        found = self._index().get(name, [])
        if kind is not None:
            found = [entry for entry in found if entry[0] == kind]
        elif len(found) > 1:  # a rule and its queue share a name: an ARN slot wants the target
            found = [entry for entry in found if entry[0] in TARGET_KINDS]
        return found[0][1] if len(found) == 1 else None


def _arn_kind(member: str) -> str | None | bool:
    """The node kind an ARN member refers to; None for any kind; False when never resolved."""
    if not member.lower().endswith("arn"):
        return False
    prefix = member[:-3].lower()  # Step Functions spells members in lowerCamelCase
    if any(word.lower() in prefix for word in _NEVER_RESOLVED):
        return False
    if not prefix or prefix in ("resource", "target", "source", "destination"):
        return None
    for word, kind in ARN_KINDS.items():
        if prefix.endswith(word.lower()):
            return kind
    return None  # EventSourceArn, DestinationArn …: any live resource of that name


async def queue_url_for(engine: Engine, name: str) -> str | None:
    """The URL of queue `name`, if SQS runs and has it."""
    if "sqs" not in engine.available_services():
        return None
    if not any(s.name == "sqs" for s in engine.started_services()):
        return None
    service = engine.service("sqs")
    lookup = getattr(service, "get_queue_url", None)
    if lookup is None:
        return None
    try:
        result = lookup({"QueueName": name})
        if inspect.isawaitable(result):
            result = await result
    except ServiceError:
        return None
    return result.get("QueueUrl") if isinstance(result, dict) else None


async def resolve(engine: Engine, shape: Shape | None, params: dict[str, Any]) -> dict[str, Any]:
    """A copy of `params` with resource names replaced by the URLs/ARNs the operation expects."""
    if shape is None:
        return params
    index = NameIndex(engine)
    return await _walk(engine, index, shape, params)


async def _walk(engine: Engine, index: NameIndex, shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not shape.metadata.get("document"):
        result: dict[str, Any] = {}
        protocol = value.get("Protocol") if isinstance(value.get("Protocol"), str) else None
        for key, item in value.items():
            member = shape.members.get(key)
            if member is None:
                result[key] = item
            elif member.type_name == "string" and isinstance(item, str):
                result[key] = await _resolve_string(engine, index, key, item, protocol)
            else:
                result[key] = await _walk(engine, index, member, item)
        return result
    if kind == "list" and isinstance(value, list):
        return [await _walk(engine, index, shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: await _walk(engine, index, shape.value, v) for k, v in value.items()}
    return value


async def _resolve_string(
    engine: Engine, index: NameIndex, member: str, value: str, protocol: str | None
) -> str:
    if not value or value.startswith(("arn:", "http://", "https://")):
        return value
    if member == "QueueUrl":
        return await queue_url_for(engine, value) or value
    if member == "Endpoint" and protocol in _PROTOCOL_KINDS:
        return index.arn_for(value, _PROTOCOL_KINDS[protocol]) or value
    kind = _arn_kind(member)
    if kind is False:
        return value
    return index.arn_for(value, kind) or value  # type: ignore[arg-type]


def expected_kind(member: str) -> str | None | bool:
    """For completion: the node kind a member takes by name (None any, False none)."""
    if member == "QueueUrl":
        return "queue"
    return _arn_kind(member)
