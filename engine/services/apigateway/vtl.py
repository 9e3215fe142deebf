"""API Gateway mapping templates: Velocity (airspeed) with $input, $util, $context, $stageVariables."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote, unquote

import airspeed

from engine.errors import ServiceError

_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\['([^']*)'\]|\[(\d+)\]|\[\*\]")


def json_path(document: Any, path: str) -> Any:
    """Evaluate the JSONPath subset mapping templates use ($, .name, ['name'], [n], [*])."""
    if not path.startswith("$"):
        raise ValueError(f"JSONPath must start with $: {path}")
    current = [document]
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise ValueError(f"unsupported JSONPath: {path}")
        name = match.group(1) if match.group(1) is not None else match.group(2)
        index = match.group(3)
        following: list[Any] = []
        for item in current:
            if match.group(0) == "[*]":
                if isinstance(item, list):
                    following.extend(item)
                elif isinstance(item, dict):
                    following.extend(item.values())
            elif name is not None and isinstance(item, dict) and name in item:
                following.append(item[name])
            elif index is not None and isinstance(item, list) and int(index) < len(item):
                following.append(item[int(index)])
        current = following
        position = match.end()
    if "[*]" in path:
        return current
    return current[0] if current else None


class InputVariable:
    """`$input`: the request body and parameters as templates see them."""

    def __init__(self, body: str, params: dict[str, dict[str, str]]) -> None:
        self.body = body
        self._params = params
        self._parsed: Any = None
        self._parsed_done = False

    def _document(self) -> Any:
        if not self._parsed_done:
            self._parsed_done = True
            try:
                self._parsed = json.loads(self.body) if self.body else {}
            except ValueError:
                self._parsed = None
        return self._parsed

    def json(self, path: str = "$") -> str:
        """The value at `path` as JSON text."""
        return json.dumps(json_path(self._document(), path))

    def path(self, path: str = "$") -> Any:
        """The value at `path` as an object (for #foreach and property access)."""
        return json_path(self._document(), path)

    def params(self, name: str | None = None) -> Any:
        """All parameters (path, querystring, header), or one by name, searched in that order."""
        if name is None:
            return self._params
        for group in ("path", "querystring", "header"):
            value = self._params.get(group, {}).get(name)
            if value is not None:
                return value
        return ""


class UtilVariable:
    """`$util`: escaping, JSON parsing, URL and base64 encoding."""

    def escapeJavaScript(self, text: Any) -> str:  # noqa: N802 - Velocity's name
        """Escape for a JavaScript string (quotes, backslashes, control characters)."""
        return json.dumps(str(text))[1:-1].replace("'", "\\'")

    def parseJson(self, text: str) -> Any:  # noqa: N802
        """Parse JSON text into an object."""
        return json.loads(text)

    def urlEncode(self, text: str) -> str:  # noqa: N802
        """URL-encode a string."""
        return quote(str(text), safe="")

    def urlDecode(self, text: str) -> str:  # noqa: N802
        """URL-decode a string."""
        return unquote(str(text))

    def base64Encode(self, text: str) -> str:  # noqa: N802
        """Base64 of a string's UTF-8 bytes."""
        return base64.b64encode(str(text).encode()).decode()

    def base64Decode(self, text: str) -> str:  # noqa: N802
        """A base64 string decoded to text."""
        return base64.b64decode(str(text)).decode("utf-8", "replace")


class Templates:
    """Compiles (and caches) mapping templates; renders them with the request's variables."""

    def __init__(self) -> None:
        self._cache: dict[str, airspeed.Template] = {}
        self.util = UtilVariable()

    def compile(self, text: str) -> airspeed.Template:
        """The compiled template (BadRequestException for a syntax error)."""
        template = self._cache.get(text)
        if template is None:
            template = airspeed.Template(text)
            try:
                template.ensure_compiled()
            except airspeed.TemplateSyntaxError as error:
                raise ServiceError(
                    "BadRequestException", f"Invalid mapping expression specified: {error}"
                ) from None
            self._cache[text] = template
        return template

    def check(self, text: str) -> None:
        """Reject a template that does not parse."""
        self.compile(text)

    def render(
        self,
        text: str,
        body: str,
        params: dict[str, dict[str, str]],
        context: dict[str, Any],
        stage_variables: dict[str, str],
    ) -> str:
        """Render a template for one request."""
        template = self.compile(text)
        return template.merge(
            {
                "input": InputVariable(body, params),
                "util": self.util,
                "context": context,
                "stageVariables": stage_variables,
            }
        )
