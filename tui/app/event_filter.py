"""The event log's filter: words that must all match, some scoped to a field (`kind:failed`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.trace import TraceEvent

from .event_text import detail_text

#: Field prefixes a filter word may carry, and the event fields each one looks in.
FIELDS = {
    "kind": ("kind",),
    "service": ("service",),
    "resource": ("resource",),
    "res": ("resource",),
    "trace": ("trace_id", "message_id"),
    "id": ("trace_id", "message_id"),
    "msg": ("message_id",),
}


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Parsed filter text: `kind:sent orders trace:1-ab` keeps events matching every word.

    A plain word matches the kind, service, resource, message and trace ids or the detail text;
    `kind:`, `service:`, `resource:` (`res:`), `trace:` (`id:`) and `msg:` look in one field.
    """

    scoped: tuple[tuple[tuple[str, ...], str], ...] = ()
    words: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> EventFilter:
        """The filter for what was typed (case-insensitive)."""
        scoped: list[tuple[tuple[str, ...], str]] = []
        words: list[str] = []
        for word in text.lower().split():
            prefix, colon, rest = word.partition(":")
            if colon and prefix in FIELDS and rest:
                scoped.append((FIELDS[prefix], rest))
            else:
                words.append(word)
        return cls(tuple(scoped), tuple(words))

    def __bool__(self) -> bool:
        return bool(self.scoped or self.words)

    def matches(self, event: TraceEvent) -> bool:
        """Whether `event` matches every word of the filter."""
        for names, word in self.scoped:
            if not any(word in str(getattr(event, name) or "").lower() for name in names):
                return False
        if not self.words:
            return True
        head = " ".join(
            (
                event.kind,
                event.service,
                event.resource,
                event.message_id or "",
                event.trace_id or "",
            )
        ).lower()
        missing = [word for word in self.words if word not in head]
        if not missing:
            return True
        text = detail_text(event).lower()  # the detail only when the cheap fields miss
        return all(word in text for word in missing)
