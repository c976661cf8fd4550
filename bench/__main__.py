"""`python -m bench [all|<part>] [--repeat N]`: print the benchmark figures, of every part in turn
or of one (`python -m bench --help` lists them)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

from bench import (
    bulk,
    coldstart,
    dynamodb_reads,
    embedded,
    hooks,
    kept,
    load,
    migrate,
    queries,
    ratelimit,
    reads,
    relations,
    subscriptions,
)

# Each part, given the number of timed requests per measurement (`--repeat`), which some take.
PARTS: dict[str, Callable[[int], None]] = {
    "queries": queries.main,
    "bulk": lambda _: bulk.main(),
    "coldstart": lambda _: coldstart.main(),
    "load": lambda _: load.main(),
    "embedded": embedded.main,
    "dynamodb-reads": lambda _: dynamodb_reads.main(),
    "relations": lambda _: relations.main(),
    "reads": lambda _: reads.main(),
    "hooks": hooks.main,
    "ratelimit": ratelimit.main,
    "subscriptions": lambda _: subscriptions.main(),
    "migrate": lambda _: migrate.main(),
    "kept": lambda _: kept.main(),
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suite", nargs="?", default="all", choices=["all", *PARTS])
    parser.add_argument("--repeat", type=int, default=300, help="timed requests per measurement")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    chosen = list(PARTS) if args.suite == "all" else [args.suite]
    for number, name in enumerate(chosen):
        if number:
            print()
        PARTS[name](args.repeat)


if __name__ == "__main__":
    main()
