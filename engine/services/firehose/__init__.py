"""Amazon Data Firehose, emulated (boto3 name `firehose`)."""

from .service import FirehoseService as SERVICE

__all__ = ["SERVICE"]
