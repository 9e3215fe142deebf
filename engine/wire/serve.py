"""`pipework serve`: the lab as an AWS endpoint for boto3, the AWS CLI and any SDK."""

from __future__ import annotations

import argparse
import asyncio
import sys

from engine import Engine
from engine.persistence.jsonstream import FileFormatError
from engine.persistence.keeper import kept
from engine.persistence.store import StoreError

from .server import WireServer, is_loopback


async def _serve(
    host: str, port: int, lab: str | None = None, durable: bool = False, fsync: bool = False
) -> None:
    async with Engine() as engine, kept(engine, lab, durable=durable, fsync=fsync):
        server = WireServer(engine, host, port)
        url = await server.start()
        print(f"Pipework is serving the lab at {url}")
        print(f"  boto3:   boto3.client('sqs', endpoint_url='{url}', region_name='us-east-1')")
        print(f"  AWS CLI: aws --endpoint-url {url} sqs list-queues")
        print("Any credentials are accepted. Ctrl-C stops.")
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()


def main(args: argparse.Namespace) -> int:
    """Entry point of `pipework serve`."""
    if not is_loopback(args.host):
        print(
            f"pipework: serving on {args.host} exposes the lab beyond this machine "
            "(it has no authentication).",
            file=sys.stderr,
        )
    try:
        asyncio.run(
            _serve(
                args.host,
                args.port,
                getattr(args, "lab", None),
                bool(getattr(args, "durable", False)),
                bool(getattr(args, "fsync", False)),
            )
        )
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
