"""Amazon MQ for ActiveMQ: JMS queues, topics and selectors, served over STOMP on loopback."""

from .broker import ActiveBroker

__all__ = ["ActiveBroker"]
