"""Amazon MSK (`kafka`): the control plane and a Kafka-protocol broker per cluster."""

from .service import KafkaService as SERVICE

__all__ = ["SERVICE"]
