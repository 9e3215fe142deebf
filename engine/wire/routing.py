"""Which service and operation an HTTP request is for: targets, signatures, actions, URI templates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote

from botocore.model import OperationModel

from engine.http import HttpRequest
from engine.model import service_metadata, service_model

_CREDENTIAL = re.compile(r"Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


@dataclass(slots=True)
class Caller:
    """Who signed the request (the lab accepts any credentials but shows them in the trace)."""

    access_key: str = "anonymous"
    region: str = ""
    signing_name: str = ""


def caller_of(request: HttpRequest) -> Caller:
    """The access key, region and signing name from a SigV4 Authorization header or presigned URL.

    Signature version 2 (`Authorization: AWS key:signature`, or `AWSAccessKeyId=` in a presigned
    URL without an `Action`) survives only in S3, so such a request is S3's.
    """
    text = request.headers.get("authorization", "")
    match = _CREDENTIAL.search(text)
    if match is not None:
        return Caller(match.group(1), match.group(3), match.group(4))
    if text.startswith("AWS "):
        return Caller(text[4:].split(":", 1)[0], "", "s3")
    query = request.query_dict()
    parts = query.get("X-Amz-Credential", "").split("/")
    if len(parts) == 5:
        return Caller(parts[0], parts[2], parts[3])
    if "AWSAccessKeyId" in query and "Signature" in query and "Action" not in query:
        return Caller(query["AWSAccessKeyId"], "", "s3")
    return Caller()


@cache
def target_prefixes(services: tuple[str, ...]) -> dict[str, str]:
    """X-Amz-Target prefix → service, for the JSON-protocol services."""
    prefixes = {}
    for name in services:
        prefix = service_metadata(name).get("targetPrefix")
        if prefix:
            prefixes[prefix] = name
    return prefixes


@cache
def signing_names(services: tuple[str, ...]) -> dict[str, list[str]]:
    """SigV4 signing name → services that sign with it."""
    names: dict[str, list[str]] = {}
    for name in services:
        metadata = service_metadata(name)
        signing = metadata.get("signingName") or metadata.get("endpointPrefix") or name
        names.setdefault(signing, []).append(name)
    return names


@dataclass(slots=True)
class Route:
    """One REST operation's HTTP method, URI pattern and required static query keys."""

    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]
    static_query: dict[str, str]
    literal_weight: int
    #: Required members carried in headers / the query string: how same-URI operations differ
    #: (CopyObject needs x-amz-copy-source, UploadPart needs partNumber and uploadId).
    required_headers: tuple[str, ...] = ()
    required_query: tuple[str, ...] = ()
    deprecated: bool = False

    def rank(self) -> tuple[int, int, int, int]:
        """Higher is more specific: static query keys, required located members, literal text."""
        required = len(self.required_headers) + len(self.required_query)
        return (len(self.static_query), required, self.literal_weight, not self.deprecated)

    def accepts(self, headers: dict[str, str], query: dict[str, str]) -> bool:
        """Whether the request carries every header and query member this operation requires."""
        return all(h in headers for h in self.required_headers) and all(
            q in query for q in self.required_query
        )


def _compile_route(operation: OperationModel) -> Route:
    uri = operation.http["requestUri"]
    path, _, query = uri.partition("?")
    static_query: dict[str, str] = {}
    for part in filter(None, query.split("&")):
        key, _, value = part.partition("=")
        static_query[key] = value
    labels: list[str] = []
    regex = ""
    literal = 0
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{"):
            label = piece[1:-1]
            greedy = label.endswith("+")
            labels.append(label.rstrip("+"))
            regex += "(.+)" if greedy else "([^/]+)"
        else:
            literal += len(piece)
            regex += re.escape(piece)
    if regex.endswith("/") and len(regex) > 1:
        regex = regex[:-1] + "/?"
    headers: list[str] = []
    query_members: list[str] = []
    shape = operation.input_shape
    if shape is not None:
        for name in shape.required_members:
            member = shape.members[name]
            location = member.serialization.get("location")
            wire_name = member.serialization.get("name", name)
            if location == "header":
                headers.append(wire_name.lower())
            elif location == "querystring":
                query_members.append(wire_name)
    return Route(
        operation,
        operation.http["method"],
        re.compile(f"^{regex}$"),
        tuple(labels),
        static_query,
        literal,
        tuple(headers),
        tuple(query_members),
        bool(operation.deprecated),
    )


@cache
def routes(service: str) -> list[Route]:
    """Every REST operation of `service`, most specific first."""
    model = service_model(service)
    compiled = [_compile_route(model.operation_model(op)) for op in model.operation_names]
    compiled.sort(key=Route.rank, reverse=True)
    return compiled


def match_route(
    service: str, request: HttpRequest, path: str
) -> tuple[Route, dict[str, str]] | None:
    """The REST operation this request calls, and its URI labels (URL-decoded).

    Routes are tried most specific first; one whose required headers or query members are
    missing is kept only as a fallback, so its own validation error names what is missing.
    """
    query = request.query_dict()
    fallback: tuple[Route, dict[str, str]] | None = None
    for route in routes(service):
        if route.method != request.method:
            continue
        if any(
            key not in query or (value and query[key] != value)
            for key, value in route.static_query.items()
        ):
            continue
        match = route.pattern.match(path)
        if match is None:
            continue
        labels = {
            name: unquote(value) for name, value in zip(route.labels, match.groups(), strict=True)
        }
        if route.accepts(request.headers, query):
            return route, labels
        if fallback is None:
            fallback = (route, labels)
    return fallback
