"""Production guards through the API: introspection and GraphiQL off, query depth, cost and body
size limits, and the parse / validate cache."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from graphql import DocumentNode, parse

from chalicelib.api import documents
from chalicelib.errors import BAD_REQUEST, VALIDATION_FAILED
from chalicelib.settings import Settings
from tests.conftest import CITIES_SCHEMA, DEFAULT_SCHEMA, GRAPHQL_RESPONSE, Api

PROD = {
    "introspection": False,
    "graphiql": False,
    "max_query_depth": 4,
    "max_query_cost": 50,
    "max_body_bytes": 2000,
}
CREATE = 'mutation { createCity(input: {data: {name: "NY"}}) { data { id name } } }'
# Depth 5: cities > user > address > user > name.
DEEP = "{ cities(first: 1) { user(first: 1) { address { user(first: 1) { email } } } } }"
INTROSPECTION = ["{ __schema { queryType { name } } }", '{ __type(name: "City") { name } }']


@pytest.fixture
def prod(make_api: Callable[..., Api]) -> Api:
    return make_api(CITIES_SCHEMA, **PROD)


def _body(response: Any) -> Any:
    return json.loads(response.body)


def _get(api: Api, **params: str) -> Any:
    headers = {**api.headers, "Accept": GRAPHQL_RESPONSE}
    return api.client.http.get("/graphql?" + urlencode(params), headers=headers)


def _refused(api: Api, query: str, status: int = 400) -> dict[str, Any]:
    """The one error of a request that must be refused before any DynamoDB call."""
    with api.calls() as calls:
        response = api.post({"query": query}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == status, response.body
    assert calls.total == 0
    body = _body(response)
    assert "data" not in body
    assert len(body["errors"]) == 1, body
    [error] = body["errors"]
    return dict(error)


# Introspection and GraphiQL.


@pytest.mark.parametrize("query", INTROSPECTION)
def test_introspection_is_refused_in_production(prod: Api, query: str) -> None:
    error = _refused(prod, query)
    assert error["extensions"]["code"] == VALIDATION_FAILED
    assert "introspection is disabled" in error["message"]


def test_typename_still_works_without_introspection(prod: Api) -> None:
    prod.data(CREATE)
    assert prod.data("{ __typename cities(first: 5) { __typename name } }") == {
        "__typename": "Query",
        "cities": [{"__typename": "City", "name": "NY"}],
    }


@pytest.mark.parametrize("query", INTROSPECTION)
def test_introspection_works_by_default(cities: Api, query: str) -> None:
    assert "errors" not in cities.query(query)


def test_graphiql_page_and_assets_are_not_found_in_production(prod: Api) -> None:
    for path in [
        "/graphql",
        *(f"/graphql/assets/{name}" for name in ["graphiql.min.js", "graphiql.min.css", "explorer.js"]),
    ]:
        response = prod.client.http.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "text/plain"
        assert response.body == b"Not found"


def test_get_with_a_query_still_executes_without_graphiql(prod: Api) -> None:
    prod.data(CREATE)
    response = _get(prod, query="{ cities(first: 5) { name } }")
    assert response.status_code == 200
    assert _body(response) == {"data": {"cities": [{"name": "NY"}]}}


def test_graphiql_is_served_by_default(cities: Api) -> None:
    response = cities.client.http.get("/graphql/assets/explorer.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/javascript")


def test_prod_stage_turns_introspection_and_graphiql_off() -> None:
    prod = Settings.from_environ({"STAGE": "prod"})
    assert (prod.introspection, prod.graphiql) == (False, False)
    dev = Settings.from_environ({"STAGE": "dev"})
    assert (dev.introspection, dev.graphiql) == (True, True)
    overridden = Settings.from_environ({"STAGE": "prod", "INTROSPECTION": "true"})
    assert (overridden.introspection, overridden.graphiql) == (True, False)
    assert Settings.from_environ({"STAGE": "dev", "GRAPHIQL": "false"}).graphiql is False


# Depth and cost.


def test_a_query_too_deep_is_refused_before_anything_runs(prod: Api) -> None:
    error = _refused(prod, DEEP)
    assert error == {
        "message": "The operation is 5 levels deep; the limit is 4",
        "locations": [{"line": 1, "column": 1}],
        "extensions": {"code": VALIDATION_FAILED},
    }


def test_depth_follows_fragments(prod: Api) -> None:
    query = (
        "query Nested { cities(first: 1) { ...C } }"
        " fragment C on City { user(first: 1) { ...U } }"
        " fragment U on User { address { user(first: 1) { email } } }"
    )
    assert _refused(prod, query)["message"] == "Operation 'Nested' is 5 levels deep; the limit is 4"


def test_a_query_too_costly_is_refused_before_anything_runs(prod: Api) -> None:
    # Without `first`, a list of records counts as 100 of them.
    error = _refused(prod, "{ cities { name } }")
    assert error["message"] == "The operation has an estimated cost of 101; the limit is 50"
    assert error["extensions"]["code"] == VALIDATION_FAILED
    nested = _refused(prod, "{ cities(first: 5) { name user(first: 10) { email } } }")
    assert nested["message"] == "The operation has an estimated cost of 61; the limit is 50"


def test_a_variable_page_size_counts_as_the_default(prod: Api) -> None:
    query = "query ($n: Int) { cities(first: $n) { name } }"
    response = prod.post({"query": query, "variables": {"n": 1}}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert "estimated cost of 101" in _body(response)["errors"][0]["message"]


def test_get_requests_are_limited_too(prod: Api) -> None:
    with prod.calls() as calls:
        deep, costly = _get(prod, query=DEEP), _get(prod, query="{ cities { name } }")
    assert calls.total == 0
    assert (deep.status_code, costly.status_code) == (400, 400)
    assert "levels deep" in _body(deep)["errors"][0]["message"]
    assert "estimated cost" in _body(costly)["errors"][0]["message"]


def test_normal_queries_run_under_the_limits(prod: Api) -> None:
    city = prod.data(CREATE)["createCity"]["data"]
    user = prod.data(
        'mutation ($city: ID!) { createUser(input: {data: {email: "a@x.com", address: {connect: {id: $city}}}})'
        " { data { id } } }",
        {"city": city["id"]},
    )["createUser"]["data"]
    assert prod.data("{ cities(first: 5) { name user(first: 3) { email } } }") == {
        "cities": [{"name": "NY", "user": [{"email": "a@x.com"}]}]
    }
    connection = "{ citiesConnection(first: 10) { edges { node { name } } aggregate { count } } }"
    assert prod.data(connection) == {
        "citiesConnection": {"edges": [{"node": {"name": "NY"}}], "aggregate": {"count": 1}}
    }
    # Exactly at the depth limit: users > address > user > email.
    assert prod.data(f'{{ user(id: "{user["id"]}") {{ address {{ user(first: 2) {{ email }} }} }} }}') == {
        "user": {"address": {"user": [{"email": "a@x.com"}]}}
    }
    assert prod.data(f'{{ node(id: "{city["id"]}") {{ id ... on City {{ name }} }} }}') == {
        "node": {"id": city["id"], "name": "NY"}
    }


def test_the_default_schema_and_default_limits_allow_ordinary_use(api: Api) -> None:
    # The session query every client starts with, and a deep-ish read, pass the default limits.
    result = api.query("{ currentSession { id state } }", headers={})
    assert "errors" not in result
    assert "errors" not in api.query("{ users { id email roles { key name } } }")


# Body size.


def test_an_oversized_body_is_refused_before_it_is_parsed(prod: Api) -> None:
    padding = "#" + "x" * 2000 + "\n"
    with prod.calls() as calls:
        response = prod.post({"query": padding + "{ cities(first: 1) { id } }"})
        not_json = prod.post(None, raw=b"{" * 2001)
    assert calls.total == 0
    for refused in [response, not_json]:
        assert refused.status_code == 413
        assert _body(refused) == {
            "errors": [
                {"message": "The request is larger than the limit of 2000 bytes", "extensions": {"code": BAD_REQUEST}}
            ]
        }
    # Just under the limit is fine.
    small = prod.post({"query": "#" + "x" * 1900 + "\n{ cities(first: 1) { id } }"})
    assert small.status_code == 200


def test_an_oversized_get_is_refused(prod: Api) -> None:
    response = _get(prod, query="#" + "x" * 2000 + "\n{ cities(first: 1) { id } }")
    assert response.status_code == 413
    assert _body(response)["errors"][0]["extensions"]["code"] == BAD_REQUEST


# The parse and validate cache.


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries graphql's parser is called on from now on."""
    seen: list[str] = []

    def counting(query: str) -> DocumentNode:
        seen.append(query)
        return parse(query)

    monkeypatch.setattr(documents, "parse", counting)
    return seen


def _unique(query: str) -> str:
    # Services (and their caches) live for the whole run: a fresh comment makes a fresh query string.
    return f"# {uuid.uuid4()}\n{query}"


def test_a_repeated_query_is_parsed_and_validated_once(prod: Api, parses: list[str]) -> None:
    prod.data(CREATE)
    query = _unique("{ cities(first: 5) { name } }")
    assert prod.data(query) == {"cities": [{"name": "NY"}]}
    prod.data(_unique(CREATE))
    assert prod.data(query) == {"cities": [{"name": "NY"}, {"name": "NY"}]}
    assert parses.count(query) == 1


def test_validation_errors_come_from_the_cache_too(prod: Api, parses: list[str]) -> None:
    for query in [_unique("{ cities(first: 1) { nope } }"), _unique(DEEP), _unique(INTROSPECTION[0])]:
        first, second = _refused(prod, query), _refused(prod, query)
        assert first == second
        assert first["extensions"]["code"] == VALIDATION_FAILED
        assert parses.count(query) == 1


def test_the_cache_keeps_get_and_post_apart(prod: Api, parses: list[str]) -> None:
    # One string, two rule sets: POST may run a mutation, GET may not.
    mutation = _unique(CREATE)
    assert prod.post({"query": mutation}).status_code == 200
    refused = _get(prod, query=mutation)
    assert refused.status_code == 405
    assert "GET requests run queries only" in _body(refused)["errors"][0]["message"]
    assert prod.post({"query": mutation}).status_code == 200
    assert parses.count(mutation) == 1
    assert len(prod.data("{ cities(first: 10) { id } }")["cities"]) == 2


def test_syntax_errors_are_still_reported(prod: Api) -> None:
    for _ in range(2):
        response = prod.post({"query": "{ cities(first: 1) { id "}, accept=GRAPHQL_RESPONSE)
        assert response.status_code == 400
        assert _body(response)["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_introspection_on_and_off_do_not_share_results(make_api: Callable[..., Api]) -> None:
    query = _unique("{ __schema { queryType { name } } }")
    on = make_api(DEFAULT_SCHEMA)
    off = make_api(DEFAULT_SCHEMA, introspection=False)
    assert on.data(query) == {"__schema": {"queryType": {"name": "Query"}}}
    assert _refused(off, query)["extensions"]["code"] == VALIDATION_FAILED
    assert on.data(query) == {"__schema": {"queryType": {"name": "Query"}}}
