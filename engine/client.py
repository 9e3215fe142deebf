"""The public client: boto3's method names and arguments, checked against botocore's model."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import ServiceError
from .model import operations, service_model, validator

if TYPE_CHECKING:
    from .engine import Engine
    from .service import Service


class Client:
    """An async client for one emulated service, shaped like boto3's client for it."""

    def __init__(self, engine: Engine, service_name: str) -> None:
        self._engine = engine
        self._service_name = service_name
        self._operations = operations(service_name)
        self.service_model = service_model(service_name)

    @property
    def operation_names(self) -> list[str]:
        """Every operation in boto3's snake_case, as the model lists them."""
        return sorted(self._operations)

    def can_paginate(self, operation: str) -> bool:
        """Whether botocore describes a paginator for `operation` (snake_case)."""
        from botocore.loaders import Loader

        try:
            data = Loader().load_service_model(self._service_name, "paginators-1")
        except Exception:
            return False
        model_name = self._operations.get(operation)
        return model_name in data.get("pagination", {})

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._operations]

    def __getattr__(self, name: str) -> Callable[..., Any]:
        model_name = self._operations.get(name)
        if model_name is None:
            raise AttributeError(
                f"'{self.service_model.service_id.replace(' ', '')}' object has no attribute '{name}'"
            )
        method = self._make_method(name, model_name)
        setattr(self, name, method)
        return method

    def _make_method(self, snake: str, model_name: str) -> Callable[..., Any]:
        service: Service = self._engine.service(self._service_name)
        validate = validator(
            self._service_name,
            model_name,
            service.validation_error_code,
            service.check_enums,
            service.checked_patterns,
        )
        handler = getattr(service, snake, None)
        ids = self._engine.ids
        engine = self._engine
        service_label = self._service_name
        engine = self._engine
        settings = engine.settings
        permission: list[Callable[[dict], None]] = []  # made on the first enforced call

        if handler is None:

            async def unsupported(**params: Any) -> dict:
                validate(params)
                raise ServiceError(
                    "UnsupportedOperation",
                    f"Pipework does not emulate {service_label}:{model_name}.",
                    operation=model_name,
                )

            unsupported.__name__ = snake
            return unsupported

        async def call(**params: Any) -> dict:
            try:
                validate(params)
                if settings.get("iam.enforce"):
                    # Keyed callers (the wire, `acting_as`) act as their user or role.
                    if not permission:
                        from .services.iam.enforcement import call_checker

                        permission.append(call_checker(engine, service_label, model_name))
                    permission[0](params)
                result = handler(params)
                if result.__class__ is not dict and inspect.isawaitable(result):
                    result = await result
            except ServiceError as error:
                if error.operation is None:
                    error.operation = model_name
                raise
            journal = engine.journal
            if journal is not None and journal.wants(service_label, snake):
                # Durable mode: the write is on disk before the caller hears it succeeded.
                await journal.record(service_label, snake, params)
            result["ResponseMetadata"] = {
                "RequestId": ids.request_id(),
                "HTTPStatusCode": 200,
                "RetryAttempts": 0,
            }
            return result

        call.__name__ = snake
        call.__doc__ = f"{service_label}:{model_name} (see botocore's documentation)."
        return call
