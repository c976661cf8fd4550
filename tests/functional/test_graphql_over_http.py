"""GraphQL over HTTP beyond one JSON request: body types, batches, CORS, and the routes beside
`/graphql` (health, `/`, the favicon)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.errors import BAD_REQUEST, RESPONSE_TOO_LARGE, UNAVAILABLE, VALIDATION_FAILED
from chalicelib.http import batch
from chalicelib.http.cors import Cors
from tests.conftest import CITIES_SCHEMA, DEFAULT_SCHEMA, GRAPHQL_RESPONSE, Api

CREATE = 'mutation { createCity(input: {data: {name: "NY"}}) { data { id } } }'
ORIGIN = "http://app.example.test"


def _body(response: Any) -> Any:
    return json.loads(response.body)


def _post(api: Api, body: bytes, content_type: str | None, accept: str | None = None) -> Any:
    headers = dict(api.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    return api.client.http.post("/graphql", headers=headers, body=body)


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data; boundary=x",
        "application/graphql",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    ],
)
def test_unsupported_bodies_are_415s_in_graphqls_error_format(cities: Api, content_type: str) -> None:
    with cities.calls() as calls:
        response = _post(cities, b"{ cities { id } }", content_type)
    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/json"
    [error] = _body(response)["errors"]
    assert error["extensions"]["code"] == BAD_REQUEST
    assert "Content-Type" in error["message"] or "charset" in error["message"]
    assert calls.total == 0


def test_a_post_without_content_type_or_body_is_refused(cities: Api) -> None:
    missing_type = cities.client.http.post(
        "/graphql", headers=cities.headers, body=json.dumps({"query": "{ __typename }"}).encode()
    )
    assert missing_type.status_code == 415
    for accept in (None, GRAPHQL_RESPONSE):
        empty = _post(cities, b"", "application/json", accept)
        assert empty.status_code == 400
        assert _body(empty)["errors"][0]["extensions"]["code"] == BAD_REQUEST


def test_json_with_a_charset_is_read(cities: Api) -> None:
    response = _post(cities, json.dumps({"query": "{ __typename }"}).encode(), "application/json; charset=utf-8")
    assert _body(response) == {"data": {"__typename": "Query"}}


def test_request_errors_stay_4xx_under_both_media_types(cities: Api) -> None:
    for accept in (None, "application/json", GRAPHQL_RESPONSE):
        assert _post(cities, b"{not json", "application/json", accept).status_code == 400
        assert _post(cities, json.dumps({"qeury": "{ x }"}).encode(), "application/json", accept).status_code == 400
        wrong_key = cities.post(
            {"query": "{ cities { id } }"}, headers={"Authorization": "Bearer wrong"}, accept=accept
        )
        assert wrong_key.status_code == 401


def test_a_result_that_ran_is_a_200_under_graphql_response(cities: Api) -> None:
    response = cities.post({"query": '{ city(id: "bad") { id } }'}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == GRAPHQL_RESPONSE
    assert _body(response)["data"] == {"city": None}


def test_a_batch_runs_each_request_in_order(cities: Api) -> None:
    response = cities.post(
        [
            {"query": CREATE},
            {"query": "query Names { cities { name } }", "operationName": "Names"},
            {"query": "{ cities { nope } }"},
            {"notquery": 1},
        ]
    )
    assert response.status_code == 200
    created, names, invalid, malformed = _body(response)
    assert created["data"]["createCity"]["data"]["id"]
    assert names == {"data": {"cities": [{"name": "NY"}]}}
    assert invalid["errors"][0]["extensions"]["code"] == VALIDATION_FAILED
    assert malformed["errors"][0]["message"] == "The request needs a `query` string"


def test_a_batch_that_ran_nothing_is_a_4xx_under_graphql_response(cities: Api) -> None:
    response = cities.post([{"query": "{ cities { nope } }"}, {"query": "{"}], accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert len(_body(response)) == 2
    assert cities.post([{"query": "{ cities { nope } }"}]).status_code == 200  # application/json


def test_a_batch_past_its_size_or_empty_is_refused_whole(make_api: Callable[..., Api]) -> None:
    cities = make_api(CITIES_SCHEMA, max_batch_size=3)
    with cities.calls() as calls:
        response = cities.post([{"query": CREATE}] * 4)
    assert response.status_code == 400
    assert _body(response)["errors"][0]["message"] == "The batch has 4 requests; the limit is 3"
    assert calls.total == 0
    assert _body(cities.post([]))["errors"][0]["message"] == "The batch is empty; send at least one request"


def test_the_cost_limit_holds_over_the_whole_batch(make_api: Callable[..., Api]) -> None:
    cities = make_api(CITIES_SCHEMA, max_query_cost=50)
    query = "{ cities(first: 10) { id name } }"  # 1 + 10 * 2 = 21 each
    assert all("data" in result for result in _body(cities.post([{"query": query}] * 2)))
    with cities.calls() as calls:
        response = cities.post([{"query": query}] * 3)
    assert calls.total == 0
    assert response.status_code == 200  # application/json: a validation failure of each entry
    message = "The batch has an estimated cost of 63; the limit is 50"
    assert _body(response) == [{"errors": [{"message": message, "extensions": {"code": VALIDATION_FAILED}}]}] * 3
    assert cities.post([{"query": query}] * 3, accept=GRAPHQL_RESPONSE).status_code == 400


def test_a_batch_shares_one_deadline(make_api: Callable[..., Api], monkeypatch: pytest.MonkeyPatch) -> None:
    cities = make_api(CITIES_SCHEMA, deadline_seconds=10)
    clock = [1000.0]
    monkeypatch.setattr(batch, "monotonic", lambda: clock[0])
    real = cities.service.handle

    def slow(*args: Any, **kwargs: Any) -> Any:
        clock[0] += 6  # each request takes 6 of the batch's 10 seconds
        return real(*args, **kwargs)

    monkeypatch.setattr(cities.service, "handle", slow)
    results = _body(cities.post([{"query": "{ __typename }"}] * 3))
    assert results[0] == results[1] == {"data": {"__typename": "Query"}}
    assert results[2]["errors"][0]["extensions"]["code"] == UNAVAILABLE


def test_later_requests_of_a_batch_run_under_the_token_an_earlier_one_set(api: Api) -> None:
    sign_up = 'mutation { signUp(email: "b@example.com", password: "long enough") { success } }'
    response = api.post(
        [
            {"query": "{ currentSession { id state } }"},
            {"query": sign_up},
            {"query": "{ currentSession { id state user { email } } }"},
            {"query": "mutation { logOut { success } }"},
            {"query": "{ currentSession { state user { email } } }"},
        ],
        headers={},
    )
    first, signed, after, logged_out, last = _body(response)
    assert first["data"]["currentSession"]["state"] == {"created": "loggedOut"}
    assert signed["data"]["signUp"]["success"] is True
    # The same session, now logged in: signUp ran under the token the first request created.
    assert after["data"]["currentSession"]["id"] == first["data"]["currentSession"]["id"]
    assert after["data"]["currentSession"]["user"] == {"email": "b@example.com"}
    assert logged_out["data"]["logOut"]["success"] is True
    assert last["data"]["currentSession"] == {"state": {"created": "loggedOut"}, "user": None}
    # The answer carries the last token: the one logOut set, which is the session's now.
    token = response.headers["x-set-authorization"]
    again = api.query("{ currentSession { id } }", headers={"Authorization": token})
    assert again["data"]["currentSession"]["id"] == first["data"]["currentSession"]["id"]


def test_results_past_lambdas_response_limit_are_left_out(cities: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        cities.data(CREATE)
    monkeypatch.setattr(batch, "LAMBDA_RESPONSE_BYTES", batch.ENVELOPE_BYTES + 300)
    query = {"query": "{ cities { id name } }"}
    first, second = _body(cities.post([query, query]))
    assert len(first["data"]["cities"]) == 3
    assert second["errors"][0]["extensions"]["code"] == RESPONSE_TOO_LARGE


def test_get_never_takes_a_batch(cities: Api) -> None:
    response = cities.client.http.get('/graphql?query=[{"query":"{ cities { id } }"}]', headers=cities.headers)
    assert response.status_code in (200, 400)  # a document that does not parse, never a batch
    assert isinstance(_body(response), dict)


def test_preflight_lets_gadgets_and_apollos_browser_clients_through(cities: Api) -> None:
    asked = "authorization,content-type,x-gadget-environment,apollographql-client-name,apollographql-client-version"
    response = cities.client.http.request(
        "OPTIONS",
        "/graphql",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": asked},
    )
    assert response.status_code == 204
    allowed = {h.strip() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert set(asked.split(",")) <= allowed
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    answer = cities.post({"query": "{ __typename }"}, headers={**cities.headers, "Origin": ORIGIN})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    exposed = answer.headers["Access-Control-Expose-Headers"]
    assert "x-set-authorization" in exposed
    assert "x-request-id" in exposed


def test_cors_origins_and_headers_come_from_the_stage(make_api: Callable[..., Api]) -> None:
    cors = Cors.from_lists(f"{ORIGIN}, https://admin.example.test/", "authorization, content-type")
    cities = make_api(CITIES_SCHEMA, cors=cors)

    def preflight(origin: str) -> Any:
        return cities.client.http.request(
            "OPTIONS",
            "/graphql",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )

    allowed = preflight("https://admin.example.test")
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://admin.example.test"
    assert allowed.headers["Access-Control-Allow-Headers"] == "authorization, content-type"
    assert allowed.headers["Vary"] == "Origin"
    refused = preflight("https://evil.example.test")
    assert "Access-Control-Allow-Origin" not in refused.headers
    answer = cities.post({"query": "{ __typename }"}, headers={**cities.headers, "Origin": ORIGIN})
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_cors_settings_from_the_environment() -> None:
    assert Cors.from_lists(None, None) == Cors()
    echoing = Cors.from_lists("*", "*")
    assert echoing.preflight(ORIGIN, "Authorization, X-Custom")["Access-Control-Allow-Headers"] == (
        "authorization, x-custom"
    )


def test_every_graphql_answer_has_a_request_id(cities: Api) -> None:
    ids = {cities.post({"query": "{ __typename }"}).headers["x-request-id"] for _ in range(2)}
    ids.add(_post(cities, b"x", "text/plain").headers["x-request-id"])
    assert len(ids) == 3


def test_health_reads_nothing(make_api: Callable[..., Api]) -> None:
    api = make_api(DEFAULT_SCHEMA)
    with api.calls() as calls:
        response = api.client.http.get("/health")
    assert response.status_code == 200
    assert _body(response) == {"status": "ok", "stage": "test"}
    assert calls.total == 0


def test_the_root_and_the_favicon_answer_sensibly(cities: Api) -> None:
    root = cities.client.http.get("/")
    assert root.status_code == 200
    assert b"/graphql" in root.body
    assert cities.client.http.get("/favicon.ico").status_code == 204
