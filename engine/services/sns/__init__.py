"""Amazon SNS: topics, subscriptions, filter policies and delivery through the fabric.

Internal API for other services and front ends (see docs/services/sns.md):
`sns.outbox` (list of `OutboxMessage`: email, email-json, sms and mobile push deliveries),
`sns.http_sink` (`HttpSink`: lab HTTP endpoints — `register(url, handler)`, `requests`),
`sns.topic_for_arn(arn)`, and the fabric target `deliver(topic_arn, Envelope)`.
"""

from .models import OutboxMessage
from .service import SnsService as SERVICE

__all__ = ["SERVICE", "OutboxMessage"]
