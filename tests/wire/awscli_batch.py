"""Run several AWS CLI commands in one Python process (the `aws` entry point's own driver).

Each `aws` start costs ~1–2 s of imports; the CLI's `main()` builds a fresh driver per command,
so running the same driver for a list of command lines is the AWS CLI, minus the repeated start.
Reads a JSON list of argument lists on stdin; prints a JSON list of {rc, out, err}.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys

from awscli.clidriver import create_clidriver


def run(commands: list[list[str]]) -> list[dict]:
    """Run each command line through a fresh CLI driver and capture what it printed."""
    results = []
    for args in commands:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = create_clidriver().main(args)
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
        results.append({"rc": code, "out": out.getvalue(), "err": err.getvalue()})
    return results


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
