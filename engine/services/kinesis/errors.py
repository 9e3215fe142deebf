"""Kinesis's error codes and messages, worded as AWS words them."""

from __future__ import annotations

from engine.errors import ServiceError


def invalid(message: str) -> ServiceError:
    """InvalidArgumentException: a parameter is well-formed but not acceptable."""
    return ServiceError("InvalidArgumentException", message)


def in_use(message: str) -> ServiceError:
    """ResourceInUseException: the resource exists already or is busy."""
    return ServiceError("ResourceInUseException", message)


def limit_exceeded(message: str) -> ServiceError:
    """LimitExceededException: an account or stream quota would be exceeded."""
    return ServiceError("LimitExceededException", message)


def stream_not_found(name: str, account: str) -> ServiceError:
    """ResourceNotFoundException for a stream."""
    return ServiceError(
        "ResourceNotFoundException", f"Stream {name} under account {account} not found."
    )


def shard_not_found(shard_id: str, stream: str, account: str) -> ServiceError:
    """ResourceNotFoundException for a shard."""
    return ServiceError(
        "ResourceNotFoundException",
        f"Shard {shard_id} in stream {stream} under account {account} does not exist",
    )


def throughput_exceeded_message(shard_id: str, stream: str, account: str) -> str:
    """The message of a per-shard ProvisionedThroughputExceededException."""
    return f"Rate exceeded for shard {shard_id} in stream {stream} under account {account}."


def throughput_exceeded(shard_id: str, stream: str, account: str) -> ServiceError:
    """ProvisionedThroughputExceededException for one shard."""
    return ServiceError(
        "ProvisionedThroughputExceededException",
        throughput_exceeded_message(shard_id, stream, account),
    )


def validation(value_path: str, constraint: str) -> ServiceError:
    """ValidationException in AWS's "1 validation error detected" form."""
    return ServiceError(
        "ValidationException",
        f"1 validation error detected: Value at '{value_path}' failed to satisfy constraint: "
        f"{constraint}",
    )


def expired_token(token: str) -> ServiceError:
    """ExpiredNextTokenException for a pagination token older than five minutes."""
    return ServiceError("ExpiredNextTokenException", f"The NextToken {token} has expired.")


def no_policy(arn: str) -> ServiceError:
    """ResourceNotFoundException for a resource without a policy."""
    return ServiceError("ResourceNotFoundException", f"No resource policy found for {arn}.")
