"""Amazon EventBridge Pipes: source → filter → enrichment → target, one poller per pipe.

Sources: SQS queues, Kinesis streams and DynamoDB streams. Enrichment: Lambda functions and Step Functions state machines (express,
synchronous). Targets: any fabric target (SQS, SNS, EventBridge bus, Lambda, Step Functions,
Kinesis, Firehose). See docs/services/pipes.md.
"""

from .service import PipesService as SERVICE

__all__ = ["SERVICE"]
