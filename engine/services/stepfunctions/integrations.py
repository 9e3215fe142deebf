"""Task resources: Lambda, activities, optimized integrations and `aws-sdk:` calls, with timeouts."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from botocore import xform_name

from engine.errors import FunctionError, ServiceError
from engine.model import operations
from engine.service import Envelope
from engine.services.iam.enforcement import ENFORCE_SETTING, check_role_call

from .errors import Failure
from .payload import Evaluator, compact

if TYPE_CHECKING:
    from .interpreter import Cursor, Runner
    from .tokens import PendingToken

#: Error-name prefixes of the optimized integrations (`Lambda.ResourceNotFoundException` …).
OPTIMIZED_PREFIX = {
    "lambda": "Lambda",
    "sqs": "SQS",
    "sns": "SNS",
    "events": "EventBridge",
    "dynamodb": "DynamoDB",
    "states": "StepFunctions",
    "s3": "S3",
}
#: `aws-sdk:<name>` → (boto3 service name, error prefix).
SDK_SERVICES = {
    "sqs": ("sqs", "Sqs"),
    "sns": ("sns", "Sns"),
    "eventbridge": ("events", "EventBridge"),
    "sfn": ("stepfunctions", "Sfn"),
    "dynamodb": ("dynamodb", "DynamoDb"),
    "s3": ("s3", "S3"),
    "lambda": ("lambda", "Lambda"),
    "kinesis": ("kinesis", "Kinesis"),
    "firehose": ("firehose", "Firehose"),
    "apigateway": ("apigateway", "ApiGateway"),
    "dynamodbstreams": ("dynamodbstreams", "DynamoDbStreams"),
}
#: Optimized integrations whose parameters are the API call's own: (service, API action).
CLIENT_ACTIONS = {
    ("dynamodb", "getItem"): ("dynamodb", "get_item"),
    ("dynamodb", "putItem"): ("dynamodb", "put_item"),
    ("dynamodb", "updateItem"): ("dynamodb", "update_item"),
    ("dynamodb", "deleteItem"): ("dynamodb", "delete_item"),
}

TaskCall = Callable[[], Awaitable[Any]]


def _http_metadata(request_id: str, length: int, date: str, trace_id: str) -> dict[str, Any]:
    return {
        "AllHttpHeaders": {
            "X-Amz-Executed-Version": ["$LATEST"],
            "x-amzn-Remapped-Content-Length": ["0"],
            "Connection": ["keep-alive"],
            "x-amzn-RequestId": [request_id],
            "Content-Length": [str(length)],
            "Date": [date],
            "X-Amzn-Trace-Id": [trace_id],
            "Content-Type": ["application/json"],
        },
        "HttpHeaders": {
            "Connection": "keep-alive",
            "Content-Length": str(length),
            "Content-Type": "application/json",
            "X-Amz-Executed-Version": "$LATEST",
            "x-amzn-Remapped-Content-Length": "0",
            "x-amzn-RequestId": request_id,
            "Date": date,
            "X-Amzn-Trace-Id": trace_id,
        },
        "HttpStatusCode": 200,
    }


def service_failure(
    error: ServiceError, prefix: str, service_label: str, request_id: str
) -> Failure:
    """A called service's error as the Task error AWS reports."""
    return Failure(
        f"{prefix}.{error.code}",
        f"{error.message} (Service: {service_label}; Status Code: {error.status_code}; "
        f"Error Code: {error.code}; Request ID: {request_id}; Proxy: null)",
    )


async def invoke_task(
    runner: Runner,
    resource: str,
    payload: Any,
    ev: Evaluator,
    cursor: Cursor,
    timeout: float | None,
    heartbeat: float | None,
    token: PendingToken | None,
) -> Any:
    """Call a Task's resource with `payload`; returns its result or raises Failure."""
    parts = resource.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return await _lambda_direct(runner, resource, payload, ev, cursor, timeout)
    if len(parts) >= 7 and parts[2] == "states" and parts[5] == "activity":
        return await runner.service.run_activity_task(
            runner, resource, payload, ev, cursor, timeout, token
        )
    if len(parts) < 6 or parts[2] != "states" or parts[3] or parts[4]:
        raise ev.runtime(f"The resource provided {resource} is not recognized.")
    action_part = ":".join(parts[5:])
    pattern = "request"
    for suffix, name in ((".waitForTaskToken", "token"), (".sync:2", "sync2"), (".sync", "sync")):
        if action_part.endswith(suffix):
            action_part, pattern = action_part[: -len(suffix)], name
            break
    if action_part.startswith("aws-sdk:"):
        _, sdk_name, action = action_part.split(":", 2)
        resource_type, resource_name = f"aws-sdk:{sdk_name}", action
        call = _sdk_call(runner, sdk_name, action, payload, ev)
    else:
        service, _, action = action_part.partition(":")
        resource_type, resource_name = service, action
        call = _optimized_call(runner, service, action, pattern, payload, ev)
    resource_name_full = resource_name + {
        "token": ".waitForTaskToken",
        "sync": ".sync",
        "sync2": ".sync:2",
    }.get(pattern, "")
    scheduled: dict[str, Any] = {
        "resourceType": resource_type,
        "resource": resource_name_full,
        "region": runner.service.region,
        "parameters": compact(payload),
    }
    if timeout is not None:
        scheduled["timeoutInSeconds"] = int(timeout)
    if heartbeat is not None:
        scheduled["heartbeatInSeconds"] = int(heartbeat)
    runner.event(cursor, "TaskScheduled", "taskScheduledEventDetails", scheduled)
    runner.event(
        cursor,
        "TaskStarted",
        "taskStartedEventDetails",
        {"resourceType": resource_type, "resource": resource_name_full},
    )
    token_wait = token if pattern == "token" else None

    async def whole() -> Any:
        result = await call()
        if token_wait is not None:
            runner.event(
                cursor,
                "TaskSubmitted",
                "taskSubmittedEventDetails",
                {
                    "resourceType": resource_type,
                    "resource": resource_name_full,
                    "output": compact(result),
                    "outputDetails": {"truncated": False},
                },
            )
            return await token_wait.wait()
        return result

    try:
        result = await _with_timeout(runner, whole(), timeout)
        runner.check_size(result, resource_type, ev)
    except Failure as failure:
        kind = (
            "TaskTimedOut"
            if failure.error in ("States.Timeout", "States.HeartbeatTimeout")
            else "TaskFailed"
        )
        details = {
            "resourceType": resource_type,
            "resource": resource_name_full,
            "error": failure.error,
        }
        if failure.cause is not None:
            details["cause"] = failure.cause
        runner.event(cursor, kind, f"{kind[0].lower()}{kind[1:]}EventDetails", details)
        raise
    finally:
        if token_wait is not None:
            runner.service.tokens.discard(token_wait.token)
    runner.event(
        cursor,
        "TaskSucceeded",
        "taskSucceededEventDetails",
        {
            "resourceType": resource_type,
            "resource": resource_name_full,
            "output": compact(result),
            "outputDetails": {"truncated": False},
        },
    )
    return result


async def _with_timeout(runner: Runner, work: Awaitable[Any], timeout: float | None) -> Any:
    if timeout is None:
        return await work
    try:
        return await runner.clock.timeout(timeout, work)
    except TimeoutError:
        raise Failure("States.Timeout", "") from None


async def _lambda_direct(
    runner: Runner,
    resource: str,
    payload: Any,
    ev: Evaluator,
    cursor: Cursor,
    timeout: float | None,
) -> Any:
    """A Task whose Resource is a Lambda function ARN: the payload is the event."""
    scheduled: dict[str, Any] = {
        "resource": resource,
        "input": compact(payload),
        "inputDetails": {"truncated": False},
    }
    if timeout is not None:
        scheduled["timeoutInSeconds"] = int(timeout)
    runner.event(
        cursor, "LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails", scheduled
    )
    runner.event(cursor, "LambdaFunctionStarted")
    try:
        result = await _with_timeout(runner, _invoke_function(runner, resource, payload), timeout)
        runner.check_size(result, resource, ev)
    except Failure as failure:
        if failure.error == "States.Timeout":
            runner.event(
                cursor,
                "LambdaFunctionTimedOut",
                "lambdaFunctionTimedOutEventDetails",
                {"error": "States.Timeout"},
            )
        else:
            details = {"error": failure.error}
            if failure.cause is not None:
                details["cause"] = failure.cause
            runner.event(
                cursor, "LambdaFunctionFailed", "lambdaFunctionFailedEventDetails", details
            )
        raise
    runner.event(
        cursor,
        "LambdaFunctionSucceeded",
        "lambdaFunctionSucceededEventDetails",
        {
            "output": compact(result),
            "outputDetails": {"truncated": False},
        },
    )
    return result


async def _invoke_function(runner: Runner, function: str, event: Any) -> Any:
    """Invoke a function synchronously; its failure becomes the Task's error."""
    service = runner.service
    try:
        return await service.invoke_function(function, event, runner.execution)
    except FunctionError as error:
        payload = error.payload
        # A Lambda ARN resource reports the cause as Python's json.dumps wrote it (with spaces).
        return _raise(Failure(str(payload.get("errorType", "Exception")), json.dumps(payload)))
    except ServiceError as error:
        return _raise(service_failure(error, "Lambda", "AWSLambda", service.ids.uuid()))


def _raise(failure: Failure) -> Any:
    raise failure


def _optimized_call(
    runner: Runner, service: str, action: str, pattern: str, payload: Any, ev: Evaluator
) -> Callable[[], Awaitable[Any]]:
    """The coroutine factory for `arn:aws:states:::<service>:<action>`."""
    sfn = runner.service
    if service == "lambda" and action == "invoke":
        return lambda: _lambda_invoke(runner, payload, ev)
    if service == "sqs" and action == "sendMessage":
        return lambda: _sqs_send(runner, payload, ev)
    if service == "sns" and action == "publish":
        return lambda: _sns_publish(runner, payload, ev)
    if service == "events" and action == "putEvents":
        return lambda: _put_events(runner, payload, ev)
    if service == "states" and action == "startExecution":
        return lambda: sfn.start_child_execution(runner, payload, pattern, ev)
    if service == "apigateway" and action == "invoke":
        return lambda: _api_gateway_invoke(runner, payload, ev)
    if (service, action) in CLIENT_ACTIONS:
        boto_name, operation = CLIENT_ACTIONS[(service, action)]
        return lambda: _client_call(
            runner, boto_name, operation, payload, OPTIMIZED_PREFIX.get(service, service), ev
        )
    raise ev.runtime(
        f"The resource provided arn:aws:states:::{service}:{action} is not recognized."
    )


def _sdk_call(
    runner: Runner, sdk_name: str, action: str, payload: Any, ev: Evaluator
) -> Callable[[], Awaitable[Any]]:
    """The coroutine factory for `arn:aws:states:::aws-sdk:<service>:<action>`."""
    boto_name, prefix = SDK_SERVICES.get(sdk_name, (sdk_name, sdk_name.capitalize()))
    operation = xform_name(action[:1].upper() + action[1:])
    return lambda: _client_call(runner, boto_name, operation, payload, prefix, ev)


async def _client_call(
    runner: Runner, boto_name: str, operation: str, payload: Any, prefix: str, ev: Evaluator
) -> Any:
    """Call another emulated service's API with the Task's parameters."""
    engine = runner.service.engine
    if boto_name not in engine.available_services():
        raise Failure(
            f"{prefix}.ServiceUnavailable", f"The service {boto_name} is not available in this lab."
        )
    client = engine.client(boto_name)
    if not isinstance(payload, dict):
        raise Failure(
            "States.Runtime", f"The Parameters for {boto_name}:{operation} must be an object"
        )
    try:
        method = getattr(client, operation)
    except AttributeError:
        raise Failure(
            f"{prefix}.UnsupportedOperation", f"{boto_name} has no operation {operation}"
        ) from None
    try:
        if engine.settings.get(ENFORCE_SETTING):
            execution = runner.execution
            model_name = operations(boto_name).get(operation, operation)
            check_role_call(
                engine,
                execution.machine.role_arn,
                execution.name,
                boto_name,
                model_name,
                payload,
                source=execution.arn,
                trace_id=execution.trace_id,
            )
        result = await method(**payload)
    except ServiceError as error:
        raise service_failure(error, prefix, boto_name, runner.service.ids.uuid()) from None
    result = dict(result)
    result.pop("ResponseMetadata", None)
    return _jsonable(result)


def _jsonable(value: Any) -> Any:
    """API results as JSON data (bytes and datetimes become text)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if hasattr(value, "read"):
        return value.read().decode("utf-8", "replace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


async def _lambda_invoke(runner: Runner, payload: Any, ev: Evaluator) -> Any:
    """lambda:invoke: FunctionName and Payload in, AWS's invoke result out."""
    if not isinstance(payload, dict) or "FunctionName" not in payload:
        raise Failure(
            "States.Runtime",
            "The Parameters for lambda:invoke must include FunctionName",
        )
    event = payload.get("Payload")
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except ValueError:
            raise Failure(
                "Lambda.InvalidRequestContentException",
                "Could not parse request body into json (Service: AWSLambda; Status Code: 400; "
                "Error Code: InvalidRequestContentException; Proxy: null)",
            ) from None
    elif event is None:
        event = {}  # no payload (or null): the function receives an empty event
    service = runner.service
    function = payload["FunctionName"]
    try:
        result = await service.invoke_function(function, event, runner.execution)
    except FunctionError as error:
        raise Failure(
            str(error.payload.get("errorType", "Exception")), compact(error.payload)
        ) from None
    except ServiceError as error:
        raise service_failure(error, "Lambda", "AWSLambda", service.ids.uuid()) from None
    request_id = service.ids.uuid()
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": result,
        "SdkHttpMetadata": _http_metadata(
            request_id,
            len(json.dumps(result).encode()),  # the Python runtime's own serialization
            service.clock.datetime().strftime("%a, %d %b %Y %H:%M:%S GMT"),
            runner.execution.trace_id,
        ),
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200,
    }


async def _api_gateway_invoke(runner: Runner, payload: Any, ev: Evaluator) -> Any:
    """apigateway:invoke: an HTTP request through an emulated REST or HTTP API's stage."""
    from http import HTTPStatus

    from engine.http import HttpRequest

    if not isinstance(payload, dict) or "ApiEndpoint" not in payload or "Method" not in payload:
        raise Failure(
            "States.Runtime",
            "The Parameters for apigateway:invoke must include ApiEndpoint and Method",
        )
    engine = runner.service.engine
    if "apigateway" not in engine.available_services():
        raise Failure("ApiGateway.ServiceUnavailable", "API Gateway is not available in this lab.")
    stage = payload.get("Stage", "")
    path = "/" + "/".join(p.strip("/") for p in (stage, payload.get("Path", "")) if p.strip("/"))
    headers = {
        k: ",".join(v) if isinstance(v, list) else str(v)
        for k, v in (payload.get("Headers") or {}).items()
    }
    headers["host"] = payload["ApiEndpoint"]
    query = [
        (name, value)
        for name, values in (payload.get("QueryParameters") or {}).items()
        for value in (values if isinstance(values, list) else [values])
    ]
    body = payload.get("RequestBody")
    data = b"" if body is None else (body if isinstance(body, str) else compact(body)).encode()
    request = HttpRequest(
        payload["Method"].upper(),
        path or "/",
        query,
        {k.lower(): v for k, v in headers.items()},
        data,
    )
    response = await engine.service("apigateway").handle_http(request)
    text = response.body.decode("utf-8", "replace")
    if response.status >= 400:
        # AWS names a failed call ApiGateway.<status code>; the body is the cause.
        raise Failure(f"ApiGateway.{response.status}", text)
    try:
        response_body: Any = json.loads(text) if text else None
    except ValueError:
        response_body = text
    try:
        status_text = HTTPStatus(response.status).phrase
    except ValueError:
        status_text = ""
    return {
        "Headers": {k: [v] for k, v in response.headers.items()},
        "ResponseBody": response_body,
        "StatusCode": response.status,
        "StatusText": status_text,
    }


def _queue_arn(runner: Runner, queue_url: str) -> str:
    """An SQS queue URL (or name, or ARN) as the queue's ARN."""
    if queue_url.startswith("arn:"):
        return queue_url
    parts = queue_url.rstrip("/").split("/")
    name = parts[-1]
    account = parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else runner.service.account_id
    return f"arn:aws:sqs:{runner.service.region}:{account}:{name}"


async def _deliver(runner: Runner, arn: str, envelope: Envelope, prefix: str, label: str) -> Any:
    envelope.source_arn = runner.execution.arn
    envelope.trace_id = runner.execution.trace_id
    # The task acts with the state machine's execution role (checked when IAM is enforced).
    envelope.options["role_arn"] = runner.execution.machine.role_arn
    envelope.options["role_session"] = runner.execution.name
    try:
        return await runner.service.engine.fabric.deliver(arn, envelope)
    except ServiceError as error:
        raise service_failure(error, prefix, label, runner.service.ids.uuid()) from None


async def _sqs_send(runner: Runner, payload: Any, ev: Evaluator) -> Any:
    """sqs:sendMessage through the fabric."""
    import hashlib

    if not isinstance(payload, dict) or "QueueUrl" not in payload or "MessageBody" not in payload:
        raise Failure(
            "States.Runtime",
            "The Parameters for sqs:sendMessage must include QueueUrl and MessageBody",
        )
    body = payload["MessageBody"]
    text = body if isinstance(body, str) else compact(body)
    options: dict[str, Any] = {}
    if "DelaySeconds" in payload:
        options["delay_seconds"] = payload["DelaySeconds"]
    envelope = Envelope(
        body=text,
        attributes=dict(payload.get("MessageAttributes") or {}),
        group_id=payload.get("MessageGroupId"),
        dedup_id=payload.get("MessageDeduplicationId"),
        options=options,
    )
    message_id = await _deliver(
        runner, _queue_arn(runner, payload["QueueUrl"]), envelope, "SQS", "AmazonSQS"
    )
    return {"MessageId": message_id, "MD5OfMessageBody": hashlib.md5(text.encode()).hexdigest()}


async def _sns_publish(runner: Runner, payload: Any, ev: Evaluator) -> Any:
    """sns:publish through the fabric."""
    if (
        not isinstance(payload, dict)
        or "Message" not in payload
        or not (payload.get("TopicArn") or payload.get("TargetArn"))
    ):
        raise Failure(
            "States.Runtime", "The Parameters for sns:publish must include TopicArn and Message"
        )
    message = payload["Message"]
    text = message if isinstance(message, str) else compact(message)
    options = {"subject": payload["Subject"]} if "Subject" in payload else {}
    envelope = Envelope(
        body=text,
        attributes=dict(payload.get("MessageAttributes") or {}),
        group_id=payload.get("MessageGroupId"),
        dedup_id=payload.get("MessageDeduplicationId"),
        options=options,
    )
    arn = payload.get("TopicArn") or payload["TargetArn"]
    message_id = await _deliver(runner, arn, envelope, "SNS", "AmazonSNS")
    return {"MessageId": message_id}


async def _put_events(runner: Runner, payload: Any, ev: Evaluator) -> Any:
    """events:putEvents through the fabric, one entry at a time."""
    entries = payload.get("Entries") if isinstance(payload, dict) else None
    if not isinstance(entries, list) or not entries:
        raise Failure("States.Runtime", "The Parameters for events:putEvents must include Entries")
    results = []
    for entry in entries:
        bus = entry.get("EventBusName", "default")
        arn = (
            bus
            if bus.startswith("arn:")
            else f"arn:aws:events:{runner.service.region}:{runner.service.account_id}:event-bus/{bus}"
        )
        body = dict(entry)
        if "Detail" in body and not isinstance(body["Detail"], str):
            body["Detail"] = compact(body["Detail"])
        event_id = await _deliver(
            runner, arn, Envelope(body=body), "EventBridge", "AmazonEventBridge"
        )
        results.append({"EventId": event_id})
    return {"Entries": results, "FailedEntryCount": 0}
