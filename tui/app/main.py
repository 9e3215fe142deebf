"""`pipework` / `pipework app`: open the Textual lab."""

from __future__ import annotations

import argparse

from .app import PipeworkApp


def main(args: argparse.Namespace | None = None) -> int:
    """Run the app until the user quits; returns the exit status."""
    demo = getattr(args, "demo", None) if args is not None else None
    app = PipeworkApp(demo=demo)
    for host in getattr(args, "allow_outbound", None) or ():
        app.engine.outbound.allow(host)
    result = app.run()
    return int(result or 0)
