"""One retry policy for every DynamoDB call, through the API: a call DynamoDB declines is tried
again and the request succeeds. DynamoDB's answers are faked where botocore's retry loop sees them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.consistency import check
from tests.conftest import Api
from tests.dynamodb_answers import Declining, answering, recorded_waits

CREATE_CITY = "mutation ($data: CityCreateInput!) { createCity(input: {data: $data}) { data { id name } } }"
CITY = "query ($id: ID!) { city(id: $id) { id name } }"
WITH_USERS = {"name": "t", "user": {"create": [{"email": "t@x.co"}, {"email": "t2@x.co"}]}}


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
