"""Migrations on live data: `migrate --apply` over N posts written under a schema without indexes,
bringing them to one with an ordered index of every post (by score), one per author, and a unique
slug, at 1,000 and 10,000 posts side by side. The goal: the same throughput, and the same memory
held, at every size.

The posts are written directly (BatchWriteItem) under the first schema, whose layout the stage
records, as `migrate` would have; the migration then runs as the command line runs it: the plan
(which reads the posts, as a field made unique may be refused by them), then the backfill (one
UpdateItem per post for its index keys, one conditional PutItem for its guard), the guards'
sweep, the counters computed and written. The embedded DynamoDB runs in a process of its own, so
that the memory traced (tracemalloc's peak, Python's allocations) is the migration's alone. The
stage is checked afterwards (`python -m chalicelib check`'s audit): a figure of a wrong migration
would mean nothing.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bench.bulk import dynamodb_process, items_service
from chalicelib import schema_state as state
from chalicelib.api import ids
from chalicelib.schema import load_schema_file
from chalicelib.store.calls import counting
from chalicelib.store.changes import VERSION
from chalicelib.store.records import RecordStore
from chalicelib.store.tables import StoreConfig, Tables
from tooling.consistency import check
from tooling.migrations.apply import apply
from tooling.migrations.plan import plan

USER = "type User @model { id: ID! name: String posts: [Post] }\n"
POST = "type Post @model {} {{ id: ID! title: String slug: String{} score: Int author: User }}\n"
BEFORE = USER + POST.format("", "")
AFTER = USER + POST.format('@index(sortBy: "score") @index(fields: ["author"], sortBy: "score")', " @unique")
SIZES = (1_000, 10_000)
USERS = 10
SEED_BATCH = 1_000
T = TypeVar("T")


@dataclass
class Phase:
    seconds: float = 0.0
    peak_mb: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)


@dataclass
class Run:
    size: int
    plan: Phase
    apply: Phase
    backfill_seconds: float
    problems: int


def seed(url: str, schema: Path, prefix: str, size: int) -> None:
    """N posts under the first schema, a tenth of them each to one of USERS users; the stage records
    that schema."""
    old = items_service(url, schema, prefix)
    state.record(old.tables, old.registry)
    users = [ids.new_id("User") for _ in range(USERS)]
    old.store.restore(old.registry.model("User"), [{"id": u, "name": f"u{n}", VERSION: 1} for n, u in enumerate(users)])
    post = old.registry.model("Post")
    for start in range(0, size, SEED_BATCH):
        batch = [
            {
                "id": ids.new_id("Post"),
                "title": "p",
                "slug": f"post-{n}",
                "score": n,
                "author": users[n % USERS],
                VERSION: 1,
            }
            for n in range(start, min(size, start + SEED_BATCH))
        ]
        old.store.restore(post, batch)


def measured(tables: Tables, action: Callable[[], T]) -> tuple[Phase, T]:
    phase = Phase()
    tracemalloc.start()
    started = time.perf_counter()
    with counting(tables.clients()) as log:
        result = action()
    phase.seconds = time.perf_counter() - started
    phase.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    phase.calls = log.counts
    return phase, result


def migrate(url: str, schema: Path, prefix: str, size: int) -> Run:
    tables = Tables(load_schema_file(schema), StoreConfig.at_endpoint(prefix, "us-east-1", url))
    planned, found = measured(tables, lambda: plan(tables, prefix, schema.name))
    assert not found.blockers, found.blockers
    said: list[tuple[float, str]] = []

    def say(line: str) -> None:
        said.append((time.perf_counter(), line))

    applied, done = measured(tables, lambda: apply(tables, found, say=say))
    assert done, [line for _, line in said]
    started = next(at for at, line in said if line.startswith("backfill Post"))
    ended = next(at for at, line in said if line.strip().endswith("guards held") and at >= started)
    problems = sum(1 for _ in check(RecordStore(tables)))
    return Run(size, planned, applied, ended - started, problems)


def main() -> None:
    runs = []
    with dynamodb_process() as url, tempfile.TemporaryDirectory() as folder:
        before, after = Path(folder) / "before.graphql", Path(folder) / "after.graphql"
        before.write_text(BEFORE)
        after.write_text(AFTER)
        for size in SIZES:
            prefix = f"bench-migrate-{size}-"
            started = time.perf_counter()
            seed(url, before, prefix, size)
            print(f"  ... {size:,} posts seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            runs.append(migrate(url, after, prefix, size))
    report(runs)


def report(runs: list[Run]) -> None:
    print("Migrating N posts to an ordered index (all posts; per author) and a unique slug (goal: flat):")
    heads = "".join(f"{f'N = {run.size:,}':>14}" for run in runs)
    print(f"  {'figure':<44}{heads}{'ratio':>9}")
    rows = [
        ("backfill: posts per second", [run.size / run.backfill_seconds for run in runs], "{:>14,.0f}"),
        ("apply (backfill, guards, counters): s", [run.apply.seconds for run in runs], "{:>14.1f}"),
        ("apply: peak memory traced, MB", [run.apply.peak_mb for run in runs], "{:>14.2f}"),
        ("plan (reads the posts for duplicates): s", [run.plan.seconds for run in runs], "{:>14.1f}"),
        ("plan: peak memory traced, MB", [run.plan.peak_mb for run in runs], "{:>14.2f}"),
        ("inconsistencies found afterwards", [float(run.problems) for run in runs], "{:>14.0f}"),
    ]
    for name, values, cell in rows:
        ratio = f"{values[-1] / values[0]:>8.2f}x" if values[0] else f"{'':>9}"
        print(f"  {name:<44}" + "".join(cell.format(v) for v in values) + ratio)
    print("\n  DynamoDB calls of the apply:")
    for run in runs:
        calls = ", ".join(f"{n:,} {name}" for name, n in sorted(run.apply.calls.items()))
        print(f"    N = {run.size:,}: {calls}")
    print(
        "  (the plan keeps the values of a field made unique in a temporary SQLite file, to name the\n"
        "  records that share one: on disk, not in memory; the apply holds a page of 100 records at a\n"
        "  time, and one count per counter it computes)"
    )
