"""HTTP API route selection: the most specific route key wins, `$default` catches the rest.

Per AWS's "Routing API requests": a full literal match beats a path with `{variables}`, which beats
a greedy `{proxy+}`; at the same path a named method beats `ANY`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from .models import Route


@dataclass(slots=True)
class _Pattern:
    route: Route
    method: str
    parts: list[str]
    greedy: bool
    rank: tuple[int, ...]


class Router:
    """Routes of one deployment, compiled once: literal keys in a dict, patterns by specificity."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.literal: dict[tuple[str, str], Route] = {}
        self.patterns: list[_Pattern] = []
        self.default: Route | None = None
        for route in routes.values():
            if route.key == "$default":
                self.default = route
                continue
            method, _, path = route.key.partition(" ")
            parts = [p for p in path.split("/") if p]
            if not any(p.startswith("{") for p in parts):
                self.literal[(method, "/" + "/".join(parts))] = route
                continue
            greedy = bool(parts) and parts[-1].endswith("+}")
            literals = sum(1 for p in parts if not p.startswith("{"))
            rank = (0 if greedy else 1, literals, len(parts), 0 if method == "ANY" else 1)
            self.patterns.append(_Pattern(route, method, parts, greedy, rank))
        self.patterns.sort(key=lambda p: p.rank, reverse=True)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for a request and its path parameters (None: 404)."""
        segments = [s for s in path.split("/") if s]
        normal = "/" + "/".join(segments)
        route = self.literal.get((method, normal)) or self.literal.get(("ANY", normal))
        if route is not None:
            return route, {}
        for pattern in self.patterns:
            if pattern.method != method and pattern.method != "ANY":
                continue
            params = _match(pattern, segments)
            if params is not None:
                return pattern.route, params
        if self.default is not None:
            return self.default, {}
        return None


def _match(pattern: _Pattern, segments: list[str]) -> dict[str, str] | None:
    parts = pattern.parts
    if pattern.greedy:
        if len(segments) < len(parts):
            return None
    elif len(segments) != len(parts):
        return None
    params: dict[str, str] = {}
    for index, part in enumerate(parts):
        if part.endswith("+}"):
            params[part[1:-2]] = "/".join(unquote(s) for s in segments[index:])
            return params
        if part.startswith("{"):
            params[part[1:-1]] = unquote(segments[index])
        elif part != segments[index]:
            return None
    return params
