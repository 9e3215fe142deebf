"""SQS's errors, with the codes boto3 shows for the JSON protocol (query-compatible)."""

from __future__ import annotations

from engine.errors import ServiceError


def sqs_error(
    code: str, message: str, query_code: str | None = None, status: int = 400
) -> ServiceError:
    """A ServiceError carrying SQS's QueryErrorCode and Type, as AWS's responses do."""
    return ServiceError(
        code,
        message,
        status_code=status,
        extra={"QueryErrorCode": query_code or code, "Type": "Sender"},
    )


def non_existent_queue() -> ServiceError:
    """The queue named by the request does not exist."""
    return sqs_error(
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
        "QueueDoesNotExist",
    )


def invalid_parameter(message: str) -> ServiceError:
    """InvalidParameterValue with AWS's message."""
    return sqs_error("InvalidParameterValue", message, "InvalidParameterValueException")


def invalid_value(value: object, parameter: str, reason: str) -> ServiceError:
    """InvalidParameterValue in AWS's 'Value X for parameter P is invalid. Reason: R' form."""
    return invalid_parameter(
        f"Value {value} for parameter {parameter} is invalid. Reason: {reason}"
    )


def missing_parameter(parameter: str) -> ServiceError:
    """MissingParameter in AWS's words."""
    return sqs_error(
        "MissingParameter",
        f"The request must contain the parameter {parameter}.",
        "MissingRequiredParameterException",
    )


def invalid_attribute_name(message: str) -> ServiceError:
    """InvalidAttributeName (an attribute this queue type does not know)."""
    return sqs_error("InvalidAttributeName", message)


def invalid_attribute_value(message: str) -> ServiceError:
    """InvalidAttributeValue (an attribute value out of range or malformed)."""
    return sqs_error("InvalidAttributeValue", message)


def receipt_handle_invalid(handle: str) -> ServiceError:
    """A receipt handle that was never issued by this queue."""
    return sqs_error(
        "ReceiptHandleIsInvalid",
        f'The input receipt handle "{handle}" is not a valid receipt handle.',
    )
