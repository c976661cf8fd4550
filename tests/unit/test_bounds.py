"""The size of a where-clause, counted term by term, and its limit."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import INVALID_INPUT, ApiError
from chalicelib.query.bounds import MAX_TERMS, terms
from chalicelib.query.where import validate
from chalicelib.schema import load_schema_file
from tests.conftest import CITIES_SCHEMA

REGISTRY = load_schema_file(CITIES_SCHEMA)
CITY = REGISTRY.model("City")


@pytest.mark.parametrize(
    ("where", "count"),
    [
        (None, 0),
        ({}, 0),
        ({"match": {"name": ["a", "b", "c"]}}, 3),
        ({"match": {"name": None, "population": []}}, 2),
        ({"range": {"population": [1, 2]}, "exists": {"name": True, "founded": False}}, 3),
        ({"and": [{}, {"match": {"name": ["a"]}}]}, 3),
        ({"or": [{"match": {"name": ["a"]}}, {"match": {"name": ["b"]}}]}, 4),
        ({"not": {"not": {}}}, 2),
        ({"user": {"address": {"match": {"name": ["a"]}}}}, 3),
        ({"match": None, "and": None, "user": None}, 0),
    ],
)
def test_every_value_entry_member_and_relation_hop_counts_one(where: dict[str, Any] | None, count: int) -> None:
    assert terms(CITY, where, REGISTRY) == count


def test_a_clause_up_to_the_limit_is_valid_and_one_past_it_is_invalid_input() -> None:
    validate(CITY, {"match": {"id": [f"c{i}" for i in range(MAX_TERMS)]}}, REGISTRY)
    wide: dict[str, Any] = {"or": [{"match": {"name": [f"a{i}"]}} for i in range(MAX_TERMS // 2)]}
    validate(CITY, wide, REGISTRY)
    invalid: list[dict[str, Any]] = [
        {"match": {"id": [f"c{i}" for i in range(MAX_TERMS + 1)]}},
        {"or": [*wide["or"], {}]},
        {"and": [wide, {"exists": {"name": True}}]},
    ]
    for where in invalid:
        with pytest.raises(ApiError) as raised:
            validate(CITY, where, REGISTRY)
        assert raised.value.code == INVALID_INPUT
        assert f"the limit is {MAX_TERMS}" in raised.value.message
