"""``python -m bench [--messages N] [--taps N] [--only roundtrip|bursts|roster|taps|month]``: the
benchmarks in turn."""

from __future__ import annotations

import argparse
import asyncio

from bench.bursts import run_bursts
from bench.month import run_month
from bench.roster import run_roster
from bench.roundtrip import run_roundtrip
from bench.taps import run_taps


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--messages", type=int, default=1000, help="messages per round-trip run")
    parser.add_argument("--taps", type=int, default=1000, help="taps at once in the bursts run")
    parser.add_argument(
        "--only",
        choices=("roundtrip", "bursts", "roster", "taps", "month"),
        help="run just this one",
    )
    args = parser.parse_args()
    if args.only in (None, "roundtrip"):
        asyncio.run(run_roundtrip(args.messages))
    if args.only in (None, "bursts"):
        asyncio.run(run_bursts(args.messages, args.taps))
    if args.only in (None, "roster"):
        asyncio.run(run_roster())
    if args.only in (None, "taps"):
        asyncio.run(run_taps())
    if args.only in (None, "month"):
        asyncio.run(run_month())


if __name__ == "__main__":
    main()
