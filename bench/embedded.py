"""The embedded DynamoDB as data grows: `createPost` and `post(id:)` at 0 and 100,000 records, and
the server's resident memory while those records are written, all through the API's mutations.

The server runs as `make run` runs it (`python -m chalicelib serve`, the embedded DynamoDB in its
process), so the memory reported is what `make run` holds. `createPost` sets a unique slug: one
TransactWriteItems of the post and its guard, on a table holding all the records.
"""

from __future__ import annotations

import itertools
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import paired_medians
from bench.load import Client, server

SCHEMA = "type Post { id: ID! slug: String @unique title: String }\n"
RECORDS = 100_000
# importData writes a batch in one transaction: at most 100 items, and these have no guard.
BATCH = 100
MEMORY_EVERY = 20_000
GOAL_RATIO = 1.5
GOAL_MB = 1024

CREATE = 'mutation ($slug: String!) { createPost(input: {data: {slug: $slug, title: "t"}}) { data { id } } }'
READ = "query ($id: ID!) { post(id: $id) { id slug title } }"
IMPORT = 'mutation ($data: [JSON]!) { importData(data: $data, defaultTypename: "Post") { missingData } }'


def call(client: Client, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    _, result = client.call(query, variables)
    if result.get("errors"):
        raise RuntimeError(f"benchmark request failed: {result['errors']}")
    data: dict[str, Any] = result["data"]
    return data


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no resident memory reported for process {pid}")


class Posts:
    """`createPost` and `post(id:)` on one server, as calls without arguments for paired_medians."""

    def __init__(self, client: Client, label: str) -> None:
        self.client = client
        self.label = label
        self.created: list[str] = []

    def create(self) -> None:
        slug = f"{self.label}-{len(self.created)}"
        self.created.append(call(self.client, CREATE, {"slug": slug})["createPost"]["data"]["id"])

    def read(self) -> None:
        call(self.client, READ, {"id": random.choice(self.created)})


def load(client: Client, pid: int) -> list[tuple[int, float, float]]:
    """Write RECORDS posts through importData; (records, seconds, resident MB) every MEMORY_EVERY."""
    points = [(0, 0.0, rss_mb(pid))]
    started = time.perf_counter()
    for start in range(0, RECORDS, BATCH):
        batch = [{"title": f"post {n}"} for n in range(start, start + BATCH)]
        call(client, IMPORT, {"data": batch})
        written = start + BATCH
        if written % MEMORY_EVERY == 0:
            points.append((written, time.perf_counter() - started, rss_mb(pid)))
            print(f"  ... {written} records written", file=sys.stderr, flush=True)
    return points


def main(repeat: int) -> None:
    """Two servers side by side, one left empty and one given RECORDS posts, then timed alternately,
    so that the machine's drift (other work on it) hits both alike."""
    with tempfile.TemporaryDirectory() as folder:
        schema = Path(folder) / "posts.graphql"
        schema.write_text(SCHEMA)
        settings = {"SCHEMA": str(schema), "TABLE_PREFIX": "embedded-"}
        with server(settings) as empty_server, server(settings) as full_server:
            points = load(Client(full_server.port), full_server.process.pid)
            print(f"  timing both servers ({repeat} of each request)", file=sys.stderr, flush=True)
            empty, full = Posts(Client(empty_server.port), "empty"), Posts(Client(full_server.port), "full")
            creates = paired_medians(empty.create, full.create, repeat)
            reads = paired_medians(empty.read, full.read, repeat)
    report(creates, reads, points)


def report(creates: tuple[float, float], reads: tuple[float, float], points: list[tuple[int, float, float]]) -> None:
    print(f"Embedded DynamoDB as data grows (the server as `make run` runs it; goal: within {GOAL_RATIO}x):")
    print(f"  {'request':<12} {'empty':>10} {f'{RECORDS:,} records':>16} {'ratio':>6}")
    for name, (at_empty, at_full) in (("createPost", creates), ("post(id:)", reads)):
        print(f"  {name:<12} {at_empty * 1000:>8.1f}ms {at_full * 1000:>14.1f}ms {at_full / at_empty:>5.2f}x")
    print(f"\nResident memory of the server while posts are written by importData ({BATCH} per call):")
    print(f"  {'records':>8} {'seconds':>8} {'RSS MB':>7} {'MB per 1,000 records since the last':>36}")
    print(f"  {0:>8} {0:>8} {points[0][2]:>7.0f}")
    for (before, _, mb_before), (records, seconds, mb) in itertools.pairwise(points):
        print(f"  {records:>8} {seconds:>8.0f} {mb:>7.0f} {(mb - mb_before) / (records - before) * 1000:>36.2f}")
    print(f"  goal: under {GOAL_MB} MB after {RECORDS} records, growing alike for every batch")
