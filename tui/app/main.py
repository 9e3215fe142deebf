"""`pipework` / `pipework app`: open the Textual lab."""

from __future__ import annotations

import argparse

from .app import PipeworkApp


def main(args: argparse.Namespace | None = None) -> int:
    """Run the app until the user quits; returns the exit status."""
    demo = getattr(args, "demo", None) if args is not None else None
    lab = getattr(args, "lab", None) if args is not None else None
    durable = bool(getattr(args, "durable", False)) if args is not None else False
    fsync = bool(getattr(args, "fsync", False)) if args is not None else False
    app = PipeworkApp(demo=demo, lab=lab, durable=durable, fsync=fsync)
    for host in getattr(args, "allow_outbound", None) or ():
        app.engine.outbound.allow(host)
    result = app.run()
    return int(result or 0)
