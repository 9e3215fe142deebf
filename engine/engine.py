"""The Engine: one lab of emulated AWS services sharing a clock, a trace bus and a fabric."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from .client import Client
from .clock import Clock, RealClock
from .fabric import Fabric
from .faults import FaultInjector
from .heap import HeapKeeper
from .hold import Hold
from .ids import Ids
from .listeners import Listeners
from .outbound import OutboundPolicy
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
        #: Hosts beyond loopback the lab may send to for a caller (the user's choice; kept on reset).
        self.outbound = OutboundPolicy(self.trace)
        #: Lab-wide switches a front end or lesson can flip (e.g. "kinesis.enforce_limits").
        self.settings: dict[str, Any] = {}
        #: Mappings, schedules and pipes wait while a lab from elsewhere is held (`resume`).
        self.hold = Hold()
        #: Durable mode's write-ahead log (engine.persistence.store.Journal) or None.
        self.journal: Any = None
        #: The wire endpoint's URL while the lab is served (Lambda workers' SDKs are pointed at it).
        self.endpoint_url: str | None = None
        self._services: dict[str, Service] = {}
        self._clients: dict[str, Client] = {}
        self._tasks: set[asyncio.Task] = set()
        #: The last defects the lab caught (see `report_error`).
        self.errors: deque[str] = deque(maxlen=100)
        self._closed = False
        #: Freezes long-lived lab state out of the cyclic collector's scans (see engine/heap.py).
        self.heap = HeapKeeper()
        self.heap.start()

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
        await self._stop(self._services, self._tasks, self.listeners)
        self.heap.stop()

    async def reset(self) -> None:
        """Empty the lab: stop every service and background task, clear faults and settings.

        The clock, trace bus (and its subscribers) and fabric stay; services start afresh on
        next use. Used by the console's `reset` and `open`.
        """
        services = self._services
        self._services, self._clients = {}, {}
        await self._stop(services, self._tasks, self.listeners)
        self.faults.clear()
        self.settings.clear()
        self.hold.release()
        self.heap.thaw()  # the dropped services' cycles are garbage now
        self.ids = Ids(self.seed)
        if self.journal is not None:
            self.journal.lab_replaced()

    async def replace(self, restore: Callable[[Engine], Any], *, seed: int | None = None) -> None:
        """Build the lab afresh with `restore(engine)`; keep the old lab if it raises.

        The fresh services, tasks and listeners replace the old ones only when `restore` returns
        (all-or-nothing open); on failure the new ones are stopped and the old lab is untouched.
        """
        old = (self._services, self._clients, self._tasks, self.ids, self.listeners)
        old_settings = dict(self.settings)
        self._services, self._clients, self._tasks = {}, {}, set()
        self.ids = Ids(self.seed if seed is None else seed)
        self.listeners = Listeners(self)
        try:
            result = restore(self)
            if inspect.isawaitable(result):
                await result
        except BaseException:
            await self._stop(self._services, self._tasks, self.listeners)
            self._services, self._clients, self._tasks, self.ids, self.listeners = old
            self.settings.clear()
            self.settings.update(old_settings)
            raise
        await self._stop(old[0], old[2], old[4])
        self.heap.thaw()  # the replaced lab's cycles are garbage now
        self.faults.clear()
        if self.journal is not None:
            self.journal.lab_replaced()

    @staticmethod
    async def _stop(
        services: dict[str, Service], tasks: set[asyncio.Task], listeners: Listeners
    ) -> None:
        for service in list(services.values()):
            await service.close()
            service.clock.release()  # timers a dropped service set must not keep it alive
        await listeners.close_all()
        for task in list(tasks):
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        tasks.clear()

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task:
        """Run background work owned by the engine (cancelled when it closes)."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            self.report_error("engine", task.get_name(), error)

    def report_error(self, resource: str, where: str | None, error: BaseException) -> None:
        """Record a defect the lab caught and survived (a crashed task, a failed request).

        It is traced as `engine-error` and kept in `errors` (the last hundred), so a front end can
        show it and a test can fail on it.
        """
        text = f"{type(error).__name__}: {error}"
        self.errors.append(f"{resource} {where or ''}: {text}".strip())
        self.trace.emit("engine-error", resource, where, error=text[:512])

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
    def holdings(self) -> dict[str, int]:
        """What the lab holds right now: each service's resources and data, timers, tasks, listeners."""
        totals: dict[str, int] = {}
        for service in self._services.values():
            for kind, count in service.holdings().items():
                totals[kind] = totals.get(kind, 0) + count
        totals["timers"] = self.clock.pending_timers()
        totals["background tasks"] = len(self._tasks)
        totals["listeners"] = len(self.listeners.all())
        return totals

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
                # By ARN, by name, or by the id an ARN ends with (API Gateway's APIs).
                node.stack = (
                    owners.get(node.id)
                    or owners.get(node.name)
                    or owners.get(node.id.rsplit("/", 1)[-1])
                )
            stack_of_node = {node.id: node.stack for node in topology.nodes}
            for node in topology.nodes:
                if node.stack is None and node.parent is not None:
                    node.stack = stack_of_node.get(node.parent)  # a stream's shards
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
