"""DynamoDB's rules for ClientRequestToken, on a fake clock."""

from __future__ import annotations

import pytest

from tooling.local.request_tokens import WINDOW_SECONDS, IdempotentParameterMismatch, RequestTokens

REQUEST = {"TransactItems": [{"Put": {"TableName": "t", "Item": {"id": {"S": "1"}}}}]}
OTHER = {"TransactItems": [{"Put": {"TableName": "t", "Item": {"id": {"S": "2"}}}}]}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Applied:
    """Counts the times a request was applied; answers its number."""

    def __init__(self) -> None:
        self.times = 0

    def __call__(self) -> int:
        self.times += 1
        return self.times


def failing() -> int:
    raise RuntimeError("cancelled")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock: Clock) -> RequestTokens[int]:
    return RequestTokens(clock)


def test_the_same_request_resent_with_its_token_is_applied_once(tokens: RequestTokens[int], clock: Clock) -> None:
    applied = Applied()
    assert tokens.once("t1", REQUEST, applied) == 1
    clock.now += WINDOW_SECONDS - 1
    assert tokens.once("t1", dict(REQUEST), applied) == 1
    assert applied.times == 1


def test_another_request_with_a_used_token_is_refused(tokens: RequestTokens[int]) -> None:
    applied = Applied()
    tokens.once("t1", REQUEST, applied)
    with pytest.raises(IdempotentParameterMismatch):
        tokens.once("t1", OTHER, applied)
    assert applied.times == 1


def test_after_ten_minutes_a_token_is_new_again(tokens: RequestTokens[int], clock: Clock) -> None:
    applied = Applied()
    tokens.once("t1", REQUEST, applied)
    clock.now += WINDOW_SECONDS
    assert tokens.once("t1", OTHER, applied) == 2
    assert tokens.once("t1", OTHER, applied) == 2


def test_the_window_starts_when_the_first_request_completes(tokens: RequestTokens[int], clock: Clock) -> None:
    def slow() -> int:
        clock.now += 30
        return 1

    tokens.once("t1", REQUEST, slow)
    clock.now += WINDOW_SECONDS - 1
    with pytest.raises(IdempotentParameterMismatch):
        tokens.once("t1", OTHER, Applied())


@pytest.mark.parametrize("retry", [REQUEST, OTHER])
def test_a_request_that_failed_is_applied_afresh(tokens: RequestTokens[int], retry: dict[str, object]) -> None:
    with pytest.raises(RuntimeError):
        tokens.once("t1", REQUEST, failing)
    applied = Applied()
    assert tokens.once("t1", retry, applied) == 1


def test_each_token_is_its_own(tokens: RequestTokens[int]) -> None:
    applied = Applied()
    tokens.once("t1", REQUEST, applied)
    assert tokens.once("t2", REQUEST, applied) == 2


def test_expired_tokens_are_forgotten_in_order(tokens: RequestTokens[int], clock: Clock) -> None:
    tokens.once("old", REQUEST, Applied())
    clock.now += WINDOW_SECONDS / 2
    tokens.once("newer", REQUEST, Applied())
    clock.now += WINDOW_SECONDS / 2
    # "old" has expired, "newer" has not.
    assert tokens.once("old", OTHER, Applied()) == 1
    with pytest.raises(IdempotentParameterMismatch):
        tokens.once("newer", OTHER, Applied())


def test_a_request_with_binary_values_is_told_apart_by_them(tokens: RequestTokens[int]) -> None:
    # moto parses a binary value into bytes.
    def with_binary(raw: bytes) -> dict[str, object]:
        return {"TransactItems": [{"Put": {"TableName": "t", "Item": {"id": {"S": "1"}, "b": {"B": raw}}}}]}

    applied = Applied()
    assert tokens.once("t1", with_binary(b"\x00\xff"), applied) == 1
    assert tokens.once("t1", with_binary(b"\x00\xff"), applied) == 1
    with pytest.raises(IdempotentParameterMismatch):
        tokens.once("t1", with_binary(b"\x00\xfe"), applied)
    assert applied.times == 1
