"""Ordered reads as the table grows: pages, ranges and counts of N posts in createdAt order, one
author owning half of them, at 1,000, 10,000 and 100,000 posts side by side; the goal for a page is
the same figures at every size (a ratio of 1.00x).

The posts are written directly (BatchWriteItem, no API) with the store's own items, so they carry
the ordered indexes' keys as a write through the API would; the measured operations go through
the API with the admin key. Each answer is checked against the posts seeded: a figure of a wrong
answer would mean nothing.

Next to them, today's read of a schema without the `@index` directives, over the same tables: an
order or a count reads the whole table, so that service is given a read cap above N (else it
refuses past `PAGE_CAP`). The reads measured are what the API does, whatever plan serves them: a
read the API refuses (a count past the cap, where counting reads every record) is reported as
refused, with what it read until then.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.bulk import items_service
from bench.harness import ADMIN
from bench.relations import Observed, create, observing
from chalicelib.api import ids
from chalicelib.service import Service
from chalicelib.store import counters
from chalicelib.store.changes import VERSION
from tooling.local.dynamodb import LocalDynamoDB

USER = "type User @model { id: ID! email: String @unique posts: [Post] }\n"
INDEXES = '@index(sortBy: "createdAt") @index(fields: ["author"], sortBy: "createdAt")'
POST = "type Post @model {} {{ id: ID! title: String createdAt: DateTime @createdTimestamp author: User }}\n"
SCHEMA = USER + POST.format(INDEXES)
PLAIN = USER + POST.format("")

SIZES = (1_000, 10_000, 100_000)
# The writer owns every other post; the rest go round the other users.
USERS = 10
PAGE = 20
SEED_BATCH = 1_000
# Distinct times, a post every 97 seconds from START: the order is createdAt's alone, never ties.
START = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(seconds=97)
# Timed runs of each read (the median is printed), fewer where one run already took TIME_BUDGET
# seconds: a read of every post takes seconds at 100,000 posts.
TIMED = 3
TIME_BUDGET = 5.0


@dataclass(frozen=True)
class Seeded:
    """The posts written so far, in createdAt order (oldest first): (createdAt, id, author id)."""

    writer: str
    posts: list[tuple[str, str, str]] = field(default_factory=list)

    def newest(self, author: str | None = None) -> list[str]:
        return [i for _, i, a in reversed(self.posts) if author is None or a == author]

    def count(self, author: str | None = None) -> int:
        return len(self.posts) if author is None else sum(1 for _, _, a in self.posts if a == author)


@dataclass(frozen=True)
class Read:
    """One operation: its query and variables, and what the answer must be (`answer` picks it from
    the response's data)."""

    label: str
    query: str
    variables: dict[str, Any]
    answer: Callable[[dict[str, Any]], Any]
    expected: Any
    # Whether the read may Scan: a count does today, a page served by an index never.
    scans: bool = False


@dataclass(frozen=True)
class Outcome:
    observed: Observed
    seconds: float
    # The error code when the API refused the read, None when it answered.
    refused: str | None
    message: str = ""


def ids_of(path: str) -> Callable[[dict[str, Any]], Any]:
    """The ids of a list at `path` (dotted) in a response's data."""

    def pick(data: dict[str, Any]) -> Any:
        found: Any = data
        for part in path.split("."):
            found = found[part]
        return [record["node"]["id"] if "node" in record else record["id"] for record in found]

    return pick


def counted(data: dict[str, Any]) -> Any:
    return data["postsConnection"]["aggregate"]["count"]


NEWEST = "query ($n: Int) { posts(orderBy: {createdAt: DESC}, first: $n) { id } }"
NEXT = (
    "query ($n: Int, $after: String) { postsConnection(orderBy: {createdAt: DESC}, first: $n, after: $after)"
    " { edges { node { id } } pageInfo { endCursor } } }"
)
RANGE = "query ($where: PostWhereInput) { posts(where: $where, orderBy: {createdAt: ASC}) { id } }"
LAST = "{ posts(orderBy: {createdAt: ASC}, last: 5) { id } }"
BY_AUTHOR = (
    "query ($where: PostWhereInput, $n: Int) { posts(where: $where, orderBy: {createdAt: DESC}, first: $n) { id } }"
)
USER_POSTS = "query ($id: ID!, $n: Int) { user(id: $id) { posts(orderBy: {createdAt: DESC}, first: $n) { id } } }"
COUNT = "query ($where: PostWhereInput) { postsConnection(where: $where) { aggregate { count } } }"


def indexed_reads(api: Service, seeded: Seeded) -> list[Read]:
    newest = seeded.newest()
    first_page = answer(api, NEXT, {"n": PAGE})
    cursor = first_page["postsConnection"]["pageInfo"]["endCursor"]
    # PAGE posts from the middle of the table, by their first and last createdAt (inclusive).
    middle = len(seeded.posts) // 2
    stretch = seeded.posts[middle : middle + PAGE]
    in_range = {"range": {"createdAt": [stretch[0][0], stretch[-1][0]]}}
    by_writer = {"author": {"match": {"id": [seeded.writer]}}}
    writers = seeded.newest(seeded.writer)
    return [
        Read("posts(orderBy: {createdAt: DESC}, first: 20)", NEWEST, {"n": PAGE}, ids_of("posts"), newest[:PAGE]),
        Read(
            "postsConnection(..., first: 20, after: endCursor)",
            NEXT,
            {"n": PAGE, "after": cursor},
            ids_of("postsConnection.edges"),
            newest[PAGE : 2 * PAGE],
        ),
        Read(
            "posts(where: {range: {createdAt}}), 20 in range",
            RANGE,
            {"where": in_range},
            ids_of("posts"),
            [i for _, i, _ in stretch],
        ),
        Read("posts(orderBy: {createdAt: ASC}, last: 5)", LAST, {}, ids_of("posts"), newest[4::-1]),
        Read(
            "posts(where: {author}, orderBy: DESC, first: 20)",
            BY_AUTHOR,
            {"where": by_writer, "n": PAGE},
            ids_of("posts"),
            writers[:PAGE],
        ),
        Read(
            "user(id) { posts(orderBy: DESC, first: 20) }",
            USER_POSTS,
            {"id": seeded.writer, "n": PAGE},
            ids_of("user.posts"),
            writers[:PAGE],
        ),
        Read("postsConnection { aggregate { count } }", COUNT, {}, counted, seeded.count(), scans=True),
        Read(
            "postsConnection(where: {author}) { count }",
            COUNT,
            {"where": by_writer},
            counted,
            seeded.count(seeded.writer),
            scans=True,
        ),
    ]


def full_reads(seeded: Seeded) -> list[Read]:
    newest = seeded.newest()
    return [
        Read(
            "no @index: posts(orderBy: DESC, first: 20)",
            NEWEST,
            {"n": PAGE},
            ids_of("posts"),
            newest[:PAGE],
            scans=True,
        ),
        Read("no @index: postsConnection { count }", COUNT, {}, counted, seeded.count(), scans=True),
    ]


def attempt(api: Service, query: str, variables: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The response's data, and its first error (None when there is none)."""
    body = api.handle({"query": query, "variables": variables}, ADMIN).body
    errors = body.get("errors")
    return body.get("data") or {}, errors[0] if errors else None


def answer(api: Service, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    data, error = attempt(api, query, variables)
    if error is not None:
        raise RuntimeError(f"benchmark query failed: {error}")
    return data


def measure(api: Service, read: Read) -> Outcome:
    """The calls of one run of `read`, its answer checked, and the median seconds of up to TIMED
    runs (that one included)."""
    with observing(api) as observed:
        start = time.perf_counter()
        data, error = attempt(api, read.query, read.variables)
        seconds = [time.perf_counter() - start]
    if observed.calls["Scan"] and not read.scans:
        raise RuntimeError(f"{read.label} scanned a table: {observed.text()}")
    if error is not None:
        return Outcome(observed, seconds[0], error.get("extensions", {}).get("code", "?"), error.get("message", ""))
    got = read.answer(data)
    if got != read.expected:
        raise RuntimeError(f"{read.label}: wrong answer, {got!r} instead of {read.expected!r}")
    while len(seconds) < TIMED and sum(seconds) < TIME_BUDGET:
        start = time.perf_counter()
        attempt(api, read.query, read.variables)
        seconds.append(time.perf_counter() - start)
    return Outcome(observed, statistics.median(seconds), None)


def seed_posts(api: Service, seeded: Seeded, users: list[str], count: int) -> None:
    """`count` more posts, each newer than every post before, the store's own items written 25 a
    BatchWriteItem (`RecordStore.restore`: with each ordered index's keys), then the counters of
    every post seeded so far, as the command line's import writes them."""
    model = api.registry.model("Post")
    first = len(seeded.posts)
    tally: Counter[str] = Counter()
    for start in range(first, first + count, SEED_BATCH):
        batch = []
        for number in range(start, min(start + SEED_BATCH, first + count)):
            created = (START + number * STEP).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            author = users[0] if number % 2 == 0 else users[1 + number // 2 % (len(users) - 1)]
            batch.append({"id": ids.new_id("Post"), "title": f"post {number}", "createdAt": created, "author": author})
        api.store.restore(model, [{**post, VERSION: 1} for post in batch])
        seeded.posts.extend((post["createdAt"], post["id"], post["author"]) for post in batch)
    for _, post_id, author in seeded.posts:
        tally.update(counters.counters_of(model, {"id": post_id, "author": author}))
    counters.write_counts(api.tables, tally)


# What each read did at each size, by label (None where it was not run).
Results = dict[str, list[Outcome | None]]


def growing(dynamodb: LocalDynamoDB, folder: Path) -> tuple[Results, list[float]]:
    indexed, plain = folder / "reads.graphql", folder / "plain.graphql"
    indexed.write_text(SCHEMA)
    plain.write_text(PLAIN)
    api = items_service(dynamodb.url, indexed, "bench-reads-")
    # The same tables read by the schema without the indexes (its items ignore the indexes' keys),
    # with a read cap above every N it reads whole.
    today = items_service(dynamodb.url, plain, "bench-reads-", page_cap=max(SIZES) + 1)
    users = [create(api, "User", {"email": f"writer{n}@example.com"}) for n in range(USERS)]
    seeded = Seeded(users[0])
    results: Results = {}
    seed_seconds: list[float] = []
    for number, size in enumerate(SIZES):
        start = time.perf_counter()
        seed_posts(api, seeded, users, size - len(seeded.posts))
        seed_seconds.append(time.perf_counter() - start)
        print(f"  ... {size:,} posts seeded in {seed_seconds[-1]:.0f} s", file=sys.stderr, flush=True)
        measured = [(api, read) for read in indexed_reads(api, seeded)]
        measured += [(today, read) for read in full_reads(seeded)]
        for service, read in measured:
            results.setdefault(read.label, [None] * len(SIZES))[number] = measure(service, read)
        print(f"  ... measured at {size:,} posts", file=sys.stderr, flush=True)
    return results, seed_seconds


def main() -> None:
    started = time.perf_counter()
    dynamodb = LocalDynamoDB().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            results, seed_seconds = growing(dynamodb, Path(folder))
    finally:
        dynamodb.stop()
    report(results, seed_seconds, time.perf_counter() - started)


def cells(outcomes: list[Outcome | None], figure: Callable[[Outcome], float], unit: str) -> tuple[str, str]:
    """The row's cells, and its ratio of the last size measured to the first (a read refused at a
    size has no figure there: what it read until refused is listed under the table)."""
    texts = []
    for outcome in outcomes:
        if outcome is None:
            texts.append("not run")
        elif outcome.refused:
            texts.append("refused")
        else:
            texts.append(f"{figure(outcome):.1f}" if unit else f"{figure(outcome):,.0f}")
    numbers = [(size, figure(o)) for size, o in zip(SIZES, outcomes, strict=True) if o is not None and not o.refused]
    if any(o is not None and o.refused for o in outcomes) or len(numbers) < 2:
        return "".join(f"{t:>13}" for t in texts), "-"
    (low, first), (high, last) = numbers[0], numbers[-1]
    ratio = f"{last / first:.2f}x" if first else "-"
    if (low, high) != (SIZES[0], SIZES[-1]):
        ratio += f" ({high // 1000}k/{low // 1000}k)"
    return "".join(f"{t:>13}" for t in texts), ratio


FIGURES: list[tuple[str, Callable[[Outcome], float], str]] = [
    ("calls", lambda o: o.observed.total, ""),
    ("items read", lambda o: o.observed.read, ""),
    ("ms (moto)", lambda o: o.seconds * 1000, "ms"),
]


def report(results: Results, seed_seconds: list[float], total: float) -> None:
    print(f"Ordered reads as the table grows: N posts, one author with half of them, {USERS - 1} others (goal: 1.00x):")
    wide = max(len(label) for label in results) + 2
    heads = "".join(f"{f'N = {size:,}':>13}" for size in SIZES)
    print(f"  {'read':<{wide}}{'figure':<11}{heads}  {f'{SIZES[-1] // 1000}k/{SIZES[0] // 1000}k'}")
    for label, outcomes in results.items():
        for number, (name, figure, unit) in enumerate(FIGURES):
            row, ratio = cells(outcomes, figure, unit)
            print(f"  {label if number == 0 else '':<{wide}}{name:<11}{row}  {ratio}")
    print(
        "  (ms: the embedded DynamoDB's time, moto's, patched to read a Query's page alone; the median of"
        f" {TIMED} runs,\n  of 1 where a run took over {TIME_BUDGET:.0f} s)"
    )
    refusals = [(label, size, o) for label, outs in results.items() for size, o in zip(SIZES, outs, strict=True) if o]
    refusals = [(label, size, o) for label, size, o in refusals if o.refused]
    if refusals:
        print("\n  refused: what the read did before the API refused it")
        for label, size, o in refusals:
            print(f"    {label}, N = {size:,}: {o.refused} after {o.observed.text()}, {o.observed.read:,} items read")
        for message in dict.fromkeys(o.message for _, _, o in refusals):
            print(f"    ({message})")
    print("\n  DynamoDB calls, at every size unless shown apart:")
    for label, outcomes in results.items():
        texts = [(size, o.observed.text()) for size, o in zip(SIZES, outcomes, strict=True) if o is not None]
        if len({text for _, text in texts}) == 1:
            print(f"    {label:<{wide}}{texts[0][1]}")
        else:
            for size, text in texts:
                print(f"    {label:<{wide}}N = {size:,}: {text}")
    seeding = ", ".join(f"{s:.0f} s" for s in seed_seconds)
    print(f"\n  seeding the posts of each size (BatchWriteItem) took {seeding}; the part {total:.0f} s in all")
