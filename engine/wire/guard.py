"""Who may talk to the endpoint: browsers only from allowed origins, Host headers only naming the lab.

A web page the user visits can send requests to `http://localhost:4566` (a cross-site POST needs
no CORS preflight when its content type is `text/plain`), and a hostile DNS name can be made to
resolve to 127.0.0.1 (DNS rebinding). So a request is refused with 403 when:

- its `Host` does not name this listener: a loopback name or address, the address it binds,
  a name under `.localhost` (which covers `{api}.execute-api.localhost` and S3's
  `{bucket}.s3.localhost`), or an AWS service name (`*.amazonaws.com`, which only the user's
  own hosts file can point here); or
- a browser sent it from another origin (`Origin`, else `Referer`, else `Sec-Fetch-Site`) that
  `--allow-origin` does not list. SDKs and the AWS CLI send none of these and pass.

Requests for deployed API Gateway APIs skip the origin check: their own CORS configuration
answers browsers, as API Gateway does.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from engine.outbound import is_loopback_host

#: Names that mean this machine besides localhost, *.localhost and loopback addresses.
_LOOPBACK_NAMES = frozenset({"localhost.localdomain", "ip6-localhost"})
#: AWS's service domains, which only the user's own resolver can point at the lab.
_AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn")
#: Bind addresses that listen on every interface: any address literal then names the listener.
_WILDCARD = frozenset({"0.0.0.0", "::", ""})


@dataclass(slots=True)
class Refusal:
    """Why a request is refused: AWS's code family, the message, and the setting that opens it."""

    message: str
    status: int = 403


def split_host(header: str) -> str:
    """The host name of a Host header, without port or IPv6 brackets, lower-cased.

    Some clients put the whole endpoint URL in Host (`http://127.0.0.1:4566`), which AWS
    accepts: its scheme is dropped, so such a request is judged by the host it names.
    """
    header = header.strip().lower()
    for scheme in ("http://", "https://"):
        if header.startswith(scheme):
            header = header[len(scheme) :].split("/", 1)[0]
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    if header.count(":") > 1:  # a bare IPv6 address
        return header
    return header.rsplit(":", 1)[0] if ":" in header else header


def _is_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL (the browser's serialization of an origin)."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return url.strip().lower()
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


@dataclass(slots=True)
class RequestGuard:
    """The endpoint's policy on Host names and browser origins."""

    bind_host: str = "127.0.0.1"
    allowed_origins: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(cls, bind_host: str, origins: Iterable[str] = ()) -> RequestGuard:
        """A guard for a listener on `bind_host` that lets browsers in from `origins`."""
        normalized = frozenset("*" if o.strip() == "*" else origin_of(o) for o in origins)
        return cls(bind_host.strip("[]").lower(), normalized)

    # -- Host ---------------------------------------------------------------------------------
    def host_allowed(self, header: str | None) -> bool:
        """Whether a Host header names this listener (a missing one is an HTTP/1.0 client's)."""
        if not header:
            return True
        host = split_host(header)
        if host in _LOOPBACK_NAMES or is_loopback_host(host) or host == self.bind_host:
            return True
        if host.endswith(_AWS_DOMAINS):
            # AWS's own names (a queue URL) pointed at the lab by a hosts file or DNS override:
            # nobody can make them resolve to this machine for someone else, so no rebinding.
            return True
        return self.bind_host in _WILDCARD and _is_address(host) is not None

    def check_host(self, header: str | None) -> Refusal | None:
        """A refusal when the Host header names another machine (DNS rebinding)."""
        if self.host_allowed(header):
            return None
        return Refusal(
            f"The Host header '{header}' does not name this lab's endpoint (refused to stop DNS "
            "rebinding). Use localhost, 127.0.0.1, [::1], a name under .localhost or an AWS "
            "service name."
        )

    # -- Origin -------------------------------------------------------------------------------
    def origin_allowed(self, origin: str) -> bool:
        """Whether requests from browser origin `origin` were allowed with --allow-origin."""
        return "*" in self.allowed_origins or origin_of(origin) in self.allowed_origins

    def check_origin(self, headers: dict[str, str]) -> Refusal | None:
        """A refusal when a browser sent this request from an origin that was not allowed."""
        origin = headers.get("origin")
        if origin is None and "referer" in headers:
            origin = origin_of(headers["referer"])
        if origin is not None:
            if self.origin_allowed(origin) or self._same_origin(origin, headers):
                return None
            return Refusal(
                f"Cross-site request from origin '{origin}' refused. Allow it with "
                f"`pipework serve --allow-origin {origin}` (or `serve --allow-origin {origin}`)."
            )
        site = headers.get("sec-fetch-site")
        if site in ("cross-site", "same-site") and "*" not in self.allowed_origins:
            return Refusal(
                "Cross-site request without an Origin refused (Sec-Fetch-Site: "
                f"{site}). Allow browsers with `pipework serve --allow-origin ORIGIN`."
            )
        return None

    @staticmethod
    def _same_origin(origin: str, headers: dict[str, str]) -> bool:
        """A page the lab itself served (the request's own Host) may call back into it."""
        host = headers.get("host", "").lower()
        return bool(host) and urlsplit(origin).netloc.lower() == host
