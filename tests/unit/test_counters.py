"""Counter deltas (store/counters.py) and how a transaction sums them (store/transaction.py)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.models import Model as PynamoModel

from chalicelib.schema.loader import load_schema
from chalicelib.store import counters, sorted_keys
from chalicelib.store.limits import MAX_TRANSACTION_ITEMS
from chalicelib.store.transaction import Label, Transaction

SCHEMA = """
type User @model { id: ID! posts: [Post] }
type Post @model @index(sortBy: "title") @index(fields: ["author"], sortBy: "title")
  @index(fields: ["author"], sortBy: "id") { id: ID! title: String author: User }
type Note @model { id: ID! text: String }
"""
REGISTRY = load_schema(SCHEMA)
POST = REGISTRY.model("Post")


class Item(PynamoModel):
    class Meta:
        table_name = "items"
        region = "us-east-1"

    key = UnicodeAttribute(hash_key=True)


def post(author: str | None) -> dict[str, Any]:
    return {"id": "p", "title": "t", "author": author}


def by_author(author: str) -> str:
    key = sorted_keys.equality_key(POST, ("author",), [author])
    assert key is not None
    return counters.of_value(POST, ("author",), key)


def test_a_create_and_a_delete_move_the_total_and_the_value() -> None:
    created = counters.deltas(POST, None, post("a"))
    author = by_author("a")
    # Two indexes on `author`: one counter for them.
    assert created == {counters.total(POST): 1, author: 1}
    assert counters.deltas(POST, post("a"), None) == {counters.total(POST): -1, author: -1}


def test_an_update_moves_only_what_changed() -> None:
    a, b = by_author("a"), by_author("b")
    assert counters.deltas(POST, post("a"), post("b")) == {a: -1, b: 1}
    assert counters.deltas(POST, post("a"), {**post("a"), "title": "new"}) == {}
    # A null value is in no partition: nothing counts it.
    assert counters.deltas(POST, post("a"), post(None)) == {a: -1}


def test_a_model_without_type_level_indexes_keeps_no_counters() -> None:
    assert counters.deltas(REGISTRY.model("Note"), None, {"id": "n"}) == {}


def test_a_long_value_gets_a_counter_key_that_fits_a_partition_key() -> None:
    key = counters.of_value(POST, ("author",), "x" * 5000)
    assert len(key.encode()) < 200
    assert key != counters.of_value(POST, ("author",), "x" * 4999)


def transaction(deltas: dict[str, int], puts: int = 0) -> Transaction:
    made = Transaction(Connection(region="us-east-1"), lambda key: Item(key=key))
    for n in range(puts):
        made.put(Item(key=f"{id(made)}-{n}"), f"{id(made)}-{n}", None, Label("Item"))
    made.count(deltas)
    return made


def test_transactions_sum_their_counts_into_one_item_per_counter() -> None:
    first = transaction({"total": 1, "a": 1}, puts=1)
    assert len(first) == 3
    assert first.absorb(transaction({"total": 1, "b": 1}, puts=1))
    assert len(first) == 2 + 3  # two records; total, a, b
    # Deltas that sum to nothing write nothing.
    assert first.absorb(transaction({"a": -1}))
    assert len(first) == 2 + 2


def test_a_transaction_refuses_what_its_counters_would_push_past_the_limit() -> None:
    full = transaction({"total": 1}, puts=MAX_TRANSACTION_ITEMS - 2)
    assert full.absorb(transaction({"total": 1}, puts=1))  # the counter is shared: 99 + 1
    assert not full.absorb(transaction({"other": 1}))
