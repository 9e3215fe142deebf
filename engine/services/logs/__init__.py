"""Amazon CloudWatch Logs (boto3 name "logs")."""

from .service import LogsService as SERVICE

__all__ = ["SERVICE"]
