"""`python -m bench [all|queries|bulk] [--repeat N]`: print the benchmark figures."""

from __future__ import annotations

import argparse
import logging

from bench import bulk, queries


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suite", nargs="?", default="all", choices=["all", "queries", "bulk"])
    parser.add_argument("--repeat", type=int, default=300, help="timed requests per measurement")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if args.suite in ("all", "queries"):
        queries.main(args.repeat)
    if args.suite in ("all", "bulk"):
        print()
        bulk.main()


if __name__ == "__main__":
    main()
