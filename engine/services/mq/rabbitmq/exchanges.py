"""Exchanges: direct, fanout, topic and headers, each with the index its matching needs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from .model import Binding
from .topic import TopicTrie

#: The exchange types RabbitMQ ships (plugins add others, which Amazon MQ does not enable).
EXCHANGE_TYPES = ("direct", "fanout", "topic", "headers")


class Exchange(ABC):
    """An exchange: its declaration and its bindings, matched by type."""

    type = ""

    def __init__(
        self,
        name: str,
        *,
        durable: bool = True,
        auto_delete: bool = False,
        internal: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.durable = durable
        self.auto_delete = auto_delete
        self.internal = internal
        self.arguments = dict(arguments or {})
        self.bindings: dict[tuple, Binding] = {}
        self.published = 0
        self.routed = 0

    @property
    def alternate(self) -> str | None:
        """The alternate exchange unroutable messages go to (`alternate-exchange` argument)."""
        value = self.arguments.get("alternate-exchange")
        return value if isinstance(value, str) and value else None

    def bind(self, binding: Binding) -> bool:
        """Add `binding`; False when the same binding exists already."""
        key = binding.identity()
        if key in self.bindings:
            return False
        self.bindings[key] = binding
        self._index(binding)
        return True

    def unbind(self, binding_key: tuple) -> Binding | None:
        """Remove the binding with this identity (None when absent)."""
        binding = self.bindings.pop(binding_key, None)
        if binding is not None:
            self._unindex(binding)
        return binding

    @abstractmethod
    def match(self, routing_key: str, headers: dict[str, Any]) -> list[Binding]:
        """The bindings a message with this key and headers matches."""

    def _index(self, binding: Binding) -> None:
        pass

    def _unindex(self, binding: Binding) -> None:
        pass


class DirectExchange(Exchange):
    """Routes on exact routing-key equality (a dict lookup)."""

    type = "direct"

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self._by_key: dict[str, list[Binding]] = {}

    def _index(self, binding: Binding) -> None:
        self._by_key.setdefault(binding.routing_key, []).append(binding)

    def _unindex(self, binding: Binding) -> None:
        found = self._by_key.get(binding.routing_key)
        if found is not None:
            found.remove(binding)
            if not found:
                del self._by_key[binding.routing_key]

    def match(self, routing_key: str, headers: dict[str, Any]) -> list[Binding]:
        return self._by_key.get(routing_key, [])


class FanoutExchange(Exchange):
    """Routes to every binding, ignoring the key."""

    type = "fanout"

    def match(self, routing_key: str, headers: dict[str, Any]) -> list[Binding]:
        return list(self.bindings.values())


class TopicExchange(Exchange):
    """Routes on dotted-word patterns (`*`, `#`) through a trie."""

    type = "topic"

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self._trie = TopicTrie()

    def _index(self, binding: Binding) -> None:
        self._trie.add(binding.routing_key, binding)

    def _unindex(self, binding: Binding) -> None:
        self._trie.remove(binding.routing_key, binding)

    def match(self, routing_key: str, headers: dict[str, Any]) -> list[Binding]:
        return self._trie.match(routing_key)


def headers_match(arguments: dict[str, Any], headers: dict[str, Any]) -> bool:
    """RabbitMQ's headers-exchange test: `x-match` all/any (`-with-x` also compares `x-` keys)."""
    mode = arguments.get("x-match", "all")
    if isinstance(mode, bytes):
        mode = mode.decode()
    with_x = mode.endswith("-with-x")
    wanted = [
        (key, value)
        for key, value in arguments.items()
        if key != "x-match" and (with_x or not key.startswith("x-"))
    ]

    def hit(key: str, value: Any) -> bool:
        if key not in headers:
            return False
        # A void (None) binding value only asks that the header be present.
        return value is None or headers[key] == value

    if mode.startswith("any"):
        return any(hit(key, value) for key, value in wanted)
    return all(hit(key, value) for key, value in wanted)


class HeadersExchange(Exchange):
    """Routes on message headers against each binding's arguments (`x-match`)."""

    type = "headers"

    def match(self, routing_key: str, headers: dict[str, Any]) -> list[Binding]:
        return [b for b in self.bindings.values() if headers_match(b.arguments, headers)]


EXCHANGE_CLASSES: dict[str, type[Exchange]] = {
    "direct": DirectExchange,
    "fanout": FanoutExchange,
    "topic": TopicExchange,
    "headers": HeadersExchange,
}
