"""Amazon DynamoDB Streams: the read side of the change logs DynamoDB tables write."""

from .service import DynamoDbStreamsService as SERVICE

__all__ = ["SERVICE"]
