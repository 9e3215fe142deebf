"""Amazon DynamoDB: tables, items, expressions, transactions, and stream storage."""

from .service import DynamoDbService as SERVICE

__all__ = ["SERVICE"]
