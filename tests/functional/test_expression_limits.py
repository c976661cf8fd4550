"""Where-clauses within the term bound whose DynamoDB expression would not be: reads and writes
still answer correctly, every request held to DynamoDB's limits (tests/conftest.py fails a test
that sent one past them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.errors import INVALID_INPUT
from chalicelib.query.bounds import MAX_TERMS, terms
from chalicelib.query.conditions import compile_where
from tests.conftest import Api

LISTS = "abcdefghij"
SCHEMA = "type Item { id: ID! name: String " + " ".join(f"{f}: [String]" for f in LISTS) + " }\n"
# `exists: false` on a list is four operators (absent, or of size 0): 9 x 10 of them, with the ANDs
# between, pass DynamoDB's 300 operators and 4 KB, at 99 terms.
EMPTY_LISTS: dict[str, Any] = {"and": [{"exists": dict.fromkeys(LISTS, False)}] * 9}
# Matches on three list fields, any of them (each `or` member counts one term, each value one):
# 97 `contains` joined by OR, within the limits, at 100 terms.
WIDE_MATCH = {
    "or": [
        {"match": {"a": [f"v{i}" for i in range(33)]}},
        {"match": {"b": [f"v{i}" for i in range(33, 66)]}},
        {"match": {"c": [f"v{i}" for i in range(66, 97)]}},
    ]
}


@pytest.fixture
def items(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    schema = tmp_path / "items.graphql"
    schema.write_text(SCHEMA)
    return make_api(schema)


def _create(api: Api, name: str, **lists: list[str]) -> str:
    created = api.data(
        "mutation ($d: ItemCreateInput!) { createItem(input: {data: $d}) { data { id } } }",
        {"d": {"name": name, **lists}},
    )
    item_id: str = created["createItem"]["data"]["id"]
    return item_id


def _names(api: Api, where: dict[str, Any]) -> list[str]:
    found = api.data("query ($w: ItemWhereInput) { items(where: $w) { name } }", {"w": where})["items"]
    return sorted(item["name"] for item in found)


def test_the_clauses_are_within_the_term_bound(items: Api) -> None:
    model = items.service.registry.model("Item")
    assert terms(model, EMPTY_LISTS, items.service.registry) <= MAX_TERMS
    assert terms(model, WIDE_MATCH, items.service.registry) == MAX_TERMS
    # The first does not fit one expression whole; the second does.
    assert not compile_where(model, EMPTY_LISTS).exact
    assert compile_where(model, WIDE_MATCH).exact


def test_a_match_of_97_values_on_three_fields_answers_correctly(items: Api) -> None:
    _create(items, "first", a=["v0"])
    _create(items, "middle", b=["x", "v50"])
    _create(items, "last", c=["v96"])
    _create(items, "elsewhere", a=["v96"], d=["v0"])
    assert _names(items, WIDE_MATCH) == ["first", "last", "middle"]
    connection = items.data(
        "query ($w: ItemWhereInput) { itemsConnection(where: $w, first: 2) { edges { node { name } } } }",
        {"w": WIDE_MATCH},
    )
    assert len(connection["itemsConnection"]["edges"]) == 2


def test_a_clause_past_one_expressions_operators_reads_correctly(items: Api) -> None:
    _create(items, "bare")
    _create(items, "emptied", a=[], j=[])
    _create(items, "full", j=["x"])
    assert _names(items, EMPTY_LISTS) == ["bare", "emptied"]
    count = items.data(
        "query ($w: ItemWhereInput) { itemsConnection(where: $w) { aggregate { count } } }", {"w": EMPTY_LISTS}
    )
    assert count["itemsConnection"]["aggregate"]["count"] == 2


def test_write_conditions_past_one_expressions_operators_hold_atomically(items: Api) -> None:
    bare, full = _create(items, "bare"), _create(items, "full", j=["x"])
    update = """mutation ($id: ID!, $c: ItemWhereInput) {
      updateItem(input: {where: {id: $id}, data: {name: "changed"}, conditions: $c}) {
        data { name } unalteredData { name } } }"""
    held = items.data(update, {"id": bare, "c": EMPTY_LISTS})["updateItem"]
    assert held == {"data": {"name": "changed"}, "unalteredData": None}
    failed = items.data(update, {"id": full, "c": EMPTY_LISTS})["updateItem"]
    assert failed == {"data": None, "unalteredData": {"name": "full"}}
    delete = """mutation ($id: ID!, $c: ItemWhereInput) {
      deleteItem(input: {where: {id: $id}, conditions: $c}) { data { name } } }"""
    assert items.data(delete, {"id": full, "c": EMPTY_LISTS})["deleteItem"]["data"] is None
    assert _names(items, {}) == ["changed", "full"]


def test_bulk_writes_past_one_expressions_operators_change_exactly_the_matches(items: Api) -> None:
    _create(items, "bare")
    _create(items, "emptied", a=[])
    _create(items, "full", j=["x"])
    updated = items.data(
        'mutation ($w: ItemWhereInput!) { updateManyItems(input: {where: $w, data: {name: "hit"}}) { count } }',
        {"w": EMPTY_LISTS},
    )
    assert updated["updateManyItems"]["count"] == 2
    deleted = items.data(
        "mutation ($w: ItemWhereInput!) { deleteManyItems(input: {where: $w}) { count } }", {"w": EMPTY_LISTS}
    )
    assert deleted["deleteManyItems"]["count"] == 2
    assert _names(items, {}) == ["full"]


# A @unique value whose index key (`=<value>`) fits DynamoDB's 2,048 bytes a partition key, but not
# its unique guard's (`User#email#=<value>`); and one too long for either.
LONG_EMAIL = "x" * 2040 + "@x.com"
LONGER_EMAIL = "x" * 2100 + "@x.com"


def test_a_unique_value_too_long_to_be_a_key_is_refused_and_never_found(cities: Api) -> None:
    create = "mutation ($e: String!) { createUser(input: {data: {email: $e}}) { data { id } } }"
    refused = cities.query(create, {"e": LONG_EMAIL})
    assert [e["extensions"]["code"] for e in refused["errors"]] == [INVALID_INPUT], refused
    assert "User.email" in refused["errors"][0]["message"]
    assert "2,048" in refused["errors"][0]["message"]
    user_id = cities.data(create, {"e": "short@x.com"})["createUser"]["data"]["id"]
    update = (
        "mutation ($id: ID!, $e: String!) { updateUser(input: {where: {id: $id}, data: {email: $e}}) { data { id } } }"
    )
    again = cities.query(update, {"id": user_id, "e": LONG_EMAIL})
    assert [e["extensions"]["code"] for e in again["errors"]] == [INVALID_INPUT], again
    lookup = "query ($e: String!) { user(where: {email: $e}) { id } users(where: {match: {email: [$e]}}) { id } }"
    assert cities.data(lookup, {"e": LONG_EMAIL}) == {"user": None, "users": []}
    # No record can hold a value too long for its index key: nothing is asked of DynamoDB.
    with cities.calls() as calls:
        assert cities.data(lookup, {"e": LONGER_EMAIL}) == {"user": None, "users": []}
    assert calls.total == 0, calls.counts
    assert cities.data("{ users { email } }") == {"users": [{"email": "short@x.com"}]}
