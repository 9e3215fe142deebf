"""The listener binds to loopback unless told otherwise, and says where it serves."""

from __future__ import annotations

import pytest

from engine.wire import WireServer
from engine.wire.server import is_loopback


def test_default_binding_is_loopback(eng) -> None:
    server = WireServer(eng)
    assert (server.host, server.port) == ("127.0.0.1", 4566)
    assert server.url == "http://127.0.0.1:4566"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


async def test_started_server_reports_its_real_port(lab) -> None:
    assert lab.url.startswith("http://127.0.0.1:")
    assert not lab.url.endswith(":0")
