"""Where-clauses past the size limit are refused with GGT_INVALID_INPUT before any DynamoDB call,
wherever a where-clause is taken: lists, connections, relation fields, lookups, the conditions of
update / upsert / delete, updateMany / deleteMany and importData."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import INVALID_INPUT
from chalicelib.query.bounds import MAX_TERMS
from tests.conftest import Api

# An `or` of single-value matches: 2 terms a member.
WIDE = {"or": [{"match": {"name": [f"a{i}"]}} for i in range(600)]}
LONG_MATCH = {"match": {"name": [f"a{i}" for i in range(MAX_TERMS + 1)]}}
# 6 terms a level, 2 levels of JSON each: large within the JSON depth limit.
NESTED: dict[str, Any] = {}
for _ in range(MAX_TERMS // 6 + 1):
    NESTED = {"and": [NESTED, {"match": {"name": ["a", "b", "c", "d"]}}]}
TOO_LARGE = [WIDE, LONG_MATCH, NESTED, {"user": {"and": [{"exists": {"email": True}}] * MAX_TERMS}}]


def _city(api: Api) -> str:
    created = api.data(
        'mutation { createCity(input: {data: {name: "a0", user: {create: [{email: "u@x.com"}]}}}) { data { id } } }'
    )
    city_id: str = created["createCity"]["data"]["id"]
    return city_id


def _refused(api: Api, query: str, variables: dict[str, Any]) -> None:
    with api.calls() as calls:
        result = api.query(query, variables)
    assert [e["extensions"]["code"] for e in result.get("errors") or []] == [INVALID_INPUT], result
    assert f"the limit is {MAX_TERMS}" in result["errors"][0]["message"]
    assert calls.total == 0, (query, calls.counts)


@pytest.mark.parametrize("where", TOO_LARGE, ids=["wide-or", "long-match", "nested", "relation"])
def test_reads_refuse_a_where_clause_past_the_limit(cities: Api, where: dict[str, Any]) -> None:
    city_id = _city(cities)
    for query in [
        "query ($w: CityWhereInput) { cities(where: $w) { id } }",
        "query ($w: CityWhereInput) { citiesConnection(where: $w, first: 1) { edges { node { id } } } }",
        'query ($w: CityWhereInput) { cities(where: $w, name: ["a0"]) { id } }',
        "query ($w: CityWhereInput, $id: ID!) { cities(where: $w, id: [$id]) { id } }",
        'mutation ($w: CityWhereInput!) { updateManyCities(input: {where: $w, data: {name: "b"}}) { count } }',
        "mutation ($w: CityWhereInput!) { deleteManyCities(input: {where: $w}) { count } }",
    ]:
        _refused(cities, query, {"w": where, "id": city_id} if "$id" in query else {"w": where})
    assert cities.data("{ cities { name } }")["cities"] == [{"name": "a0"}]


def test_relation_fields_refuse_a_where_clause_past_the_limit(cities: Api) -> None:
    """Whether or not the record has related records: one of each here."""
    _city(cities)
    cities.data('mutation { createCity(input: {data: {name: "alone"}}) { data { id } } }')
    cities.data('mutation { createUser(input: {data: {email: "alone@x.com"}}) { data { id } } }')
    for query in [
        "query ($w: UserWhereInput) { cities { user(where: $w) { id } } }",
        "query ($w: CityWhereInput) { users { address(where: $w) { id } } }",
    ]:
        where = WIDE if "City" in query else {"or": [{"match": {"email": [f"e{i}"]}} for i in range(600)]}
        result = cities.query(query, {"w": where})
        assert [e["extensions"]["code"] for e in result["errors"]] == [INVALID_INPUT] * 2, result


def test_write_conditions_past_the_limit_are_refused_and_nothing_is_written(cities: Api) -> None:
    city_id = _city(cities)
    for query in [
        "mutation ($id: ID, $w: CityWhereInput) {"
        ' updateCity(input: {where: {id: $id}, data: {name: "b"}, conditions: $w}) { data { id } } }',
        "mutation ($id: ID, $w: CityWhereInput) {"
        " updateCity(input: {where: {id: $id}, data: {user: {disconnect: []}}, conditions: $w}) { data { id } } }",
        "mutation ($id: ID, $w: CityWhereInput) {"
        ' upsertCity(input: {where: {id: $id}, create: {name: "c"}, update: {name: "b"}, conditions: $w})'
        " { data { id } } }",
        "mutation ($id: ID, $w: CityWhereInput) {"
        " deleteCity(input: {where: {id: $id}, conditions: $w}) { data { id } } }",
    ]:
        _refused(cities, query, {"id": city_id, "w": WIDE})
    assert cities.data("{ cities { name } }")["cities"] == [{"name": "a0"}]


def test_import_conditions_are_checked_as_a_where_clause(cities: Api) -> None:
    city_id = _city(cities)
    query = (
        "mutation ($data: [JSON]!, $c: [ConditionsInput!]) {"
        " importData(data: $data, merge: true, conditions: $c) { data } }"
    )
    data = [{"__typename": "City", "id": city_id, "name": "b"}]
    _refused(cities, query, {"data": data, "c": {"id": [city_id], "conditions": WIDE}})
    for conditions, message in [
        ({"match": {"nope": ["x"]}}, "importData: conditions.match: "),
        ({"match": {"population": ["many"]}}, "importData: conditions.match.population.0: "),
        ({"range": {"population": [1]}}, "range takes [min, max]"),
        ("not a where", "importData: conditions: "),
    ]:
        result = cities.query(query, {"data": data, "c": {"id": [city_id], "conditions": conditions}})
        [error] = result["errors"]
        assert error["extensions"]["code"] == INVALID_INPUT, result
        assert message in error["message"], error
    assert cities.data("{ cities { name } }")["cities"] == [{"name": "a0"}]
    result = cities.data(query, {"data": data, "c": {"id": [city_id], "conditions": {"match": {"name": ["a0"]}}}})
    assert result["importData"]["data"][0]["name"] == "b"


def test_a_where_clause_at_the_limit_runs(cities: Api) -> None:
    _city(cities)
    half = {"or": [{"match": {"name": [f"a{i}"]}} for i in range(MAX_TERMS // 2)]}
    assert cities.data("query ($w: CityWhereInput) { cities(where: $w) { name } }", {"w": half}) == {
        "cities": [{"name": "a0"}]
    }
