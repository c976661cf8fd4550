"""The store's retry policy, on a fake clock: its waits, its cap on tries, its deadline."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from chalicelib.store.backoff import Backoff, GaveUp, deadline
from chalicelib.store.tables import LOCAL_READ_TIMEOUT_SECONDS, StoreConfig


class Clock:
    """A monotonic clock that moves only when slept on, or when a try is said to take time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def policy(clock: Clock, **values: Any) -> Backoff:
    return Backoff(sleep=clock.sleep, clock=clock, **values)


def tries_until_given_up(backoff: Backoff, clock: Clock, call_seconds: float) -> int:
    """Try, each try failing after `call_seconds`, until the policy gives up: the tries made."""
    tries = 0
    while True:
        clock.now += call_seconds
        tries += 1
        try:
            backoff.wait(tries, "GetItem")
        except GaveUp:
            return tries


def test_each_wait_is_jittered_below_its_exponential_cap() -> None:
    random.seed(7)
    clock = Clock()
    backoff = policy(clock, base_seconds=0.05, cap_seconds=2.0, attempts=100)
    for tries in range(1, 9):
        bound = min(2.0, 0.05 * 2**tries)
        samples = []
        for _ in range(200):
            backoff.wait(tries, "GetItem")
            samples.append(clock.waits[-1])
        assert all(0 <= s <= bound for s in samples)
        # Full jitter: the waits spread over the whole range, not bunched at its top.
        assert min(samples) < bound / 4
        assert max(samples) > bound * 3 / 4


def test_tries_stop_at_the_attempts_cap() -> None:
    clock = Clock()
    backoff = policy(clock, attempts=5)
    assert tries_until_given_up(backoff, clock, call_seconds=0.0) == 5
    assert len(clock.waits) == 4
    with pytest.raises(GaveUp, match="GetItem: declined 5 times"):
        backoff.wait(5, "GetItem")


def test_without_a_deadline_only_the_cap_bounds_the_tries() -> None:
    clock = Clock()
    assert tries_until_given_up(policy(clock, attempts=8, call_seconds=4.0), clock, call_seconds=4.0) == 8


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize(("seconds", "call_seconds"), [(25.0, 4.0), (25.0, 7.0), (2.0, 0.3), (1.0, 0.9), (5.0, 0.0)])
def test_waits_and_tries_at_their_slowest_never_pass_the_deadline(
    seed: int, seconds: float, call_seconds: float
) -> None:
    random.seed(seed)
    clock = Clock()
    backoff = policy(clock, attempts=1000, call_seconds=call_seconds)
    start = clock.now
    with deadline(start + seconds):
        tries = tries_until_given_up(backoff, clock, call_seconds)
    assert clock.now <= start + seconds
    assert tries >= 1


def test_the_default_timeouts_fit_several_tries_in_the_default_deadline() -> None:
    """The arithmetic of the policy's docstring: 4 s tries timing out every time, a 25 s deadline."""
    clock = Clock()
    backoff = policy(clock, call_seconds=4.0)
    random.seed(0)
    with deadline(clock.now + 25.0):
        tries = tries_until_given_up(backoff, clock, call_seconds=4.0)
    assert 5 <= tries <= 6


def test_the_deadline_is_the_request_s_own() -> None:
    clock = Clock()
    backoff = policy(clock, call_seconds=1.0)
    with deadline(clock.now + 0.5), pytest.raises(GaveUp, match="deadline"):
        backoff.wait(1, "GetItem")
    with deadline(None):
        backoff.wait(1, "GetItem")
    backoff.wait(1, "GetItem")
    assert len(clock.waits) == 2


def test_a_local_endpoint_reads_slowly_yet_leaves_room_for_retries() -> None:
    """The embedded DynamoDB gets a long read timeout for its slow full pages; retries still plan on
    the service's tries, so a request against it can retry inside its 25-second deadline."""
    config = StoreConfig.at_endpoint("p-", "us-east-1", "http://127.0.0.1:1")
    assert config.read_timeout_seconds == LOCAL_READ_TIMEOUT_SECONDS
    assert config.try_seconds == StoreConfig("p-", "us-east-1").try_seconds
    policy = Backoff(call_seconds=config.try_seconds, sleep=lambda _: None)
    with deadline(time.monotonic() + 25):
        policy.wait(1, "GetItem")  # does not give up
