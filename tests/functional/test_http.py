"""GraphQL over HTTP: request errors, GET, the explorer, and what errors reveal."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.api.decoding import MAX_JSON_DEPTH
from chalicelib.api.errors import LOGGER
from chalicelib.errors import BAD_REQUEST, INTERNAL_ERROR, PARSE_FAILED, PERMISSION_DENIED, VALIDATION_FAILED
from tests.conftest import GRAPHQL_RESPONSE, Api

CREATE = 'mutation { createCity(input: {data: {name: "NY"}}) { data { id } } }'


def _body(response: Any) -> Any:
    return json.loads(response.body)


def test_malformed_json_is_a_400_with_a_clear_message(cities: Api) -> None:
    response = cities.post(None, raw=b"{not json")
    assert response.status_code == 400
    assert _body(response)["errors"] == [
        {"message": "The request body is not valid JSON", "extensions": {"code": BAD_REQUEST}}
    ]


def test_a_lone_surrogate_is_a_400_not_a_write_dynamodb_refuses(cities: Api) -> None:
    body = b'{"query": "mutation ($n: String!) { createCity(input: {data: {name: $n}}) { data { id } } }",'
    response = cities.post(None, raw=body + b' "variables": {"n": "\\ud800"}}')
    assert response.status_code == 400
    assert _body(response)["errors"][0]["extensions"]["code"] == BAD_REQUEST
    assert "surrogate" in _body(response)["errors"][0]["message"]


def test_json_nested_past_the_limit_is_a_400_not_a_crash(cities: Api) -> None:
    deep = "[" * 5000 + "]" * 5000
    response = cities.post(None, raw=b'{"query": "{ cities { id } }", "variables": {"a": ' + deep.encode() + b"}}")
    assert response.status_code == 400
    message = f"The request body is nested 5002 levels deep; the limit is {MAX_JSON_DEPTH}"
    assert _body(response)["errors"] == [{"message": message, "extensions": {"code": BAD_REQUEST}}]
    query = urlencode({"query": "{ cities { id } }", "variables": '{"a": ' + deep + "}"})
    response = cities.client.http.get(f"/graphql?{query}", headers=cities.headers)
    assert response.status_code == 400
    assert _body(response)["errors"][0]["message"].startswith("`variables` is nested 5001 levels deep")
    within: dict[str, Any] = {}
    for _ in range(MAX_JSON_DEPTH - 3):  # the body and `variables` hold it, and its innermost level
        within = {"not": within}
    assert cities.data("query ($w: CityWhereInput) { cities(where: $w) { id } }", {"w": within}) == {"cities": []}


def test_query_text_nested_thousands_deep_is_a_parse_or_validation_error(cities: Api) -> None:
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(2000))
    for query in [
        "{" + "a {" * 5000 + "b" + "}" * 5001,
        "{ cities(where: {match: {name: " + "[" * 5000 + "]" * 5000 + "}}) { id } }",
        "{ cities(where: " + "{not: " * 5000 + "{}" + "}" * 5000 + ") { id } }",
        "{ ...F0 } " + fragments + " fragment F2000 on Query { __typename }",
    ]:
        response = cities.post({"query": query}, accept=GRAPHQL_RESPONSE)
        assert response.status_code == 400, query[:50]
        [error] = _body(response)["errors"]
        assert error["extensions"]["code"] in (PARSE_FAILED, VALIDATION_FAILED), error


def test_missing_query_and_wrong_shapes_are_400s(cities: Api) -> None:
    for body, message in [
        ({}, "The request needs a `query` string"),
        ({"query": "  "}, "The request needs a `query` string"),
        ("{ cities { id } }", "The request body must be a JSON object with a `query` string"),
        ({"query": "{ cities { id } }", "extensions": 5}, "`extensions` must be a JSON object"),
        ({"query": "{ cities { id } }", "variables": [1]}, "`variables` must be a JSON object"),
        ({"query": "{ cities { id } }", "operationName": 5}, "`operationName` must be a string"),
    ]:
        response = cities.post(body)
        assert response.status_code == 400
        assert _body(response)["errors"][0]["message"] == message


def test_syntax_validation_and_variable_errors_are_200s_under_json_and_400s_under_graphql_response(
    cities: Api,
) -> None:
    for body, code in [
        ({"query": "{ cities { id "}, PARSE_FAILED),
        ({"query": "{ cities { nope } }"}, VALIDATION_FAILED),
        ({"query": "query ($n: Int) { cities(first: $n) { id } }", "variables": {"n": "x"}}, VALIDATION_FAILED),
    ]:
        for accept, status, media in [
            (None, 200, "application/json"),
            ("application/json", 200, "application/json"),
            ("*/*", 200, "application/json"),
            (GRAPHQL_RESPONSE, 400, GRAPHQL_RESPONSE),
            (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", 400, GRAPHQL_RESPONSE),
            (f"application/json, {GRAPHQL_RESPONSE};q=0.5", 200, "application/json"),
        ]:
            response = cities.post(body, accept=accept)
            assert (response.status_code, response.headers["Content-Type"]) == (status, media), (body, accept)
            result = _body(response)
            assert "data" not in result
            assert result["errors"][0]["extensions"]["code"] == code


def test_get_serves_the_explorer_to_browsers(cities: Api) -> None:
    response = cities.client.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"graphiql" in response.body.lower()


def test_get_with_query_executes_queries(cities: Api) -> None:
    cities.data(CREATE)
    response = cities.client.http.get("/graphql?" + urlencode({"query": "{ cities { name } }"}), headers=cities.headers)
    assert response.status_code == 200
    assert _body(response) == {"data": {"cities": [{"name": "NY"}]}}


def test_get_never_executes_mutations(cities: Api) -> None:
    with cities.calls() as calls:
        response = cities.client.http.get("/graphql?" + urlencode({"query": CREATE}), headers=cities.headers)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert "GET requests run queries only" in _body(response)["errors"][0]["message"]
    assert calls.total == 0
    assert cities.data("{ cities { id } }")["cities"] == []


def test_without_an_api_key_nothing_is_read_or_written(cities: Api) -> None:
    city_id = cities.data(CREATE)["createCity"]["data"]["id"]
    for query in [
        CREATE,
        "{ cities { id } }",
        f'{{ city(id: "{city_id}") {{ id }} }}',
        f'{{ node(id: "{city_id}") {{ id }} }}',
    ]:
        with cities.calls() as calls:
            result = cities.query(query, headers={})
        assert result["errors"][0]["extensions"]["code"] == PERMISSION_DENIED, query
        assert calls.total == 0, query
    assert len(cities.data("{ cities { id } }")["cities"]) == 1


def test_a_wrong_api_key_is_rejected_before_anything_runs(cities: Api) -> None:
    with cities.calls() as calls:
        response = cities.post({"query": CREATE}, headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert _body(response)["errors"][0]["extensions"]["code"] == PERMISSION_DENIED
    assert calls.total == 0
    assert cities.data("{ cities { id } }")["cities"] == []


def test_storage_failures_reveal_nothing_internal_but_are_logged(cities: Api, caplog: pytest.LogCaptureFixture) -> None:
    cities.service.tables.delete_all()
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        response = cities.post({"query": CREATE})
    assert any(r.exc_info and "ResourceNotFound" in repr(r.exc_info[1]) for r in caplog.records)
    text = response.body.decode()
    error = _body(response)["errors"][0]
    assert error == {
        "message": "Internal server error",
        "locations": [{"line": 1, "column": 12}],
        "path": ["createCity"],
        "extensions": {"code": INTERNAL_ERROR},
    }
    for leak in ["arn:", "Traceback", "botocore", "ResourceNotFound", "test-City", "pynamodb"]:
        assert leak not in text


def test_every_error_has_a_code_and_client_errors_are_not_logged(cities: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        for query in ["{", "{ x }", '{ city(id: "bad") { id } }', '{ cities(after: "bad") { id } }']:
            for error in cities.query(query)["errors"]:
                assert error["extensions"]["code"], error
    assert [r for r in caplog.records if r.name == LOGGER and r.exc_info] == []


def test_generated_fields_check_permissions_before_any_read(cities: Api) -> None:
    for query in [
        'mutation { deleteCity(input: {where: {id: "x"}}) { data { id } } }',
        "mutation { deleteManyCities(input: {where: {}}) { count } }",
        "{ exportData }",
        "mutation { importData(data: []) { data } }",
        'mutation { updateManyCities(input: {where: {}, data: {name: "x"}}) { count } }',
    ]:
        with cities.calls() as calls:
            result = cities.query(query, headers={})
        assert result["errors"][0]["extensions"]["code"] == PERMISSION_DENIED, query
        assert calls.total == 0
