"""TransactWriteItems of plain updates in one pass (moto_transactions): every transaction ends as
with moto's own.

Each run of transactions goes to two identical backends, one as patched and one with moto's own
updates and transactions; the answers (errors with their cancellation reasons), the items left,
each stream record's images and the writes told to listeners must be the same.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.dynamodb.models import DynamoDBBackend

from tests.unit.moto_tables import backend, key, put, state, update, with_condition
from tests.unit.test_moto_queries import make_backend
from tests.unit.test_moto_updates import calls, stream, table_and_key
from tooling.local import moto_changes, moto_patch, moto_updates

Transaction = list[dict[str, Any]]


@contextmanager
def told() -> Iterator[list[tuple[str, Any]]]:
    writes: list[tuple[str, Any]] = []

    def note(_backend: DynamoDBBackend, table: str, item_key: dict[str, Any] | None) -> None:
        writes.append((table, item_key))

    moto_changes.listen(note)
    try:
        yield writes
    finally:
        moto_changes.unlisten(note)


def run(transactions: list[Transaction], own: bool = False) -> tuple[list[Any], dict[str, Any], list[Any], list[Any]]:
    moto_patch.apply()
    db = backend()
    said: list[Any] = []
    with moto_updates.moto_s_own() if own else nullcontext(), told() as writes:
        for transaction in transactions:
            try:
                # Values of its own per call, as each request parsed has.
                db.transact_write_items(copy.deepcopy(transaction))
                said.append("ok")
            except Exception as raised:
                said.append((type(raised).__name__, str(raised), getattr(raised, "cancellation_reasons", None)))
    return said, state(db), stream(db), writes


def tag(item_id: str, value: str, condition: str | None = None, **values: Any) -> dict[str, Any]:
    table, item_key = table_and_key(item_id)
    operation: dict[str, Any] = {
        "TableName": table,
        "Key": item_key,
        "UpdateExpression": "SET #tag = :tag ADD v :one",
        "ExpressionAttributeNames": {"#tag": "tag"},
        "ExpressionAttributeValues": {":tag": {"S": value}, ":one": {"N": "1"}, **values},
    }
    if condition is not None:
        operation["ConditionExpression"] = condition
    return {"Update": operation}


BIG = {"S": "x" * 250_000}
RUNS: dict[str, list[Transaction]] = {
    "plain updates of items there": [
        [tag("p1", "a"), tag("p2", "a"), tag("h1/a", "a")],
        [tag("p1", "b", "v = :was", **{":was": {"N": "1"}}), tag("p3", "b", "attribute_exists(id)")],
    ],
    "a condition not met, first or last": [
        [tag("p1", "a", "v = :was", **{":was": {"N": "7"}}), tag("p2", "a")],
        [tag("p1", "a"), tag("p2", "a", "attribute_not_exists(id)")],
    ],
    "an item not there": [[tag("p1", "a"), tag("p9", "a")], [tag("p9", "a", "attribute_exists(id)")]],
    "two operations on one item": [[tag("p1", "a"), tag("p1", "b")]],
    "other kinds of operation beside updates": [
        [tag("p1", "a"), put("plain", id="p8")],
        [tag("p2", "a"), key("plain", "Delete", id="p3")],
        [tag("p1", "a"), with_condition(key("plain", "ConditionCheck", id="p2"), "attribute_exists(id)")],
    ],
    "an update that is not plain, or adds to what is not a number": [
        [tag("p1", "a"), update("plain", "SET n = n + :one", {":one": {"N": "1"}}, id="p2")],
        [update("plain", "SET tags = :one", {":one": {"N": "1"}}, id="p2"), tag("p2", "a")],
        [tag("p1", "a"), update("plain", "ADD tags :one", {":one": {"N": "1"}}, id="p3")],
    ],
    "an item grown past the size limit after others were made": [
        [update("plain", "SET big = :big", {":big": BIG}, id="p1")],
        [tag("p2", "a"), update("plain", "SET more = :big", {":big": BIG}, id="p1"), tag("p3", "a")],
    ],
    "an ADD that moto's addition refuses (a number written with an exponent) after others were made": [
        [update("plain", "SET v = :v", {":v": {"N": "1e5"}}, id="p1")],
        [tag("p2", "a"), tag("p1", "a"), tag("p3", "a")],
    ],
    "invalid operations": [
        [tag("p1", "a"), {"Update": {**tag("p2", "a")["Update"], "TableName": "missing"}}],
        [tag("p1", "a"), {"Update": {**tag("p2", "a")["Update"], "Key": {"id": {"S": "p2"}, "x": {"S": "y"}}}}],
        [{"Update": {**tag("p2", "a")["Update"], "UpdateExpression": "SET #tag = = :tag"}}],
        [{**tag("p1", "a"), **put("plain", id="p7")}],
    ],
    "more than 100 operations": [[tag("p1", str(n)) for n in range(101)]],
}


@pytest.mark.parametrize("transactions", RUNS.values(), ids=RUNS.keys())
def test_transactions_end_as_with_moto_s_own(transactions: list[Transaction]) -> None:
    assert run(transactions) == run(transactions, own=True)


@st.composite
def transactions(draw: st.DrawFn) -> Transaction:
    updates = draw(st.lists(calls(), min_size=1, max_size=4))
    entries: Transaction = []
    for item_id, expression, names, values, condition in updates:
        table, item_key = table_and_key(item_id)
        operation: dict[str, Any] = {"TableName": table, "Key": item_key, "UpdateExpression": expression}
        if names:
            operation["ExpressionAttributeNames"] = names
        if values:
            operation["ExpressionAttributeValues"] = values
        if condition is not None:
            operation["ConditionExpression"] = condition
        entries.append({"Update": operation})
    return entries


@settings(max_examples=60, deadline=None)
@given(st.lists(transactions(), min_size=1, max_size=4))
def test_random_transactions_of_updates_end_as_with_moto_s_own(drawn: list[Transaction]) -> None:
    assert run(drawn) == run(drawn, own=True)


def test_a_transaction_of_plain_updates_goes_neither_through_moto_s_loop_nor_the_journal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moto_patch.apply()
    db = backend()
    entered: list[Any] = []
    monkeypatch.setattr("tooling.local.journal.Journal.of", lambda *args: entered.append(args))
    db.transact_write_items([tag("p1", "a"), tag("p2", "a", "attribute_exists(id)")])
    assert entered == []
    assert state(db)["plain"]["items"]["p2"]["Attributes"]["tag"] == {"S": "a"}
    # What is not all plain updates goes to moto's transaction, which starts with the journal.
    db.transact_write_items([tag("p1", "b"), put("plain", id="p8")])
    assert len(entered) == 1


def test_the_query_views_follow_the_items_a_transaction_moves() -> None:
    moto_patch.apply()
    db = make_backend()
    for h, g in (("a", "x"), ("b", "x"), ("a", "y")):
        db.put_item("ranged", {"h": {"S": h}, "r": {"N": "1" if g == "x" else "2"}, "g": {"S": g}, "s": {"S": "k"}})

    def by_g(group: str) -> Any:
        found = db.query(
            "ranged", {"S": group}, None, [], None, None, True, None, index_name="by_g",  # type: ignore[arg-type]
            hash_key_conditions=[("g", {"S": group})], range_key_conditions=[],
        )  # fmt: skip
        return sorted(item.attrs["h"].value for item in found[0])

    assert by_g("x") == ["a", "b"]
    moves = [
        {
            "Update": {
                "TableName": "ranged",
                "Key": {"h": {"S": h}, "r": {"N": "1"}},
                "UpdateExpression": "SET g = :g",
                "ExpressionAttributeValues": {":g": {"S": g}},
            }
        }
        for h, g in (("a", "y"), ("b", "z"))
    ]
    with told() as writes:
        db.transact_write_items(moves)
    assert (by_g("x"), by_g("y"), by_g("z")) == ([], ["a", "a"], ["b"])
    assert writes == [("ranged", {"h": {"S": h}, "r": {"N": "1"}}) for h in ("a", "b")]
