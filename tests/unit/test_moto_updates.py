"""UpdateItem by compiled steps (moto_updates): every update ends as with moto's own UpdateItem.

Each run of updates goes to two identical backends, one with the steps and one with moto's own
method; the answers (items or errors, in order), the items left and each stream record's images
must be the same.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.parsing.executors import UpdateExpressionExecutor

from tests.unit.moto_tables import backend, state, update
from tooling.local import moto_patch, moto_updates

Call = tuple[str, str, dict[str, str], dict[str, Any], str | None]


def run(calls: list[Call], db: DynamoDBBackend | None = None) -> tuple[list[Any], dict[str, Any], list[Any]]:
    db = db or backend()
    said: list[tuple[Any, ...]] = []
    for item_id, expression, names, values, condition in calls:
        try:
            # Values of its own per call, as each request parsed has.
            item = db.update_item(
                *table_and_key(item_id),
                expression,
                names,
                copy.deepcopy(values),
                None,
                None,
                condition,
                "ALL_OLD",
            )
            said.append(("ok", item.to_json()))
        except Exception as raised:
            said.append(
                (type(raised).__name__, getattr(raised, "description", str(raised)), getattr(raised, "item", None))
            )
    return said, state(db), stream(db)


def table_and_key(item_id: str) -> tuple[str, dict[str, Any]]:
    """`p1`: the item p1 of `plain`; `h1/a`: the item h1, a of `ranged` (hash and range key)."""
    if "/" not in item_id:
        return "plain", {"id": {"S": item_id}}
    hash_key, range_key = item_id.split("/")
    return "ranged", {"h": {"S": hash_key}, "r": {"S": range_key}}


def stream(db: DynamoDBBackend) -> list[Any]:
    """What each stream record says of the change (not its random id, its time, its place, nor its
    size, which moto measures with the time in it)."""
    shard = db.tables["plain"].stream_shard
    assert shard is not None
    kept = ("Keys", "OldImage", "NewImage")
    return [
        (record.record["eventName"], {k: v for k, v in record.record["dynamodb"].items() if k in kept})
        for record in shard.items
    ]


def moto_s_own(calls: list[Call]) -> tuple[list[Any], dict[str, Any], list[Any]]:
    with moto_updates.moto_s_own():
        return run(calls)


N = {"#n": "n"}
RUNS: dict[str, list[Call]] = {
    "set, add and remove on items there": [
        ("p1", "SET #n = :n, tag = :t", N, {":n": {"N": "5"}, ":t": {"S": "x"}}, None),
        ("p2", "SET #n = :n, tag = :t", N, {":n": {"N": "5"}, ":t": {"S": "x"}}, None),
        ("p1", "ADD #n :one, v :one", N, {":one": {"N": "1"}}, None),
        ("p2", "ADD #n :one, v :one", N, {":one": {"N": "1.5"}}, None),
        ("p3", "REMOVE tags, gone SET m = :m", {}, {":m": {"M": {"a": {"L": [{"S": "b"}]}}}}, None),
        ("p3", "SET m = :m REMOVE tags", {}, {":m": {"SS": ["z", "y"]}}, None),
    ],
    "a condition met, then failed (the old item in the error)": [
        ("p1", "SET #n = :n", N, {":n": {"N": "7"}, ":was": {"N": "1"}}, "#n = :was"),
        ("p2", "SET #n = :n", N, {":n": {"N": "7"}, ":was": {"N": "1"}}, "#n = :was"),
        ("p1", "SET #n = :n", N, {":n": {"N": "8"}, ":was": {"N": "1"}}, "#n = :was"),
        ("p1", "SET #n = :n", N, {":n": {"N": "8"}, ":was": {"N": "7"}}, "attribute_exists(id) AND #n = :was"),
    ],
    "items of a table with a range key": [
        ("h1/a", "SET v = :v ADD n :one", {}, {":v": {"S": "x"}, ":one": {"N": "1"}}, None),
        ("h1/b", "SET v = :v ADD n :one", {}, {":v": {"S": "x"}, ":one": {"N": "1"}}, "v = :v"),
        ("h1/c", "SET v = :v ADD n :one", {}, {":v": {"S": "x"}, ":one": {"N": "1"}}, None),
        ("h2/a", "REMOVE v", {}, {}, None),
        ("h1/a", "SET r = :v", {}, {":v": {"S": "x"}}, None),
    ],
    "an item not there (moto creates it)": [
        ("p9", "SET #n = :n", N, {":n": {"N": "1"}}, None),
        ("p9", "SET #n = :n", N, {":n": {"N": "1"}}, None),
        ("p8", "SET #n = :n", N, {":n": {"N": "1"}}, "attribute_exists(id)"),
    ],
    "an ADD to what is not a number": [
        ("p1", "SET tag = :t", {}, {":t": {"S": "x"}}, None),
        ("p1", "ADD #n :one, tag :one", N, {":one": {"N": "1"}}, None),
        ("p1", "ADD tags :one", {}, {":one": {"N": "1"}}, None),
    ],
    "an ADD that moto's addition refuses (a number written with an exponent), after a SET": [
        ("p1", "SET v = :v", {}, {":v": {"N": "1e5"}}, None),
        ("p1", "SET tag = :t ADD v :one", {}, {":t": {"S": "x"}, ":one": {"N": "1"}}, None),
    ],
    "actions that are not plain": [
        ("p1", "SET #n = #n + :one", N, {":one": {"N": "1"}}, None),
        ("p1", "ADD tags :more", {}, {":more": {"SS": ["c"]}}, None),
        ("p1", "DELETE tags :less", {}, {":less": {"SS": ["a"]}}, None),
        ("p1", "SET m = :m", {}, {":m": {"M": {"a": {"S": "b"}}}}, None),
        ("p1", "SET m.a = :v", {}, {":v": {"S": "c"}}, None),
        (
            "p1",
            "SET l = list_append(if_not_exists(l, :none), :v)",
            {},
            {":none": {"L": []}, ":v": {"L": [{"N": "1"}]}},
            None,
        ),
    ],
    "invalid updates": [
        ("p1", "SET id = :v", {}, {":v": {"S": "x"}}, None),
        ("p1", "SET #n = :n", {}, {":n": {"N": "1"}}, None),
        ("p1", "SET #n = :gone", N, {}, None),
        ("p1", "SET #n = :n, #n = :n", N, {":n": {"N": "1"}}, None),
        ("p1", "SET #n = :n", N, {":n": {"N": "1"}}, "#n = :gone"),
        ("p1", "SET #n = = :n", N, {":n": {"N": "1"}}, None),
    ],
    "past the item size limit, then within it": [
        ("p1", "SET a = :big, b = :big", {}, {":big": {"S": "x" * 250_000}}, None),
        ("p1", "SET a = :big", {}, {":big": {"S": "x" * 250_000}}, None),
        ("p1", "SET b = :big", {}, {":big": {"S": "x" * 250_000}}, None),
    ],
    # moto's check counts the value an assignment replaces as well as the new one.
    "a value replaced by one as large, past the limit only counting both": [
        ("p1", "SET a = :mid", {}, {":mid": {"S": "x" * 150_000}}, None),
        ("p1", "SET a = :big, b = :s", {}, {":big": {"S": "y" * 250_000}, ":s": {"S": "z"}}, None),
        ("p1", "SET a = :big REMOVE b", {}, {":big": {"S": "w" * 250_000}}, None),
        ("p1", "REMOVE a SET b = :big", {}, {":big": {"S": "v" * 250_000}}, None),
        ("p1", "SET c = :mid ADD #n :one", N, {":mid": {"S": "u" * 150_000}, ":one": {"N": "1"}}, None),
    ],
}


@pytest.mark.parametrize("calls", RUNS.values(), ids=RUNS.keys())
def test_updates_end_as_with_moto_s_own(calls: list[Call]) -> None:
    moto_patch.apply()
    expected = moto_s_own(calls)
    # Twice: the second run finds every update compiled by the first.
    assert run(calls) == expected
    assert run(calls) == expected


NAMES = st.sampled_from(["n", "tag", "v", "m"])
SCALARS = st.one_of(
    st.builds(lambda n: {"N": str(n)}, st.integers(-5, 5)),
    st.builds(lambda s: {"S": s}, st.text("ab", max_size=3)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
)
VALUES = st.one_of(SCALARS, st.builds(lambda v: {"L": [v]}, SCALARS), st.builds(lambda v: {"M": {"k": v}}, SCALARS))


@st.composite
def calls(draw: st.DrawFn) -> Call:
    actions = draw(
        st.lists(
            st.tuples(st.sampled_from(["SET", "ADD", "REMOVE"]), NAMES),
            min_size=1,
            max_size=3,
            unique_by=lambda a: a[1],
        )
    )
    clauses: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for number, (kind, name) in enumerate(actions):
        if kind == "REMOVE":
            clauses.setdefault(kind, []).append(name)
            continue
        values[f":v{number}"] = draw(VALUES if kind == "SET" else SCALARS)
        clauses.setdefault(kind, []).append(f"{name} = :v{number}" if kind == "SET" else f"{name} :v{number}")
    expression = " ".join(f"{kind} {', '.join(parts)}" for kind, parts in clauses.items())
    condition = draw(
        st.sampled_from([None, "attribute_exists(id)", "n = :c", "attribute_not_exists(tag) OR tag <> :c"])
    )
    if condition is not None and ":c" in condition:
        values[":c"] = draw(SCALARS)
    return draw(st.sampled_from(["p1", "p2", "p3", "p9"])), expression, {}, values, condition


@settings(max_examples=60, deadline=None)
@given(st.lists(calls(), min_size=1, max_size=6))
def test_random_plain_updates_end_as_with_moto_s_own(updates: list[Call]) -> None:
    moto_patch.apply()
    assert run(updates) == moto_s_own(updates)


def test_plain_updates_of_a_transaction_run_no_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The steps are what updates the items: moto's executor runs for none of them (once compiled)."""
    moto_patch.apply()
    db = backend()
    items = [
        update("plain", "SET tag = :t ADD v :one", {":t": {"S": "u"}, ":one": {"N": "1"}}, id=i)
        for i in ("p1", "p2", "p3")
    ]
    db.transact_write_items(items[:1])
    executed: list[Any] = []
    monkeypatch.setattr(UpdateExpressionExecutor, "execute", lambda self, node=None: executed.append(node))
    db.transact_write_items(items)
    assert executed == []
    assert {k: v["Attributes"]["v"] for k, v in state(db)["plain"]["items"].items()} == {
        "p1": {"N": "2"},
        "p2": {"N": "1"},
        "p3": {"N": "1"},
    }


@settings(max_examples=40, deadline=None)
@given(calls())
def test_the_size_an_update_gives_is_the_item_s_own(call: Call) -> None:
    """What the views are told is the item's size (moto_queries), without measuring it again."""
    moto_patch.apply()
    db = backend()
    item_id, expression, names, values, condition = call
    planned = moto_updates.planned(db, *table_and_key(item_id), expression, names, values, condition)
    assume(planned is not None)
    assert planned is not None
    made = moto_updates.applied(planned)
    assert made is not None
    assert made.size == planned.item.size()
