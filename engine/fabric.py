"""The integration fabric: a target ARN and a payload go to the service that owns the ARN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .arn import owner_of
from .errors import ServiceError
from .service import Envelope

if TYPE_CHECKING:
    from .engine import Engine


class Fabric:
    """Routes deliveries between services, one hop at a time, each traced by its services."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._emulated: set[str] = set()  # owners known to be emulated (hot path: no rescan)

    def _is_emulated(self, owner: str) -> bool:
        if owner in self._emulated:
            return True
        if owner in self._engine.available_services():
            self._emulated.add(owner)
            return True
        return False

    def owner(self, target_arn: str) -> str:
        """The boto3 name of the service that owns `target_arn`."""
        owner = owner_of(target_arn)
        if owner is None or not self._is_emulated(owner):
            raise ServiceError(
                "InvalidParameter",
                f"Invalid target ARN (no emulated service owns it): {target_arn}",
            )
        return owner

    async def deliver(self, target_arn: str, envelope: Envelope) -> Any:
        """Hand `envelope` to the service owning `target_arn`; raises ServiceError on failure."""
        service = self._engine.service(self.owner(target_arn))
        return await service.deliver(target_arn, envelope)

    async def exists(self, target_arn: str) -> bool:
        """Whether the resource named by `target_arn` exists right now."""
        owner = owner_of(target_arn)
        if owner is None or owner not in self._engine.available_services():
            return False
        service = self._engine.service(owner)
        return service.owns(target_arn)
