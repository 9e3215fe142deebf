"""`serve`: put the lab on an AWS-compatible HTTP endpoint (boto3, the AWS CLI) from inside a session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console

USAGE = (
    "usage: serve [PORT] [--host HOST] [--allow-origin ORIGIN]… [--verify-signatures]"
    " | serve stop | serve status"
)


async def serve(console: Console, args: list[str]) -> CommandResult:
    """Start, stop or show the endpoint that serves this lab over HTTP."""
    from engine.wire.server import WireServer, is_loopback

    server: Any = getattr(console, "wire_server", None)
    if args[:1] == ["stop"]:
        if server is None:
            return CommandResult.fail("serve: the lab is not being served")
        await server.stop()
        console.wire_server = None
        return CommandResult(value={"serving": False}, output=Text("Stopped serving the lab."))
    if args[:1] == ["status"]:
        value = {"serving": server is not None, "url": server.url if server else None}
        text = f"Serving at {server.url}" if server else "Not serving (serve [PORT] starts it)."
        return CommandResult(value=value, output=Text(text))
    host, port = "127.0.0.1", 4566
    rest = list(args)
    origins: list[str] = []
    verify = "--verify-signatures" in rest
    if verify:
        rest.remove("--verify-signatures")
    try:
        while "--allow-origin" in rest:
            at = rest.index("--allow-origin")
            origins.append(rest[at + 1])
            del rest[at : at + 2]
        if "--host" in rest:
            at = rest.index("--host")
            host = rest[at + 1]
            del rest[at : at + 2]
        if rest:
            port = int(rest.pop(0))
        if rest or not 0 <= port <= 65535:
            raise ValueError
    except (ValueError, IndexError):
        return CommandResult.fail(USAGE)
    if server is not None:
        return CommandResult.fail(f"serve: already serving at {server.url} (serve stop first)")
    verifier = None
    admin_key = None
    if verify:
        from engine.wire.signing import SignatureVerifier, issue_admin_key

        verifier = SignatureVerifier.for_engine(console.engine)
        admin_key = await issue_admin_key(console.engine)
    server = WireServer(console.engine, host, port, allow_origins=origins, verifier=verifier)
    try:
        url = await server.start()
    except (OSError, SystemExit) as error:
        reason = getattr(error, "strerror", None) or "the port is in use or not allowed"
        return CommandResult.fail(f"serve: cannot listen on {host}:{port}: {reason}")
    console.wire_server = server
    lines = [f"Serving the lab at {url}", f"  aws --endpoint-url {url} sqs list-queues"]
    if admin_key is not None:
        lines.append(
            "  signatures verified; an administrator's key: "
            f"AWS_ACCESS_KEY_ID={admin_key[0]} AWS_SECRET_ACCESS_KEY={admin_key[1]}"
        )
    if not is_loopback(host):
        lines.append(
            "  warning: this address is reachable from other machines; the lab has no auth"
        )
    return CommandResult(value={"serving": True, "url": url}, output=Text("\n".join(lines)))


def register(console: Console) -> None:
    """Add `serve` to the console."""
    console.register_command(
        "serve",
        serve,
        "serve [PORT] [--allow-origin ORIGIN] [--verify-signatures] | serve stop | serve status"
        " — the lab as an AWS endpoint for boto3 and the AWS CLI",
        ("stop", "status", "--host", "--allow-origin", "--verify-signatures"),
    )
