"""Uniqueness under concurrency: many clients racing on one value over real HTTP."""

from __future__ import annotations

import json
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.errors import INVALID_RECORD
from tests.conftest import ADMIN, Api

THREADS = 20


@pytest.fixture
def url(cities_url: str) -> str:
    return cities_url


def _post(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", **ADMIN},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


@pytest.mark.slow
def test_twenty_racing_creates_of_one_email_leave_exactly_one_user(cities: Api, url: str) -> None:
    query = "mutation ($data: UserCreateInput!) { createUser(input: {data: $data}) { data { id } } }"
    barrier = threading.Barrier(THREADS)

    def create(n: int) -> dict[str, Any]:
        barrier.wait()
        return _post(url, query, {"data": {"email": "race@example.com", "displayname": f"user{n}"}})

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(create, range(THREADS)))
    successes = [r for r in results if "errors" not in r]
    failures = [r for r in results if "errors" in r]
    assert len(successes) == 1
    assert len(failures) == THREADS - 1
    assert {f["errors"][0]["extensions"]["code"] for f in failures} == {INVALID_RECORD}
    users = cities.data("{ users { id displayname } }")["users"]
    assert [u["id"] for u in users] == [successes[0]["data"]["createUser"]["data"]["id"]]
    # The losers left no guard behind: their displaynames are still free.
    loser = next(u for u in (f"user{n}" for n in range(THREADS)) if u != users[0]["displayname"])
    again = cities.query(query, {"data": {"email": "other@example.com", "displayname": loser}})
    assert "errors" not in again
