"""`python -m bench [all|queries|bulk|coldstart|load|embedded|relations|reads|migrate] [--repeat N]`: print
the benchmark figures."""

from __future__ import annotations

import argparse
import logging

from bench import bulk, coldstart, embedded, load, migrate, queries, reads, relations


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "suite",
        nargs="?",
        default="all",
        choices=["all", "queries", "bulk", "coldstart", "load", "embedded", "relations", "reads", "migrate"],
    )
    parser.add_argument("--repeat", type=int, default=300, help="timed requests per measurement")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if args.suite in ("all", "queries"):
        queries.main(args.repeat)
    if args.suite in ("all", "bulk"):
        print()
        bulk.main()
    if args.suite in ("all", "coldstart"):
        print()
        coldstart.main()
    if args.suite in ("all", "load"):
        print()
        load.main()
    if args.suite in ("all", "embedded"):
        print()
        embedded.main(args.repeat)
    if args.suite in ("all", "relations"):
        print()
        relations.main()
    if args.suite in ("all", "reads"):
        print()
        reads.main()
    if args.suite in ("all", "migrate"):
        print()
        migrate.main()


if __name__ == "__main__":
    main()
