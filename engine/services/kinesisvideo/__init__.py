"""Amazon Kinesis Video Streams: the control plane (`kinesisvideo`); the data plane services
live beside it (`media_api`, `archived_api`)."""

from .service import KinesisVideoService as SERVICE

__all__ = ["SERVICE"]
