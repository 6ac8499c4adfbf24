"""The ``simt`` command line (also ``python -m simt``)."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="simt", description="simt: GPU kernels as Python functions")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="trace example kernels, show their IR, run and check them")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run
        return 0 if run() else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
