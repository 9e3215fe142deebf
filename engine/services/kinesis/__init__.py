"""Amazon Kinesis Data Streams, emulated (boto3 name `kinesis`)."""

from .service import KinesisService as SERVICE

__all__ = ["SERVICE"]
