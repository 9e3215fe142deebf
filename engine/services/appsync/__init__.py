"""AWS AppSync: GraphQL APIs with resolvers over the lab's services, subscriptions and Event APIs."""

from .service import AppSyncService as SERVICE

__all__ = ["SERVICE"]
