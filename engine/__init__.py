"""Pipework's engine: faithful, in-process emulations of AWS integration services."""

from .clock import Clock, RealClock, VirtualClock
from .engine import Engine, UnknownServiceError
from .errors import FunctionError, ServiceError
from .service import Envelope, Service
from .topology import Edge, Node, Topology
from .trace import TraceEvent

__all__ = [
    "Clock",
    "Edge",
    "Engine",
    "Envelope",
    "FunctionError",
    "Node",
    "RealClock",
    "Service",
    "ServiceError",
    "Topology",
    "TraceEvent",
    "UnknownServiceError",
    "VirtualClock",
]
