"""Amazon EventBridge Schema Registry (boto3 name "schemas")."""

from .service import SchemasService as SERVICE

__all__ = ["SERVICE"]
