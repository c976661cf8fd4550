"""The where grammar on records, its compilation to DynamoDB conditions, and ordering."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import ApiError
from chalicelib.query import order
from chalicelib.query.conditions import compile_where
from chalicelib.query.where import matches, relation_paths, validate
from chalicelib.schema import load_schema_file
from tests.conftest import CITIES_SCHEMA

REGISTRY = load_schema_file(CITIES_SCHEMA)
CITY = REGISTRY.model("City")
USER = REGISTRY.model("User")
USERS = {"u1": {"id": "u1", "displayname": "steve", "email": "s@x.com", "address": "c1"}}


def related(field: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    return [USERS[i] for i in record.get(field.name) or [] if i in USERS]


def city(**fields: Any) -> dict[str, Any]:
    return {"id": "c1", "name": "NY", "neighborhoods": None, "user": [], "founded": None, "population": None, **fields}


def check(where: dict[str, Any], record: dict[str, Any]) -> bool:
    return matches(CITY, where, record, REGISTRY, related)


@pytest.mark.parametrize(
    ("where", "record", "expected"),
    [
        ({"match": {"name": ["NY"]}}, city(), True),
        ({"match": {"name": ["ny"]}}, city(), False),
        ({"match": {"name": ["LA", "NY"]}}, city(), True),
        ({"match": {"population": [None]}}, city(), True),
        ({"match": {"population": None}}, city(population=0), False),
        ({"match": {"neighborhoods": ["queens"]}}, city(neighborhoods=["queens", "bronx"]), True),
        ({"match": {"neighborhoods": ["brooklyn"]}}, city(neighborhoods=["queens"]), False),
        ({"range": {"population": [0, 10]}}, city(population=0), True),
        ({"range": {"population": [None, 10]}}, city(population=11), False),
        ({"range": {"population": [None, None]}}, city(), False),
        ({"range": {"name": ["B", "Z"]}}, city(name="a"), False),
        ({"exists": {"population": True}}, city(population=0), True),
        ({"exists": {"name": True}}, city(name=""), True),
        ({"exists": {"neighborhoods": True}}, city(neighborhoods=[]), False),
        ({"exists": {"population": False}}, city(), True),
        ({"exists": {"user": True}}, city(), False),
        ({"exists": {"user": True}}, city(user=["u1"]), True),
        ({"not": {"range": {"population": [1, 5]}}}, city(), True),
        (
            {"or": [{"match": {"name": ["LA"]}}, {"user": {"match": {"displayname": ["steve"]}}}]},
            city(user=["u1"]),
            True,
        ),
        ({"not": {"user": {"match": {"displayname": ["steve"]}}}}, city(user=["u1"]), False),
        ({"and": [], "or": []}, city(), False),
        ({}, city(), True),
    ],
)
def test_matches(where: dict[str, Any], record: dict[str, Any], expected: bool) -> None:
    assert check(where, record) is expected


def test_a_boolean_never_equals_a_number() -> None:
    assert not matches(CITY, {"match": {"population": [True]}}, city(population=1), REGISTRY, related)


def test_range_needs_two_bounds() -> None:
    with pytest.raises(ApiError, match=r"range takes \[min, max\]"):
        validate(CITY, {"and": [{"range": {"population": [1]}}]}, REGISTRY)


def test_relation_paths_reach_every_depth() -> None:
    where = {"or": [{"user": {"address": {"match": {"name": ["NY"]}}}}]}
    assert [tuple(f.name for f in p) for p in relation_paths(CITY, where, REGISTRY)] == [("user",), ("user", "address")]


def _expression(where: dict[str, Any]) -> str | None:
    compiled = compile_where(CITY, where)
    if compiled.condition is None:
        return None
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    return str(compiled.condition.serialize(names, values)) + str(sorted(names.values()))


def test_scalar_clauses_compile_exactly() -> None:
    where = {"match": {"name": ["A", "B"], "population": [None]}, "range": {"founded": [None, "2000-01-01"]}}
    compiled = compile_where(CITY, where)
    assert compiled.exact
    assert compiled.condition is not None


def test_relation_filters_do_not_compile_and_make_the_filter_a_superset() -> None:
    relation = {"user": {"match": {"displayname": ["x"]}}}
    assert compile_where(CITY, {"and": [{"match": {"name": ["A"]}}, relation]}).exact is False
    assert compile_where(CITY, {"and": [{"match": {"name": ["A"]}}, relation]}).condition is not None
    assert compile_where(CITY, {"or": [{"match": {"name": ["A"]}}, relation]}).condition is None
    assert compile_where(CITY, {"not": relation}).condition is None
    assert compile_where(CITY, {"not": relation}).exact is False


def test_list_match_compiles_to_contains() -> None:
    expression = _expression({"match": {"neighborhoods": ["queens"]}})
    assert expression is not None
    assert "contains" in expression


def test_order_puts_nulls_last_both_ways_and_breaks_ties_by_id_in_the_direction_of_the_sort() -> None:
    population = CITY.fields["population"]
    records = [
        city(id="a", population=None),
        city(id="b", population=5),
        city(id="c", population=1),
        city(id="d", population=5),
    ]
    ascending = order.sort([(population, False)], records)
    descending = order.sort([(population, True)], records)
    assert [r["id"] for r in ascending] == ["c", "b", "d", "a"]
    assert [r["id"] for r in descending] == ["d", "b", "c", "a"]
