"""Amazon CloudWatch metrics and alarms (boto3 name "cloudwatch")."""

from .service import CloudWatchService as SERVICE

__all__ = ["SERVICE"]
