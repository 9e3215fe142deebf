"""Amazon EventBridge Scheduler (boto3 name "scheduler")."""

from .service import SchedulerService as SERVICE

__all__ = ["SERVICE"]
