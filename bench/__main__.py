"""``python -m bench [--messages N]``: every benchmark, one after another."""

from __future__ import annotations

import argparse
import asyncio

from bench.roundtrip import run_roundtrip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--messages", type=int, default=1000, help="messages per round-trip run")
    args = parser.parse_args()
    asyncio.run(run_roundtrip(args.messages))


if __name__ == "__main__":
    main()
