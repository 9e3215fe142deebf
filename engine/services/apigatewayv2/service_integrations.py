"""HTTP API first-class AWS service integrations (`IntegrationSubtype`, e.g. `SQS-SendMessage`).

The integration's RequestParameters map the request onto the action's parameters; values are
`$request.body.name` (JSONPath into the body), `$request.body`, `$request.header.name`,
`$request.querystring.name`, `$request.path.name`, `$context.name`, `$stageVariables.name` or
static text. The call goes to the lab's own AWS wire endpoint in the service's JSON protocol, and
its answer (status, body) is the API's answer.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.http import HttpRequest, HttpResponse
from engine.model import service_model

from ..apigateway.vtl import json_path

if TYPE_CHECKING:
    from .payloads import HttpCall


@dataclass(frozen=True, slots=True)
class Subtype:
    """One supported action: its service, operation and the parameters it takes."""

    service: str
    operation: str
    required: frozenset[str]
    optional: frozenset[str]


def _subtype(service: str, operation: str, required: str, optional: str = "") -> Subtype:
    return Subtype(service, operation, frozenset(required.split()), frozenset(optional.split()))


SUBTYPES: dict[str, Subtype] = {
    "SQS-SendMessage": _subtype(
        "sqs",
        "SendMessage",
        "QueueUrl MessageBody",
        "DelaySeconds MessageAttributes MessageDeduplicationId MessageGroupId "
        "MessageSystemAttributes Region",
    ),
    "SQS-ReceiveMessage": _subtype(
        "sqs",
        "ReceiveMessage",
        "QueueUrl",
        "AttributeNames MaxNumberOfMessages MessageAttributeNames ReceiveRequestAttemptId "
        "VisibilityTimeout WaitTimeSeconds Region",
    ),
    "SQS-DeleteMessage": _subtype("sqs", "DeleteMessage", "QueueUrl ReceiptHandle", "Region"),
    "SQS-PurgeQueue": _subtype("sqs", "PurgeQueue", "QueueUrl", "Region"),
    "EventBridge-PutEvents": _subtype(
        "events",
        "PutEvents",
        "Detail DetailType Source",
        "Time EventBusName Resources Region TraceHeader",
    ),
    "StepFunctions-StartExecution": _subtype(
        "stepfunctions", "StartExecution", "StateMachineArn", "Name Input Region"
    ),
    "StepFunctions-StartSyncExecution": _subtype(
        "stepfunctions", "StartSyncExecution", "StateMachineArn", "Name Input Region TraceHeader"
    ),
    "StepFunctions-StopExecution": _subtype(
        "stepfunctions", "StopExecution", "ExecutionArn", "Cause Error Region"
    ),
    "Kinesis-PutRecord": _subtype(
        "kinesis",
        "PutRecord",
        "StreamName Data PartitionKey",
        "SequenceNumberForOrdering ExplicitHashKey Region",
    ),
}


def check_subtype(subtype: str, parameters: dict[str, str]) -> str | None:
    """Why these RequestParameters do not fit the subtype (None when they do)."""
    spec = SUBTYPES.get(subtype)
    if spec is None:
        return f"Unsupported integration subtype {subtype}; the lab emulates {', '.join(SUBTYPES)}"
    missing = sorted(spec.required - set(parameters))
    if missing:
        return f"Missing required request parameters for {subtype}: {', '.join(missing)}"
    unknown = sorted(set(parameters) - spec.required - spec.optional)
    if unknown:
        return f"Unknown request parameters for {subtype}: {', '.join(unknown)}"
    return None


def parameter_value(source: str, call: HttpCall) -> Any:
    """Evaluate one mapping expression against the request (static text stays as it is)."""
    request = call.request
    if source == "$request.body":
        return request.body.decode("utf-8", "replace")
    if source.startswith("$request.body."):
        try:
            document = json.loads(request.body or b"null")
        except ValueError:
            return None
        value = json_path(document, "$" + source[len("$request.body") :])
        return value
    if source.startswith("$request.header."):
        return request.headers.get(source[len("$request.header.") :].lower())
    if source.startswith("$request.querystring."):
        return request.query_dict().get(source[len("$request.querystring.") :])
    if source.startswith("$request.path."):
        return call.path_parameters.get(source[len("$request.path.") :])
    if source.startswith("$stageVariables."):
        return call.stage_variables.get(source[len("$stageVariables.") :])
    if source.startswith("$context."):
        name = source[len("$context.") :]
        known = {
            "requestId": call.request_id,
            "apiId": call.api_id,
            "stage": call.stage,
            "routeKey": call.route_key,
            "domainName": call.domain,
            "accountId": call.account_id,
        }
        return known.get(name)
    return source


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


async def call_subtype(
    engine: Any, subtype: str, parameters: dict[str, str], call: HttpCall
) -> HttpResponse:
    """Run the action through the lab's wire endpoint; its status and body become the answer."""
    from engine.wire import WireEndpoint

    spec = SUBTYPES[subtype]
    values = {name: parameter_value(source, call) for name, source in parameters.items()}
    values = {name: value for name, value in values.items() if value is not None}
    region = values.pop("Region", None) or engine.region
    if spec.operation == "PutEvents":
        entry = {
            "Source": _text(values.get("Source", "")),
            "DetailType": _text(values.get("DetailType", "")),
            "Detail": _text(values.get("Detail", "")),
        }
        for name in ("EventBusName", "Time", "TraceHeader"):
            if name in values:
                entry[name] = _text(values[name])
        if "Resources" in values:
            resources = values["Resources"]
            entry["Resources"] = resources if isinstance(resources, list) else [str(resources)]
        body: dict[str, Any] = {"Entries": [entry]}
    else:
        body = {}
        for name, value in values.items():
            if name == "Data":
                # Kinesis takes a blob: the mapped text is sent as its bytes.
                body[name] = base64.b64encode(_text(value).encode()).decode()
            elif name in (
                "DelaySeconds",
                "MaxNumberOfMessages",
                "VisibilityTimeout",
                "WaitTimeSeconds",
            ):
                body[name] = int(value) if str(value).lstrip("-").isdigit() else value
            elif name in (
                "MessageAttributes",
                "MessageSystemAttributes",
                "AttributeNames",
                "MessageAttributeNames",
            ):
                body[name] = json.loads(value) if isinstance(value, str) else value
            else:
                body[name] = _text(value)
    model = service_model(spec.service)
    members = model.operation_model(spec.operation).input_shape.members
    # Mapping names are PascalCase; some services (Step Functions) name members in camelCase.
    by_lower = {name.lower(): name for name in members}
    body = {by_lower.get(name.lower(), name): value for name, value in body.items()}
    metadata = model.metadata
    signing = metadata.get("signingName") or metadata.get("endpointPrefix")
    headers = {
        "x-amz-target": f"{metadata['targetPrefix']}.{spec.operation}",
        "content-type": f"application/x-amz-json-{metadata.get('jsonVersion', '1.0')}",
        "host": f"{metadata.get('endpointPrefix')}.{region}.amazonaws.com",
        "authorization": (
            f"AWS4-HMAC-SHA256 Credential=APIGATEWAY/20260101/{region}/{signing}/aws4_request, "
            "SignedHeaders=host, Signature=lab"
        ),
    }
    endpoint = WireEndpoint(engine)
    answer = await endpoint.handle(HttpRequest("POST", "/", [], headers, json.dumps(body).encode()))
    content_type = answer.headers.get("content-type") or answer.headers.get("Content-Type")
    return HttpResponse(
        answer.status,
        {"content-type": content_type or "application/json"},
        answer.body,
    )
