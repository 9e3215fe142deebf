"""Amazon EventBridge (boto3 name "events")."""

from .service import EventsService as SERVICE

__all__ = ["SERVICE"]
