"""Amazon MQ: the broker control plane and the RabbitMQ engine (AMQP 0-9-1 on loopback)."""

from .service import MqService as SERVICE

__all__ = ["SERVICE"]
