"""The Engine: one lab of emulated AWS services sharing a clock, a trace bus and a fabric."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
from collections.abc import Callable, Coroutine
from typing import Any

from .client import Client
from .clock import Clock, RealClock
from .fabric import Fabric
from .faults import FaultInjector
from .ids import Ids
from .listeners import Listeners
from .service import Service
from .services import SERVICE_MODULES
from .topology import Topology
from .trace import TraceBus

#: The account every lab resource lives in: AWS's documentation example account.
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


class Engine:
    """A lab: services created on first use, one clock, one trace bus, one fabric.

    Use it as `async with Engine(clock=VirtualClock()) as eng:`; `eng.client("sqs")` gives an
    async client with boto3's method names and results.
    """

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        seed: int = 0,
    ) -> None:
        self.clock: Clock = clock if clock is not None else RealClock()
        self.region = region
        self.account_id = account_id
        self.seed = seed
        self.ids = Ids(seed)
        self.trace = TraceBus(self.clock)
        self.faults = FaultInjector(seed)
        self.fabric = Fabric(self)
        #: Loopback protocol listeners (Kafka, AMQP, STOMP, MQTT, GraphQL …) owned by resources.
        self.listeners = Listeners(self)
        #: Lab-wide switches a front end or lesson can flip (e.g. "kinesis.enforce_limits").
        self.settings: dict[str, Any] = {}
        self._services: dict[str, Service] = {}
        self._clients: dict[str, Client] = {}
        self._tasks: set[asyncio.Task] = set()
        self._closed = False

    # -- lifecycle --------------------------------------------------------------------
    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop every service and background task."""
        if self._closed:
            return
        self._closed = True
        for service in list(self._services.values()):
            await service.close()
        await self.listeners.close_all()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def reset(self) -> None:
        """Empty the lab: stop every service and background task, clear faults and settings.

        The clock, trace bus (and its subscribers) and fabric stay; services start afresh on
        next use. Used by the console's `reset` and `open`.
        """
        services = list(self._services.values())
        self._services.clear()
        self._clients.clear()
        for service in services:
            await service.close()
        await self.listeners.close_all()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self.faults.clear()
        self.settings.clear()
        self.ids = Ids(self.seed)

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task:
        """Run background work owned by the engine (cancelled when it closes)."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            self.trace.emit(
                "engine-error", "engine", task.get_name(), error=f"{type(error).__name__}: {error}"
            )

    # -- services and clients ----------------------------------------------------------
    @staticmethod
    def available_services() -> list[str]:
        """The boto3 names of the services this build of Pipework emulates."""
        return [name for name in SERVICE_MODULES if _module_exists(SERVICE_MODULES[name])]

    def service(self, name: str) -> Service:
        """The running service `name` (created on first use)."""
        service = self._services.get(name)
        if service is None:
            module_name = SERVICE_MODULES.get(name)
            if module_name is None or not _module_exists(module_name):
                raise UnknownServiceError(name)
            cls = importlib.import_module(module_name).SERVICE
            service = self._services[name] = cls(self)
        return service

    def running(self, name: str) -> Service | None:
        """The service `name` if it has started, else None (never starts it)."""
        return self._services.get(name)

    def started_services(self) -> list[Service]:
        """Services that have been used so far, in the order they started."""
        return list(self._services.values())

    def client(self, name: str) -> Client:
        """An async client for service `name`, with boto3's operation names and arguments."""
        client = self._clients.get(name)
        if client is None:
            if name not in SERVICE_MODULES or not _module_exists(SERVICE_MODULES[name]):
                raise UnknownServiceError(name)
            client = self._clients[name] = Client(self, name)
        return client

    def register_function(self, name: str, handler: Callable[..., Any], **config: Any) -> str:
        """Register a Python callable (sync or async) as Lambda function `name`; returns its ARN."""
        return self.service("lambda").register_function(name, handler, **config)

    # -- views -------------------------------------------------------------------------------
    def topology(self) -> Topology:
        """Every resource and connection in the lab right now."""
        topology = Topology()
        for service in self._services.values():
            nodes, edges = service.topology()
            topology.nodes.extend(nodes)
            topology.edges.extend(edges)
        stacks = self._services.get("cloudformation")
        if stacks is not None:
            owners = stacks.stack_of()  # type: ignore[attr-defined]
            for node in topology.nodes:
                node.stack = owners.get(node.id) or owners.get(node.name)
        return topology


class UnknownServiceError(ValueError):
    """Raised for a service name Pipework does not emulate (as boto3's UnknownServiceError)."""

    def __init__(self, name: str) -> None:
        known = ", ".join(Engine.available_services())
        super().__init__(f"Unknown service: '{name}'. Valid service names are: {known}")
        self.service_name = name


_module_cache: dict[str, bool] = {}


def _module_exists(module_name: str) -> bool:
    found = _module_cache.get(module_name)
    if found is None:
        found = _module_cache[module_name] = importlib.util.find_spec(module_name) is not None
    return found
