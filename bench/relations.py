"""Relations as their lists grow: what linking a child and reading a page of a list cost, for a
parent with 1,000, 10,000 and 100,000 children, side by side; the goal is the same figures at
every size (a ratio of 1.00x).

One user with N posts (one-to-many: each post holds its author's id, the author's list is a
Query of that pointer's index) and one tag with the same N posts (many-to-many: one edge item
per link, the tag's list a Query of the edge index, its posts then read by id). The children
are written directly (BatchWriteItem, no API), the measured operations go through the API.

Bytes written are the item data a write carries (whole items put, values an update sets, as
DynamoDB sizes them); items read are the items DynamoDB's answers hold. Times are the embedded
DynamoDB's (moto, patched to read a Query's page alone: tooling/local/moto_queries.py); the calls
and items are what DynamoDB would be asked and answer.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.bulk import items_service
from bench.harness import run
from chalicelib.api import ids
from chalicelib.service import Service
from chalicelib.store import batch, edges
from chalicelib.store.changes import VERSION
from chalicelib.store.sizes import item_size, value_size
from tooling.local.dynamodb import LocalDynamoDB

SCHEMA = """
type User @model { id: ID! name: String posts: [Post] }
type Post @model { id: ID! title: String author: User tags: [Tag] }
type Tag @model { id: ID! name: String posts: [Post] }
"""
SIZES = (1_000, 10_000, 100_000)
LISTS = (10, 50)
# Posts of each user in the list of users, one more than the page read of each.
LIST_POSTS = 6
SEED_BATCH = 1_000
# Timed runs of each read, at each size (the median is printed).
TIMED = 3

CREATE_WITH_AUTHOR = (
    'mutation ($id: ID!) { createPost(input: {data: {title: "new post", author: {connect: {id: $id}}}})'
    " { data { id } } }"
)
CREATE_WITH_TAG = (
    'mutation ($id: ID!) { createPost(input: {data: {title: "new post", tags: {connect: [{id: $id}]}}})'
    " { data { id } } }"
)
USER = "query ($id: ID!) { user(where: {id: $id}) { id name } }"
USER_POSTS = "query ($id: ID!) { user(where: {id: $id}) { id posts(first: 20) { id } } }"
TAG_POSTS = "query ($id: ID!) { tag(where: {id: $id}) { id posts(first: 20) { id } } }"
USERS_POSTS = "query ($n: Int!) { users(first: $n) { id posts(first: 5) { id } } }"


class Observed:
    """What DynamoDB is asked and answers inside a block: calls by name (a transaction's actions by
    kind), bytes of item data written, items returned."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.actions: Counter[str] = Counter()
        self.written = 0
        self.read = 0

    def request(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        written = 0
        actions: Counter[str] = Counter()
        if model.name == "PutItem":
            written += item_size(params["Item"])
        elif model.name == "UpdateItem":
            written += _update_size(params)
        elif model.name == "TransactWriteItems":
            for action in params["TransactItems"]:
                ((kind, body),) = action.items()
                actions[kind] += 1
                written += item_size(body["Item"]) if kind == "Put" else _update_size(body) if kind == "Update" else 0
        with self._lock:
            self.calls[model.name] += 1
            self.actions.update(actions)
            self.written += written

    def response(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("Query", "Scan"):
            read = parsed.get("Count", 0)
        elif model.name == "GetItem":
            read = 1 if "Item" in parsed else 0
        elif model.name in ("BatchGetItem", "TransactGetItems"):
            answers = parsed.get("Responses", {})
            read = sum(map(len, answers.values())) if isinstance(answers, dict) else len(answers)
        else:
            read = 0
        with self._lock:
            self.read += read

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def text(self) -> str:
        parts = []
        for name, count in sorted(self.calls.items()):
            inside = ", ".join(f"{n} {kind}" for kind, n in sorted(self.actions.items()))
            parts.append(f"{count} {name}" + (f" ({inside})" if name == "TransactWriteItems" and inside else ""))
        return ", ".join(parts) or "none"


def _update_size(params: dict[str, Any]) -> int:
    return sum(value_size(value) for value in params.get("ExpressionAttributeValues", {}).values())


@contextmanager
def observing(api: Service) -> Iterator[Observed]:
    observed = Observed()
    events = api.tables.connection.client.meta.events
    events.register("provide-client-params.dynamodb", observed.request)
    events.register("after-call.dynamodb", observed.response)
    try:
        yield observed
    finally:
        events.unregister("provide-client-params.dynamodb", observed.request)
        events.unregister("after-call.dynamodb", observed.response)


def measure(api: Service, query: str, variables: dict[str, Any]) -> tuple[Observed, float]:
    """The calls of one run of `query`, and the median seconds of TIMED more."""
    with observing(api) as observed:
        run(api, query, variables)
    seconds = []
    for _ in range(TIMED):
        start = time.perf_counter()
        run(api, query, variables)
        seconds.append(time.perf_counter() - start)
    return observed, statistics.median(seconds)


def create(api: Service, model: str, data: dict[str, Any]) -> str:
    name = f"create{model}"
    query = f"mutation ($d: {model}CreateInput!) {{ {name}(input: {{data: $d}}) {{ data {{ id }} }} }}"
    record_id: str = run(api, query, {"d": data})[name]["data"]["id"]
    return record_id


def seed_children(api: Service, user_id: str, tag_id: str | None, count: int) -> None:
    """`count` new posts, each pointing at `user_id` and, given `tag_id`, linked to it by an edge,
    written directly: BatchWriteItem, 25 items a call."""
    post = api.registry.model("Post")
    tags = post.fields["tags"]
    for start in range(0, count, SEED_BATCH):
        new = [ids.new_id("Post") for _ in range(start, min(count, start + SEED_BATCH))]
        api.store.restore(post, [{"id": i, "title": "post", "author": user_id, VERSION: 1} for i in new])
        if tag_id is not None:
            links = [{"PutRequest": {"Item": edges.item(api.tables, tags, i, tag_id).serialize()}} for i in new]
            batch.batch_write(api.store.client, api.tables.edge.Meta.table_name, links, api.store.backoff)


def stored_size(api: Service, model: str, record_id: str) -> int:
    """The bytes of the record's item as DynamoDB stores it."""
    table = api.tables.model_class(model).Meta.table_name
    item = api.store.client.get_item(TableName=table, Key={"id": {"S": record_id}}, ConsistentRead=True)["Item"]
    return item_size(item)


Row = tuple[str, list[float], str]


def growing(dynamodb: LocalDynamoDB, schema: Path) -> tuple[list[Row], list[tuple[str, list[str]]], list[float]]:
    api = items_service(dynamodb.url, schema, "bench-rel-")
    user_id = create(api, "User", {"name": "writer"})
    tag_id = create(api, "Tag", {"name": "topic"})
    figures: dict[str, tuple[list[float], str]] = {}
    calls: dict[str, list[str]] = {}
    seeded = 0
    seed_seconds: list[float] = []

    def record(name: str, value: float, unit: str) -> None:
        figures.setdefault(name, ([], unit))[0].append(value)

    for size in SIZES:
        start = time.perf_counter()
        seed_children(api, user_id, tag_id, size - seeded)
        seeded = size
        seed_seconds.append(time.perf_counter() - start)
        print(f"  ... {size:,} posts seeded in {seed_seconds[-1]:.0f} s", file=sys.stderr, flush=True)
        for label, query, variables in (
            ("createPost, author: {connect}", CREATE_WITH_AUTHOR, {"id": user_id}),
            ("createPost, tags: {connect}", CREATE_WITH_TAG, {"id": tag_id}),
        ):
            with observing(api) as observed:
                run(api, query, variables)
            record(f"{label}: calls", observed.total, "")
            record(f"{label}: bytes written", observed.written, "")
            calls.setdefault(label, []).append(observed.text())
        record("User item: bytes stored", stored_size(api, "User", user_id), "")
        record("Tag item: bytes stored", stored_size(api, "Tag", tag_id), "")
        for label, query, variables in (
            ("user(where: {id})", USER, {"id": user_id}),
            ("user { posts(first: 20) }", USER_POSTS, {"id": user_id}),
            ("tag { posts(first: 20) }", TAG_POSTS, {"id": tag_id}),
        ):
            observed, seconds = measure(api, query, variables)
            if observed.calls["Scan"]:
                raise RuntimeError(f"{label} scanned a table: {observed.text()}")
            record(f"{label}: calls", observed.total, "")
            record(f"{label}: items read", observed.read, "")
            record(f"{label}: ms (moto)", seconds * 1000, "ms")
            calls.setdefault(label, []).append(observed.text())
    rows = [(name, values, unit) for name, (values, unit) in figures.items()]
    return rows, list(calls.items()), seed_seconds


def parents(dynamodb: LocalDynamoDB, schema: Path) -> list[tuple[int, str, float]]:
    """`users(first: N) { posts(first: 5) }` over users of LIST_POSTS posts each."""
    api = items_service(dynamodb.url, schema, "bench-rel-list-")
    for _ in range(max(LISTS)):
        seed_children(api, create(api, "User", {"name": "writer"}), None, LIST_POSTS)
    measured = []
    for size in LISTS:
        observed, seconds = measure(api, USERS_POSTS, {"n": size})
        measured.append((size, observed.text(), seconds))
    return measured


def main() -> None:
    dynamodb = LocalDynamoDB().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            schema = Path(folder) / "relations.graphql"
            schema.write_text(SCHEMA)
            started = time.perf_counter()
            rows, calls, seed_seconds = growing(dynamodb, schema)
            listed = parents(dynamodb, schema)
            total = time.perf_counter() - started
    finally:
        dynamodb.stop()
    report(rows, calls, listed, seed_seconds, total)


def report(
    rows: list[Row],
    calls: list[tuple[str, list[str]]],
    listed: list[tuple[int, str, float]],
    seed_seconds: list[float],
    total: float,
) -> None:
    print("Relations as lists grow: one user and one tag, each with N posts (goal: 1.00x):")
    wide = max(len(name) for name, _, _ in rows) + 1
    heads = "".join(f"{f'N = {size:,}':>13}" for size in SIZES)
    print(f"  {'figure':<{wide}}{heads}{f'{SIZES[-1] // 1000}k/{SIZES[0] // 1000}k':>10}")
    for name, values, unit in rows:
        cells = "".join(f"{value:>13.1f}" if unit else f"{value:>13,.0f}" for value in values)
        print(f"  {name:<{wide}}{cells}{values[-1] / values[0]:>9.2f}x")
    print("  (ms: the embedded DynamoDB's time, moto's, patched to read a Query's page alone)")
    print("\n  DynamoDB calls, at every size unless shown apart:")
    aim = max(len(label) for label, _ in calls) + 1
    for label, texts in calls:
        if len(set(texts)) == 1:
            print(f"    {label:<{aim}} {texts[0]}")
        else:
            for size, text in zip(SIZES, texts, strict=True):
                print(f"    {label:<{aim}} N = {size:,}: {text}")
    print(f"\n  A list of N users, {LIST_POSTS} posts each, `users(first: N) {{ posts(first: 5) }}`:")
    print("  (target: the list's own read + N Queries, sent at most CONCURRENT_QUERIES at a time)")
    for size, text, seconds in listed:
        print(f"    N = {size:<4} {text}  {seconds * 1000:.0f} ms (moto)")
    seeding = ", ".join(f"{s:.0f} s" for s in seed_seconds)
    print(f"\n  seeding the posts (BatchWriteItem, posts and edges) took {seeding}; the part {total:.0f} s in all")
