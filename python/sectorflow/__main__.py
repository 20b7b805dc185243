"""Command line: ``sectorflow demo`` (or ``python -m sectorflow demo``)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sectorflow`` command."""
    parser = argparse.ArgumentParser(prog="sectorflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="synthetic market; every kernel timed next to pandas")
    demo.add_argument("--symbols", type=int, default=500)
    demo.add_argument("--days", type=int, default=2_000)
    demo.add_argument("--window", type=int, default=60)
    demo.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from sectorflow import _demo

        print(_demo.run(args.symbols, args.days, args.window, args.seed))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
