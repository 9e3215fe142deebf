"""Where the lab may send traffic on a caller's behalf: loopback, plus the hosts the user allows.

SNS HTTP/S subscriptions, API Gateway HTTP integrations, Firehose HTTP endpoints (and anything
else that makes a request for a caller) ask `engine.outbound.check(url)` first. A host beyond
loopback is refused with one line naming the setting that allows it (`--allow-outbound HOST`,
or the console's `outbound allow HOST`), and the refusal is traced.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .trace import TraceBus


class OutboundRefused(OSError):
    """A request to a host the lab may not reach."""


def is_loopback_host(host: str) -> bool:
    """Whether `host` names this machine only (localhost, *.localhost, 127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OutboundPolicy:
    """The hosts beyond loopback the user allowed (exact names, or globs such as `*.example.com`)."""

    def __init__(self, trace: TraceBus, allowed: tuple[str, ...] = ()) -> None:
        self._trace = trace
        self._allowed: list[str] = []
        for host in allowed:
            self.allow(host)

    @property
    def allowed(self) -> tuple[str, ...]:
        """The allowed host patterns, in the order they were added."""
        return tuple(self._allowed)

    def allow(self, host: str) -> None:
        """Let the lab reach `host` (a name, an address, or a glob)."""
        host = host.strip().lower()
        if not host:
            raise ValueError("outbound: a host name is needed")
        if host not in self._allowed:
            self._allowed.append(host)

    def deny(self, host: str) -> bool:
        """Take `host` off the list; False if it was not on it."""
        host = host.strip().lower()
        if host in self._allowed:
            self._allowed.remove(host)
            return True
        return False

    def permits(self, host: str) -> bool:
        """Whether the lab may send to `host`."""
        host = host.strip("[]").lower().rstrip(".")
        return is_loopback_host(host) or any(fnmatch.fnmatchcase(host, p) for p in self._allowed)

    def check(self, url: str, source: str = "lab") -> None:
        """Raise OutboundRefused (and trace it) unless the lab may send to `url`'s host."""
        host = urlsplit(url).hostname or ""
        if self.permits(host):
            return
        message = (
            f"outbound request to {host or url!r} refused: the lab reaches only loopback unless "
            f"allowed (pipework serve --allow-outbound {host or 'HOST'}, or `outbound allow "
            f"{host or 'HOST'}` in the console)"
        )
        self._trace.emit("outbound-refused", source, url, host=host, error=message)
        raise OutboundRefused(message)
