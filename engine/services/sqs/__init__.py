"""Amazon SQS."""

from .service import SqsService as SERVICE

__all__ = ["SERVICE"]
