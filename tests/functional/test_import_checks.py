"""importData checks every value against its field before anything is written: a wrong type or
range is GGT_INVALID_INPUT naming the object (its index in `data`) and `Model.field`."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import INVALID_INPUT
from tests.conftest import Api

IMPORT = "mutation ($data: [JSON]!, $merge: Boolean) { importData(data: $data, merge: $merge) { data missingData } }"
GOOD = {"__typename": "City", "name": "a", "population": 5, "neighborhoods": ["x"]}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"population": 10**40}, "City.population: 10000000000000000000000000000000000000000 is not a 32-bit Int"),
        ({"population": 2.5}, "City.population: 2.5 is not a valid Int"),
        ({"neighborhoods": "notalist"}, "City.neighborhoods: 'notalist' is not a list"),
        ({"neighborhoods": [1]}, "City.neighborhoods: 1 is not a valid String"),
        ({"founded": "someday"}, "City.founded: 'someday' is not a date (YYYY-MM-DD)"),
        ({"name": None}, "City.name is required"),
        ({"user": "an id"}, "City.user: 'an id' is not a list"),
        ({"user": [{"id": "x"}]}, "City.user: {'id': 'x'} is not an id"),
        ({"id": 5}, "City.id: 5 is not a valid ID"),
        ({"__typename": "Nope"}, "unknown type 'Nope'"),
        ({"__typename": ["City"]}, "unknown type ['City']"),
        ({"nope": 1}, "City has no writable field nope"),
    ],
)
def test_a_wrong_value_names_its_object_and_field_and_nothing_is_written(
    cities: Api, bad: dict[str, Any], message: str
) -> None:
    for merge in (False, True):
        result = cities.query(IMPORT, {"data": [GOOD, {**GOOD, **bad}], "merge": merge})
        assert [e["extensions"]["code"] for e in result.get("errors") or []] == [INVALID_INPUT], result
        assert result["errors"][0]["message"] == f"importData: data[1]: {message}"
    assert cities.data("{ cities { id } users { id } }") == {"cities": [], "users": []}


def test_a_to_one_relation_takes_an_id(cities: Api) -> None:
    result = cities.query(IMPORT, {"data": [{"__typename": "User", "email": "u@x.com", "address": ["c"]}]})
    assert result["errors"][0]["message"] == "importData: data[0]: User.address: ['c'] is not an id"


def test_values_that_pass_are_stored_and_read_back(cities: Api) -> None:
    imported = cities.data(IMPORT, {"data": [{**GOOD, "population": 2**31 - 1, "founded": "1900-01-01"}]})
    assert imported["importData"]["data"][0]["population"] == 2**31 - 1
    assert cities.data("{ cities { name population founded neighborhoods } }")["cities"] == [
        {"name": "a", "population": 2**31 - 1, "founded": "1900-01-01", "neighborhoods": ["x"]}
    ]
