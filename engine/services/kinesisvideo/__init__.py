"""Amazon Kinesis Video Streams: the control plane (`kinesisvideo`); the data plane services
live beside it (`media_api`, `archived_api`)."""

from __future__ import annotations

from typing import Any

__all__ = ["SERVICE"]


def __getattr__(name: str) -> Any:
    # The engine looks up the data-plane modules (`kinesisvideo.media_api`) when it starts,
    # which imports this package: the service and its MKV/HTTP codecs load on first use.
    if name == "SERVICE":
        from .service import KinesisVideoService

        return KinesisVideoService
    raise AttributeError(name)
