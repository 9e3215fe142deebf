"""`pipework lab list` and `pipework lab delete NAME`: the labs kept with `--lab NAME`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from engine.persistence.store import StoreError, data_dir, delete_lab, list_labs


def main(args: argparse.Namespace) -> int:
    """List or delete kept labs; one line per lab or per problem."""
    folder = data_dir()
    if args.lab_command == "list":
        labs = list_labs(folder)
        if not labs:
            print("No kept labs yet. `pipework --lab NAME` creates one.")
        for lab in labs:
            when = (
                datetime.fromtimestamp(lab["checkpointed_at"], UTC).strftime("%Y-%m-%d %H:%M:%S")
                if lab["checkpointed_at"]
                else "never"
            )
            print(f"{lab['name']}\t{lab['bytes']:,} bytes\tcheckpointed {when} UTC")
        return 0
    try:
        found = delete_lab(folder, args.name)
    except StoreError as error:
        print(f"pipework lab: {error}", file=sys.stderr)
        return 2
    if not found:
        print(f"pipework lab: no kept lab named {args.name!r}", file=sys.stderr)
        return 1
    print(f"Deleted the lab {args.name}.")
    return 0
