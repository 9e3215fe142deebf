"""Amazon MQ for RabbitMQ: an AMQP 0-9-1 broker (exchanges, queues, bindings) on loopback."""

from .broker import RabbitBroker

__all__ = ["RabbitBroker"]
