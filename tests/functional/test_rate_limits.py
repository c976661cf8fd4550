"""Rate limits per caller through the API: concurrent callers held to the limit, another caller
untouched, `429` with `Retry-After`, the round trips the limiter adds, and the bound on what
instances sharing one count may admit."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.ratelimit.answer import TOO_MANY_REQUESTS
from chalicelib.ratelimit.limiter import Limiter, RateLimits
from chalicelib.ratelimit.windows import WindowCounts
from chalicelib.service import Service
from chalicelib.settings import Settings
from tests.conftest import ADMIN, Api, served
from tests.functional.helpers import sign_up

LIMITS = RateLimits(requests=30, api_key_requests=50, window_seconds=3600, sync_every=5)
# Inside one window for the whole test: no test may cross into the next one.
NOW = 1_000_000 * 3600.0 + 10
QUERY = {"query": "{ __typename }"}


def fresh_limiter(service: Service, limits: RateLimits = LIMITS) -> Limiter:
    """A new limiter on the service (services are shared between tests; their limiters' memory is not)."""
    assert service.limiter is not None
    limiter = Limiter(limits, service.limiter.counts, clock=lambda: NOW)
    service.limiter = limiter
    return limiter


@pytest.fixture
def limited(make_api: Callable[..., Api]) -> Api:
    api = make_api(rate_limits=LIMITS)
    fresh_limiter(api.service)
    return api


def post(url: str, body: Any, auth: str | None = None) -> tuple[int, Any, dict[str, str]]:
    headers = {"Content-Type": "application/json", **({"Authorization": auth} if auth else {})}
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_concurrent_requests_of_one_caller_are_held_to_its_limit_and_another_caller_is_not(limited: Api) -> None:
    alice, bob = sign_up(limited, "alice@example.com"), sign_up(limited, "bob@example.com")
    fresh_limiter(limited.service)
    with served(limited) as url, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: post(url, QUERY, alice.auth), range(2 * LIMITS.requests)))
        statuses = Counter(status for status, _, _ in answers)
        # One instance holds the limit exactly: its decisions count every request it admitted.
        assert statuses == {200: LIMITS.requests, 429: LIMITS.requests}
        refused = next(answer for answer in answers if answer[0] == 429)
        assert refused[1]["errors"][0]["extensions"]["code"] == TOO_MANY_REQUESTS
        retry_after = int(refused[2]["Retry-After"])
        assert 1 <= retry_after <= LIMITS.window_seconds
        # Another caller has its own count.
        assert post(url, QUERY, bob.auth)[0] == 200


def test_anonymous_callers_count_by_address_and_api_keys_have_their_own_limit(limited: Api) -> None:
    with served(limited) as url:
        anonymous = [post(url, QUERY)[0] for _ in range(LIMITS.requests + 1)]
        assert anonymous.count(200) == LIMITS.requests
        assert anonymous[-1] == 429
        # A session minted now is counted by the address it came from: refused too.
        assert post(url, {"query": "{ currentSession { id } }"})[0] == 429
        keyed = [post(url, QUERY, ADMIN["Authorization"])[0] for _ in range(LIMITS.api_key_requests + 1)]
        assert keyed.count(200) == LIMITS.api_key_requests
        assert keyed[-1] == 429


def test_each_entry_of_a_batch_counts_and_a_refused_one_says_when_to_retry(limited: Api) -> None:
    fresh_limiter(limited.service, RateLimits(requests=3, window_seconds=3600, sync_every=5))
    with served(limited) as url:
        status, body, headers = post(url, [QUERY] * 5)
    assert status == 200
    entries: list[dict[str, Any]] = body
    codes = [(entry.get("errors") or [{}])[0].get("extensions", {}).get("code") for entry in entries]
    assert codes == [None, None, None, TOO_MANY_REQUESTS, TOO_MANY_REQUESTS]
    assert int(headers["Retry-After"]) >= 1


def test_the_shared_count_is_updated_once_per_batch_of_requests_not_per_request(limited: Api) -> None:
    with limited.calls() as log:
        for _ in range(20):
            assert limited.post(QUERY).status_code == 200
    # 20 requests of an API key, far from its limit: an UpdateItem every 5th, nothing else.
    assert log.counts == {"UpdateItem": 20 // LIMITS.sync_every}


def test_instances_sharing_one_count_admit_at_most_the_stated_bound_past_the_limit(limited: Api) -> None:
    counts = WindowCounts(limited.service.tables.connection.client, limited.service.limiter.counts.table_name, 3600)  # type: ignore[union-attr]
    instances = [Limiter(LIMITS, counts, clock=lambda: NOW) for _ in range(3)]
    admitted = Counter[bool]()
    lock = threading.Lock()

    def send(index: int) -> None:
        decision = instances[index % len(instances)].admit("session:shared")
        with lock:
            admitted[decision.admitted] += 1

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(send, range(4 * LIMITS.requests)))
    bound = LIMITS.requests + len(instances) * (LIMITS.sync_every - 1)
    assert LIMITS.requests <= admitted[True] <= bound
    # Once the shared count is past the limit, every instance refuses from memory.
    assert not any(instance.admit("session:shared").admitted for instance in instances)


def test_limits_come_from_the_environment() -> None:
    env = {
        "RATE_LIMIT": "5",
        "RATE_LIMIT_API_KEY": "7",
        "RATE_LIMIT_WINDOW_SECONDS": "10",
        "RATE_LIMIT_SYNC_EVERY": "2",
    }
    assert Settings.from_environ(env).rate_limits == RateLimits(5, 7, 10, 2)
    assert Settings.from_environ({}).rate_limits == RateLimits()
    assert Settings.from_environ({"RATE_LIMIT": "0"}).rate_limits is None
