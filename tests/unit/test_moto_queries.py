"""Query and Scan answered from the tables' views (moto_queries) answer as moto's own code does.

On random small tables (partitions of a few items, ties in an index's sort key, sparse indexes,
items large enough to end a 1 MB page), each read is asked of the patched moto and of moto's own
code, on the same backend, after random writes made once the views were built (puts, updates
that move an item between an index's partitions or out of it, deletes, transactions, some rolled
back): the items, ScannedCount, LastEvaluatedKey, or the error, must be the same. Each read is
also followed page by page, from each LastEvaluatedKey, as a client would.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.models import DynamoDBBackend, DynamoType, dynamodb_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

from tests.unit.moto_tables import create, key_schema
from tooling.local import moto_patch, moto_queries

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HASHES = ["a", "b"]
RANGES = ["1", "2", "2.50", "10", "-3"]
GROUPS = ["x", "y", "xa"]
SORTS = ["k", "ka", "kb", "l"]
# Attribute sizes: most items are small; some fill a good part of a 1 MB page.
PADDING = [0, 0, 0, 300_000]

S = "S"
N = "N"


def make_backend() -> DynamoDBBackend:
    """`ranged` (h S, r N) with a global index by g/s, a sparse global index by n alone, a local
    index by s; `plain` (id S) with a global index by g/r."""
    backend = DynamoDBBackend("us-east-1", "123456789012")
    everything = {"ProjectionType": "ALL"}
    create(
        backend,
        "ranged",
        ["h", "r"],
        {"h": S, "r": N, "g": S, "s": S, "n": N},
        global_indexes=[
            {"IndexName": "by_g", "KeySchema": key_schema("g", "s"), "Projection": everything},
            {"IndexName": "by_n", "KeySchema": key_schema("n"), "Projection": {"ProjectionType": "KEYS_ONLY"}},
        ],
        indexes=[{"IndexName": "by_s", "KeySchema": key_schema("h", "s"), "Projection": everything}],
    )
    by_g = {"IndexName": "by_g", "KeySchema": key_schema("g", "r"), "Projection": everything}
    create(backend, "plain", ["id"], {"id": S, "g": S, "r": N}, global_indexes=[by_g])
    return backend


def optional(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


@st.composite
def ranged_item(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {"h": {S: draw(st.sampled_from(HASHES))}, "r": {N: draw(st.sampled_from(RANGES))}}
    for name, kind, values in (("g", S, GROUPS), ("s", S, SORTS), ("n", N, RANGES)):
        value = draw(optional(values))
        if value is not None:
            item[name] = {kind: value}
    padding = draw(st.sampled_from(PADDING))
    if padding:
        item["body"] = {S: "p" * padding}
    return item


@st.composite
def plain_item(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {"id": {S: draw(st.sampled_from(["p1", "p2", "p3", "p4", "q1"]))}}
    group = draw(optional(GROUPS))
    if group is not None:
        item["g"] = {S: group}
        item["r"] = {N: draw(st.sampled_from(RANGES))}
    return item


def ranged_key(item: dict[str, Any]) -> dict[str, Any]:
    return {"h": item["h"], "r": item["r"]}


# A write, as a function of the backend (its error, if any, is part of what both sides see).
Write = Callable[[DynamoDBBackend], Any]


@st.composite
def writes(draw: st.DrawFn) -> Write:
    item = draw(ranged_item())
    key = ranged_key(item)
    kinds = ["put", "put plain", "delete", "move", "drop", "moves", "transaction", "failed transaction"]
    kind = draw(st.sampled_from(kinds))
    if kind == "put":
        return lambda db: db.put_item("ranged", item)
    if kind == "put plain":
        other = draw(plain_item())
        return lambda db: db.put_item("plain", other)
    if kind == "delete":
        return lambda db: db.delete_item("ranged", key)
    if kind == "move":
        values = {":g": {S: draw(st.sampled_from(GROUPS))}, ":s": {S: draw(st.sampled_from(SORTS))}}
        return lambda db: db.update_item("ranged", key, "SET g = :g, s = :s", {}, values)
    if kind == "drop":
        return lambda db: db.update_item("ranged", key, "REMOVE g, n", {}, {})
    if kind == "moves":
        # A transaction of plain updates alone (moto_transactions applies it in one pass).
        moves = [
            {"Update": {"TableName": "ranged", "Key": ranged_key(draw(ranged_item())), "UpdateExpression": "SET g = :g",
                        "ExpressionAttributeValues": {":g": {S: draw(st.sampled_from(GROUPS))}}}}
            for _ in range(draw(st.integers(1, 3)))
        ]  # fmt: skip
        return lambda db: db.transact_write_items(moves)
    condition = "attribute_exists(h)" if kind == "failed transaction" else "attribute_not_exists(h)"
    moved = {"Update": {"TableName": "ranged", "Key": key, "UpdateExpression": "REMOVE s"}}
    other = draw(ranged_item())
    checked = {"ConditionCheck": {"TableName": "ranged", "Key": ranged_key(other), "ConditionExpression": condition}}
    if ranged_key(other) == key:
        return lambda db: db.transact_write_items([moved])
    return lambda db: db.transact_write_items([moved, checked])


@st.composite
def queries(draw: st.DrawFn) -> dict[str, Any]:
    """The arguments of DynamoDBBackend.query, less the table's name."""
    index = draw(st.sampled_from([None, "by_g", "by_n", "by_s"]))
    hash_attr, hash_kind, hash_values = {
        None: ("h", S, HASHES),
        "by_g": ("g", S, GROUPS),
        "by_n": ("n", N, RANGES),
        "by_s": ("h", S, HASHES),
    }[index]
    hash_value = {hash_kind: draw(st.sampled_from(hash_values))}
    ranges = {None: ("r", N, RANGES), "by_g": ("s", S, SORTS), "by_s": ("s", S, SORTS)}
    range_attr, range_kind, range_values = ranges.get(index, (None, S, []))
    comparison = None
    objs: list[dict[str, Any]] = []
    if range_attr is not None and draw(st.booleans()):
        comparisons = ["=", "<", "<=", ">", ">=", "BETWEEN", *(["BEGINS_WITH"] if range_kind == S else [])]
        comparison = draw(st.sampled_from(comparisons))
        count = 2 if comparison == "BETWEEN" else 1
        objs = [{range_kind: draw(st.sampled_from(range_values))} for _ in range(count)]
    filtering = draw(st.sampled_from([None, "attribute_exists(body)", "attribute_not_exists(n)"]))
    return {
        "hash_key_dict": hash_value,
        "range_comparison": comparison,
        "range_value_dicts": objs,
        "limit": draw(st.one_of(st.none(), st.integers(1, 3))),
        "scan_index_forward": draw(st.booleans()),
        "projection_expressions": draw(st.sampled_from([None, [["h"], ["r"]], [["g"]]])),
        "index_name": index,
        "filter_expression": filtering,
        "hash_key_conditions": [(hash_attr, hash_value)],
        "range_key_conditions": [(range_attr, comparison, objs)] if comparison else [],
    }


def attempt(change: Write, db: DynamoDBBackend) -> None:
    """A write, which may fail (as it fails on moto's own code: writes are not patched here)."""
    with contextlib.suppress(Exception):
        change(db)


def answer(read: Callable[[], tuple[list[Any], int, dict[str, Any] | None]]) -> Any:
    try:
        items, scanned, last = read()
    except Exception as raised:  # both sides must fail alike, whatever the failure
        return type(raised).__name__, str(raised)
    last_key = None if last is None else {name: DynamoType(value).to_json() for name, value in last.items()}
    return [item.to_json() for item in items], scanned, last_key


def pages(read: Callable[[dict[str, Any] | None], Any]) -> list[Any]:
    """Each page of a read, from the first, following LastEvaluatedKey (a few pages at most)."""
    found = []
    start = None
    for _ in range(8):
        page = answer(lambda start=start: read(start))  # type: ignore[misc]
        found.append(page)
        if not isinstance(page[0], list) or page[2] is None:
            break
        start = page[2]
    return found


def both(read: Callable[[dict[str, Any] | None], Any], start: dict[str, Any] | None) -> tuple[Any, Any]:
    """What moto's own code answers and what the patched one does: from `start`, then every page."""
    with moto_queries.moto_s_own():
        expected = answer(lambda: read(start)), pages(read)
    return (answer(lambda: read(start)), pages(read)), expected


def start_keys(db: DynamoDBBackend, index: str | None) -> list[dict[str, Any] | None]:
    """ExclusiveStartKeys to try: none, and a few items' keys (of the index, as moto gives them)."""
    table = db.get_table("ranged")
    keys: list[dict[str, Any] | None] = [None]
    for item in table.all_items()[::3]:
        key = table._get_last_evaluated_key(item, None)
        if index is not None:
            index_attrs = [k["AttributeName"] for k in table.get_index(index).schema]
            if any(name not in item.attrs for name in index_attrs):
                continue
            key = table._get_last_evaluated_key(item, index)
        keys.append({name: DynamoType(value).to_json() for name, value in key.items()})
    return keys


@SETTINGS
@given(
    items=st.lists(ranged_item(), max_size=14),
    plain=st.lists(plain_item(), max_size=5),
    changes=st.lists(writes(), max_size=10),
    asked=st.lists(queries(), min_size=1, max_size=6),
)
def test_a_query_answers_as_moto_s_own(
    items: list[dict[str, Any]], plain: list[dict[str, Any]], changes: list[Write], asked: list[dict[str, Any]]
) -> None:
    moto_patch.apply()
    db = make_backend()
    for item in items:
        db.put_item("ranged", item)
    for item in plain:
        db.put_item("plain", item)
    for arguments in asked:  # the views built before the writes, which they must then follow
        db.query("ranged", consistent_read=False, **{**arguments, "exclusive_start_key": None})
    db.scan("ranged", {}, None, None, None, {}, {}, None, False, None, (None, None))  # type: ignore[arg-type]
    for change in changes:
        attempt(change, db)
    for arguments in asked:
        for start in start_keys(db, arguments["index_name"]):

            def read(start: dict[str, Any] | None, arguments: dict[str, Any] = arguments) -> Any:
                return db.query("ranged", consistent_read=False, **{**arguments, "exclusive_start_key": start})

            patched, expected = both(read, start)
            assert patched == expected


@SETTINGS
@given(
    items=st.lists(ranged_item(), max_size=14),
    changes=st.lists(writes(), max_size=10),
    limit=st.one_of(st.none(), st.integers(1, 5)),
    segments=st.sampled_from([(None, None), (0, 2), (1, 2)]),
    filtering=st.sampled_from([None, "attribute_exists(g)"]),
)
def test_a_scan_answers_as_moto_s_own(
    items: list[dict[str, Any]],
    changes: list[Write],
    limit: int | None,
    segments: tuple[Any, Any],
    filtering: str | None,
) -> None:
    moto_patch.apply()
    db = make_backend()
    for item in items:
        db.put_item("ranged", item)
    db.scan("ranged", {}, None, None, None, {}, {}, None, False, None, (None, None))  # type: ignore[arg-type]
    for change in changes:
        attempt(change, db)
    for start in start_keys(db, None):

        def read(start: dict[str, Any] | None) -> Any:
            return db.scan("ranged", {}, limit, start, filtering, {}, {}, None, False, None, segments)  # type: ignore[arg-type]

        patched, expected = both(read, start)
        assert patched == expected


def test_an_index_query_reads_only_its_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not timed: the items moto's code is handed for a page of 2 are the page and the one after."""
    moto_patch.apply()
    db = make_backend()
    for number in range(200):
        db.put_item("plain", {"id": {S: f"p{number}"}, "g": {S: "x" if number % 2 else "y"}, "r": {N: str(number)}})
    handed: list[int] = []
    original = moto_queries._query

    def counting(table: Any, *args: Any, **kwargs: Any) -> Any:
        handed.append(len(table.all_items()))
        return original(table, *args, **kwargs)

    monkeypatch.setattr(moto_queries, "_query", counting)
    items, _, last = db.query(
        "plain",
        None,
        ">",
        [{N: "100"}],
        2,
        None,  # type: ignore[arg-type]
        True,
        None,
        index_name="by_g",
        hash_key_conditions=[("g", {S: "x"})],
        range_key_conditions=[("r", ">", [{N: "100"}])],
    )
    assert [item.attrs["r"].value for item in items] == ["101", "103"]
    assert last is not None
    assert handed == [3]


def test_a_page_ends_at_1_mb_as_moto_s_own_does() -> None:
    """moto weighs the item after the last match too: three matches of 300 KB and a fourth item
    past the key condition end the page with a LastEvaluatedKey (DynamoDB's own would not)."""
    moto_patch.apply()
    db = make_backend()
    for number in range(5):
        item = {"id": {S: f"p{number}"}, "g": {S: "x"}, "r": {N: str(number)}, "body": {S: "b" * 300_000}}
        db.put_item("plain", item)

    def read(start: dict[str, Any] | None, comparison: str, forward: bool) -> Any:
        bound = [{N: "2"}]
        return db.query(
            "plain",
            None,
            comparison,
            bound,
            None,  # type: ignore[arg-type]
            start,  # type: ignore[arg-type]
            forward,
            None,
            index_name="by_g",
            hash_key_conditions=[("g", {S: "x"})],
            range_key_conditions=[("r", comparison, bound)],
        )

    for comparison, forward in (("<=", True), (">=", False)):
        patched, expected = both(lambda start, c=comparison, f=forward: read(start, c, f), None)  # type: ignore[misc]
        assert patched == expected
        assert expected[0][2] is not None


# Scan answers as the handler writes them: the narrowed Scan's items are the table's own (not
# copies), which nothing may change on the way to the answer, nor after it through the answer.

SCAN_HEADERS = {
    "X-Amz-Target": "DynamoDB_20120810.Scan",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/dynamodb/aws4_request, Signature=x",
}


def scan_bytes(app: Client, request: dict[str, Any]) -> bytes:
    return app.post("/", data=json.dumps(request), headers=SCAN_HEADERS).data


@st.composite
def scan_requests(draw: st.DrawFn) -> dict[str, Any]:
    request: dict[str, Any] = {"TableName": "answered", "ReturnConsumedCapacity": "TOTAL"}
    limit = draw(st.one_of(st.none(), st.integers(1, 4)))
    if limit is not None:
        request["Limit"] = limit
    start = draw(st.one_of(st.none(), st.sampled_from(["k0", "k3", "k35", "zz"])))
    if start is not None:
        request["ExclusiveStartKey"] = {"id": {S: start}}
    filtering = draw(st.sampled_from([None, "attribute_exists (#0)", "attribute_exists (m)", "size (l) > :one"]))
    if filtering is not None:
        request["FilterExpression"] = filtering
        if "#0" in filtering:
            request["ExpressionAttributeNames"] = {"#0": "id"}
        if ":one" in filtering:
            request["ExpressionAttributeValues"] = {":one": {N: "1"}}
    projection = draw(st.sampled_from([None, "id, m.a", "l[0], s"]))
    if projection is not None:
        request["ProjectionExpression"] = projection
    return request


scan_values = st.one_of(
    st.builds(lambda s: {S: s}, st.text(max_size=5)),
    st.builds(lambda n: {N: str(n)}, st.integers(-100, 100)),
    st.builds(lambda b: {"B": base64.b64encode(b).decode()}, st.binary(max_size=4)),
    st.builds(lambda s: {"SS": sorted(s)}, st.sets(st.text(min_size=1, max_size=3), min_size=1, max_size=3)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
)
scan_items = st.fixed_dictionaries(
    {"s": scan_values},
    optional={
        "m": st.builds(lambda v: {"M": {"a": v}}, scan_values),
        "l": st.builds(lambda vs: {"L": vs}, st.lists(scan_values, max_size=3)),
    },
)


@SETTINGS
@given(items=st.lists(scan_items, min_size=1, max_size=8), asked=st.lists(scan_requests(), min_size=1, max_size=4))
def test_a_scan_s_answer_is_moto_s_own_and_leaves_the_items_as_they_were(
    items: list[dict[str, Any]], asked: list[dict[str, Any]]
) -> None:
    moto_patch.apply()
    app = Client(DomainDispatcherApplication(create_backend_app))
    db = dynamodb_backends["123456789012"]["us-east-1"]
    db.tables.pop("answered", None)
    create(db, "answered", ["id"], {"id": S})
    for number, item in enumerate(items):
        db.put_item("answered", {**item, "id": {S: f"k{number}"}})
    stored = [item.to_json() for item in db.get_table("answered").all_items()]
    for request in asked:
        with moto_queries.moto_s_own():
            expected = scan_bytes(app, request)
        assert scan_bytes(app, request) == expected
    assert [item.to_json() for item in db.get_table("answered").all_items()] == stored
    db.tables.pop("answered")
