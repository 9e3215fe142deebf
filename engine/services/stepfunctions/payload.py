"""Payload templates and the JSONPath/JSONata data flow of one state (input → result → output)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import intrinsics
from .errors import Failure
from .jsonata_eval import UNDEFINED, JsonataFailure, expression_text, is_expression
from .jsonata_eval import evaluate as evaluate_jsonata
from .jsonpath import PathError, compile_path, evaluate


def compact(value: Any) -> str:
    """JSON text without spaces, as AWS shows values inside messages."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Scope:
    """Variables visible to a state: its own and, read-only, those of enclosing scopes."""

    __slots__ = ("values", "parent")

    def __init__(self, parent: Scope | None = None, values: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = values if values is not None else {}
        self.parent = parent

    def lookup(self, name: str) -> Any:
        """The value of variable `name`; raises KeyError when no scope defines it."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            scope = scope.parent
        raise KeyError(name)

    def flat(self) -> dict[str, Any]:
        """Every visible variable, inner scopes winning."""
        chain = []
        scope: Scope | None = self
        while scope is not None:
            chain.append(scope.values)
            scope = scope.parent
        merged: dict[str, Any] = {}
        for values in reversed(chain):
            merged.update(values)
        return merged


class Evaluator:
    """Evaluates one state's paths, templates, intrinsics and JSONata for one execution."""

    def __init__(
        self,
        state_name: str,
        entered_event_id: int,
        context: dict[str, Any] | Callable[[], dict[str, Any]],
        scope: Scope,
        rng: Any,
        uuid_source: Callable[[], str],
    ) -> None:
        self.state_name = state_name
        self.entered_event_id = entered_event_id
        # The context object is built on first use: most states never read it.
        self._context = context if isinstance(context, dict) else None
        self._make_context = None if isinstance(context, dict) else context
        self.scope = scope
        self.rng = rng
        self.uuid_source = uuid_source
        #: The engine clock in milliseconds, for JSONata's $now() and $millis().
        self.clock_ms: Callable[[], int] | None = None

    @property
    def context(self) -> dict[str, Any]:
        """The context object (`$$`)."""
        if self._context is None:
            self._context = self._make_context()
        return self._context

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._context = value

    # -- errors --------------------------------------------------------------------------
    def runtime(
        self, message: str, error: str = "States.Runtime", location: str | None = None
    ) -> Failure:
        """A runtime failure worded as AWS words it, naming the state and its entered event."""
        failure = Failure(
            error,
            f"An error occurred while executing the state '{self.state_name}' "
            f"(entered at the event id #{self.entered_event_id}). {message}",
        )
        failure.location = location
        return failure

    # -- JSONPath ------------------------------------------------------------------------
    def path(self, text: str, document: Any) -> Any:
        """InputPath/OutputPath/ItemsPath: a path over the document (or context/variables)."""
        if text.startswith("$$"):
            document = self.context
        elif _is_variable(text):
            return self.variable(text)
        try:
            return evaluate(compile_path(text), document)
        except PathError as error:
            raise self.runtime(f"Invalid path '{text}' : {error.message}") from None

    def variable(self, text: str) -> Any:
        """A `$name.path` variable reference."""
        ref = intrinsics._variable(text)
        try:
            value = self.scope.lookup(ref.name)
        except KeyError:
            raise self.runtime(f"The variable '{ref.name}' could not be found") from None
        try:
            return evaluate(ref.path, value)
        except PathError as error:
            raise self.runtime(f"Invalid path '{text}' : {error.message}") from None

    def field_path(self, text: str, document: Any, field: str) -> Any:
        """A `.$` path in a template, or a *Path field; missing values are States.Runtime."""
        source = self.context if text.startswith("$$") else document
        if _is_variable(text):
            return self.variable(text)
        try:
            return evaluate(compile_path(text), source)
        except PathError:
            raise self.runtime(
                f"The JSONPath '{text}' specified for the field '{field}' could not be found "
                f"in the input '{compact(document)}'"
            ) from None

    def intrinsic(self, text: str, document: Any, field: str) -> Any:
        """Run an intrinsic function call."""
        call = intrinsics.parse(text)

        def resolve(arg: Any) -> Any:
            if isinstance(arg, intrinsics.VarArg):
                try:
                    value = self.scope.lookup(arg.name)
                except KeyError:
                    raise self.runtime(f"The variable '{arg.name}' could not be found") from None
                try:
                    return evaluate(arg.path, value)
                except PathError:
                    raise self.runtime(f"Invalid path '{arg.path.text}' in '{text}'") from None
            source = self.context if arg.path.context else document
            try:
                return evaluate(arg.path, source)
            except PathError:
                raise self.runtime(
                    f"The JSONPath '{arg.path.text}' specified for the field '{field}' could not "
                    f"be found in the input '{compact(document)}'"
                ) from None

        try:
            return intrinsics.evaluate(call, resolve, self.rng)
        except intrinsics.IntrinsicError as error:
            raise self.runtime(
                f"The function '{text}' for the field '{field}' failed: {error.message}",
                "States.IntrinsicFailure",
            ) from None

    def template(self, template: Any, document: Any) -> Any:
        """Resolve a payload template (Parameters, ResultSelector, ItemSelector, Assign)."""
        if isinstance(template, dict):
            out: dict[str, Any] = {}
            for key, value in template.items():
                if key.endswith(".$") and isinstance(value, str):
                    out[key[:-2]] = self.dynamic(value, document, key)
                else:
                    out[key] = self.template(value, document)
            return out
        if isinstance(template, list):
            return [self.template(v, document) for v in template]
        return template

    def dynamic(self, value: str, document: Any, field: str) -> Any:
        """The value of one `.$` field."""
        if intrinsics.is_intrinsic(value):
            return self.intrinsic(value, document, field)
        return self.field_path(value, document, field)

    # -- JSONata -------------------------------------------------------------------------
    def states_binding(self, **extra: Any) -> dict[str, Any]:
        """The `$states` variable: input, context and whatever the state adds."""
        binding = {"context": self.context}
        binding.update(extra)
        return binding

    def jsonata(
        self, value: Any, states: dict[str, Any], field: str, *, allow_undefined: bool = False
    ) -> Any:
        """Resolve a JSONata template: `{% %}` strings anywhere inside `value` are evaluated."""
        if isinstance(value, str):
            if not is_expression(value):
                return value
            text = expression_text(value)
            try:
                result = evaluate_jsonata(
                    text,
                    states,
                    self.scope.flat(),
                    self.rng,
                    self.uuid_source,
                    self.clock_ms() if self.clock_ms is not None else None,
                )
            except JsonataFailure as failure:
                raise self.runtime(
                    f"The JSONata expression '{text}' specified for the field '{field}' {failure.reason}",
                    "States.QueryEvaluationError",
                    field,
                ) from None
            if result is UNDEFINED:
                if allow_undefined:
                    return UNDEFINED
                raise self.runtime(
                    f"The JSONata expression '{text}' specified for the field '{field}' "
                    "returned nothing (undefined).",
                    "States.QueryEvaluationError",
                    field,
                )
            return result
        if isinstance(value, dict):
            return {k: self.jsonata(v, states, f"{field}/{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.jsonata(v, states, field) for v in value]
        return value


def _is_variable(text: str) -> bool:
    return text.startswith("$") and not text.startswith(("$.", "$[", "$$")) and text != "$"
