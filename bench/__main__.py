"""`python -m bench [queries] [--repeat N]`: print the benchmark figures."""

from __future__ import annotations

import argparse
import logging

from bench import queries


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suite", nargs="?", default="queries", choices=["queries"])
    parser.add_argument("--repeat", type=int, default=300, help="timed requests per measurement")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if args.suite == "queries":
        queries.main(args.repeat)


if __name__ == "__main__":
    main()
