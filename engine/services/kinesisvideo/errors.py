"""Kinesis Video Streams' errors, with AWS's codes and wording."""

from __future__ import annotations

from engine.errors import ServiceError


def not_found(kind: str = "stream") -> ServiceError:
    """ResourceNotFoundException: no such stream or channel (AWS's words)."""
    return ServiceError(
        "ResourceNotFoundException",
        f"The requested {kind} is not found or not active.",
        status_code=404,
    )


def invalid(message: str) -> ServiceError:
    """InvalidArgumentException: a parameter's value is not acceptable."""
    return ServiceError("InvalidArgumentException", message)


def in_use(message: str) -> ServiceError:
    """ResourceInUseException: the name is taken or the resource is busy."""
    return ServiceError("ResourceInUseException", message)


def version_mismatch() -> ServiceError:
    """VersionMismatchException: CurrentVersion is not the resource's latest version."""
    return ServiceError(
        "VersionMismatchException",
        "The stream version that you specified is not the latest version.",
    )


def no_retention() -> ServiceError:
    """NoDataRetentionException: archived reads need a stream that keeps data."""
    return ServiceError(
        "NoDataRetentionException",
        "The stream does not retain data (DataRetentionInHours is 0).",
    )


def needs_video_extra(operation: str) -> ServiceError:
    """What an operation that decodes or remuxes media says when PyAV is not installed."""
    return ServiceError(
        "UnsupportedOperation",
        f"{operation} needs the media library: pip install 'pipework[video]' (PyAV).",
        status_code=501,
    )
