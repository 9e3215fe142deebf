"""`pipework serve`: the lab as an AWS endpoint for boto3, the AWS CLI and any SDK."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from engine import Engine
from engine.persistence.jsonstream import FileFormatError
from engine.persistence.keeper import kept
from engine.persistence.store import StoreError

from .server import WireServer, is_loopback

#: `--log-level` names, and where -v / -q move from the default (info: one line per request).
LOG_LEVELS = ("debug", "info", "warning", "error")


def log_level(args: argparse.Namespace) -> int:
    """The logging level the user picked: --log-level, else info moved by -v (down) / -q (up)."""
    chosen = getattr(args, "log_level", None)
    if chosen:
        return getattr(logging, chosen.upper())
    steps = int(getattr(args, "quiet", 0) or 0) - int(getattr(args, "verbose", 0) or 0)
    return max(logging.DEBUG, min(logging.ERROR, logging.INFO + 10 * steps))


def _configure_logging(level: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    for name in ("pipework.access", "pipework.wire"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
        logger.propagate = False


async def _serve(args: argparse.Namespace) -> None:
    lab, durable = getattr(args, "lab", None), bool(getattr(args, "durable", False))
    fsync = bool(getattr(args, "fsync", False))
    async with Engine() as engine, kept(engine, lab, durable=durable, fsync=fsync):
        for host in getattr(args, "allow_outbound", None) or ():
            engine.outbound.allow(host)
        verifier = None
        admin_key: tuple[str, str] | None = None
        if getattr(args, "verify_signatures", False):
            from .signing import SignatureVerifier, issue_admin_key

            verifier = SignatureVerifier.for_engine(engine)
            admin_key = await issue_admin_key(engine)
        server = WireServer(
            engine,
            args.host,
            args.port,
            allow_origins=getattr(args, "allow_origin", None) or (),
            verifier=verifier,
        )
        url = await server.start()
        print(f"Pipework is serving the lab at {url}")
        print(f"  boto3:   boto3.client('sqs', endpoint_url='{url}', region_name='us-east-1')")
        print(f"  AWS CLI: aws --endpoint-url {url} sqs list-queues")
        if admin_key is not None:
            print("Signatures are verified against the lab's IAM access keys; an administrator's:")
            print(f"  AWS_ACCESS_KEY_ID={admin_key[0]} AWS_SECRET_ACCESS_KEY={admin_key[1]}")
            print("Ctrl-C stops.")
        else:
            print("Any credentials are accepted. Ctrl-C stops.")
        sys.stdout.flush()
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()


def main(args: argparse.Namespace) -> int:
    """Entry point of `pipework serve`."""
    _configure_logging(log_level(args))
    if not is_loopback(args.host):
        print(
            f"pipework: serving on {args.host} exposes the lab beyond this machine "
            "(it has no authentication unless --verify-signatures).",
            file=sys.stderr,
        )
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
    except (StoreError, FileFormatError) as error:
        print(f"pipework: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(
            f"pipework: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr
        )
        return 1
    return 0
