"""One retry policy for every DynamoDB call, through the API: a call DynamoDB declines is tried
again and the request succeeds; one it keeps declining ends as GGT_UNAVAILABLE, within the
request's deadline. DynamoDB's answers are faked where botocore's retry loop sees them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib import errors
from chalicelib.store.tables import StoreConfig
from tests.conftest import CITIES_SCHEMA, Api
from tests.dynamodb_answers import Declining, LosingFirstReply, answering, recorded_waits
from tooling.consistency import check
from tooling.local.dynamodb import LocalDynamoDB

CREATE_CITY = "mutation ($data: CityCreateInput!) { createCity(input: {data: $data}) { data { id name } } }"
CITY = "query ($id: ID!) { city(id: $id) { id name } }"
WITH_USERS = {"name": "t", "user": {"create": [{"email": "t@x.co"}, {"email": "t2@x.co"}]}}
CONFLICT = {"CancellationReasons": [{"Code": "TransactionConflict"}]}
DEADLINE_SECONDS = 3.0


def city_names(api: Api) -> list[str]:
    return sorted(c["name"] for c in api.data("{ cities { name } }")["cities"])


def test_a_throttled_get_item_is_retried_and_the_request_succeeds(cities: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    waits = recorded_waits(cities, monkeypatch)
    city_id = cities.data(CREATE_CITY, {"data": {"name": "NY"}})["createCity"]["data"]["id"]
    declining = Declining(frozenset({"GetItem"}), times=2)
    with answering(cities, declining):
        found = cities.data(CITY, {"id": city_id})
    assert found == {"city": {"id": city_id, "name": "NY"}}
    assert declining.sent == {"GetItem": 3}
    assert len(waits) == 2


@pytest.mark.parametrize(("operation", "data"), [("PutItem", {"name": "p"}), ("TransactWriteItems", WITH_USERS)])
def test_a_throttled_write_is_retried_and_lands_once(
    cities: Api, monkeypatch: pytest.MonkeyPatch, operation: str, data: dict[str, Any]
) -> None:
    recorded_waits(cities, monkeypatch)
    declining = Declining(frozenset({operation}), "ThrottlingException", times=2)
    with answering(cities, declining):
        cities.data(CREATE_CITY, {"data": data})
    assert declining.sent == {operation: 3}
    assert city_names(cities) == [data["name"]]
    assert list(check(cities.service.store)) == []


def test_a_resent_transaction_carries_its_first_token(cities: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies TransactWriteItems once per ClientRequestToken: a resend whose first
    sending landed (its answer lost) must carry the same token; another mutation, its own."""
    recorded_waits(cities, monkeypatch)
    declining = Declining(frozenset({"TransactWriteItems"}), "InternalServerError", times=1)
    with answering(cities, declining):
        cities.data(CREATE_CITY, {"data": WITH_USERS})
        cities.data(CREATE_CITY, {"data": {**WITH_USERS, "user": {"create": [{"email": "u@x.co"}]}}})
    tokens = [json.loads(body)["ClientRequestToken"] for body in declining.bodies]
    assert len(tokens) == 3
    assert tokens[0] == tokens[1] != tokens[2]


@pytest.fixture
def short(make_api: Callable[..., Api], dynamodb: LocalDynamoDB, monkeypatch: pytest.MonkeyPatch) -> Api:
    """The cities API with a short deadline and short timeouts (a try takes 1.5 s at most), and no
    cap on tries: only the deadline ends the retries."""
    store = StoreConfig(
        table_prefix="test-",
        region="us-east-1",
        endpoint_url=dynamodb.url,
        connect_timeout_seconds=0.5,
        read_timeout_seconds=1.0,
    )
    api = make_api(CITIES_SCHEMA, deadline_seconds=DEADLINE_SECONDS, store=store)
    monkeypatch.setattr(api.service.store.backoff, "attempts", 10_000)
    return api


def timed(request: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    result = request()
    return result, time.monotonic() - started


def test_a_dynamodb_that_keeps_throttling_ends_the_request_unavailable_by_its_deadline(short: Api) -> None:
    city_id = short.data(CREATE_CITY, {"data": {"name": "NY"}})["createCity"]["data"]["id"]
    declining = Declining(frozenset({"GetItem"}))
    with answering(short, declining):
        result, seconds = timed(lambda: short.query(CITY, {"id": city_id}))
    assert result["data"] == {"city": None}
    assert [e["extensions"]["code"] for e in result["errors"]] == [errors.UNAVAILABLE]
    assert declining.sent["GetItem"] >= 2
    # Generous slack for a busy machine: what matters is that it ended, and well before API Gateway's cut.
    assert seconds < DEADLINE_SECONDS + 10


def test_a_transaction_conflict_repeated_until_the_deadline_is_unavailable(short: Api) -> None:
    """The mutation's re-planning after a cancelled transaction waits under the same policy."""
    declining = Declining(frozenset({"TransactWriteItems"}), "TransactionCanceledException", fields=CONFLICT)
    with answering(short, declining):
        result, seconds = timed(lambda: short.query(CREATE_CITY, {"data": WITH_USERS}))
    assert result["data"] == {"createCity": None}
    assert [e["extensions"]["code"] for e in result["errors"]] == [errors.UNAVAILABLE]
    assert declining.sent["TransactWriteItems"] >= 2
    assert seconds < DEADLINE_SECONDS + 10
    assert city_names(short) == []


def test_a_session_lookup_that_gives_up_is_unavailable(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session is read before GraphQL runs: giving up there is a 503, still GGT_UNAVAILABLE."""
    recorded_waits(api, monkeypatch)
    response = api.post({"query": "{ currentSession { id } }"}, headers={})
    token = response.headers["x-set-authorization"]
    declining = Declining(frozenset({"GetItem"}))
    with answering(api, declining):
        response = api.post({"query": "{ currentSession { id } }"}, headers={"Authorization": token})
    assert response.status_code == 503
    assert [e["extensions"]["code"] for e in json.loads(response.body)["errors"]] == [errors.UNAVAILABLE]
    assert declining.sent["GetItem"] == api.service.store.backoff.attempts


@pytest.mark.parametrize(
    ("operation", "data"),
    [("PutItem", {"name": "lone"}), ("TransactWriteItems", WITH_USERS)],
    ids=["put", "transaction"],
)
def test_a_write_whose_reply_is_lost_succeeds_and_lands_once(
    cities: Api, monkeypatch: pytest.MonkeyPatch, operation: str, data: dict[str, Any]
) -> None:
    recorded_waits(cities, monkeypatch)
    lose = LosingFirstReply(operation)
    with answering(cities, lose):
        created = cities.data(CREATE_CITY, {"data": data})["createCity"]["data"]
    assert lose.lost == 1
    assert created["name"] == data["name"]
    assert city_names(cities) == [data["name"]]
    users = cities.data("{ users { email address { id } } }")["users"]
    assert sorted(u["email"] for u in users) == sorted(u["email"] for u in data.get("user", {}).get("create", []))
    assert all(u["address"]["id"] == created["id"] for u in users)
    guards = [guard.key for guard in cities.service.tables.guard.scan()]
    assert len(guards) == len(users)
    assert list(check(cities.service.store)) == []


def test_a_table_whose_creation_answer_was_lost_is_created_once(cities: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The resent CreateTable finds the table the first one made: set-up goes on, as on a busy machine."""
    recorded_waits(cities, monkeypatch)
    tables = cities.service.tables
    tables.guard.delete_table()
    lose = LosingFirstReply("CreateTable")
    with answering(cities, lose):
        tables.create_all()
    assert lose.lost == 1
    assert tables.guard.exists()
    cities.data(CREATE_CITY, {"data": WITH_USERS})
    assert len(list(tables.guard.scan())) == 2
