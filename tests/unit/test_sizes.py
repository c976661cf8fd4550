"""Item sizes by DynamoDB's rules, and DynamoDB's refusal of an item for its size recognised."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.store.sizes import (
    MAX_ITEM_BYTES,
    ItemTooLarge,
    check_item,
    is_refusal,
    item_size,
    significant_digits,
)


@pytest.mark.parametrize(
    ("attributes", "size"),
    [
        ({}, 0),
        ({"id": {"S": "abc"}}, 2 + 3),
        ({"é": {"S": "€"}}, 2 + 3),
        ({"n": {"N": "12345"}}, 1 + 3 + 1),
        ({"n": {"N": "1000"}}, 1 + 1 + 1),
        ({"n": {"N": "0.00120"}}, 1 + 1 + 1),
        ({"n": {"N": "1" * 38}}, 1 + 19 + 1),
        ({"b": {"BOOL": True}, "z": {"NULL": True}}, 2 + 2),
        ({"l": {"L": []}}, 1 + 3),
        ({"l": {"L": [{"S": "ab"}, {"NULL": True}]}}, 1 + 3 + (1 + 2) + (1 + 1)),
        ({"m": {"M": {"key": {"N": "7"}}}}, 1 + 3 + 1 + 3 + 2),
        ({"s": {"SS": ["a", "bc"]}}, 1 + 3),
    ],
)
def test_sizes_follow_dynamodbs_rules(attributes: dict[str, Any], size: int) -> None:
    assert item_size(attributes) == size


def test_an_item_past_the_limit_is_refused_with_its_size() -> None:
    check_item("City", {"id": {"S": "x" * (MAX_ITEM_BYTES - 2)}})
    with pytest.raises(ItemTooLarge, match=r"a City record larger \(409,601 bytes\) than the 409,600 bytes"):
        check_item("City", {"id": {"S": "x" * (MAX_ITEM_BYTES - 1)}})


def test_dynamodbs_refusals_are_recognised() -> None:
    assert is_refusal("Item size has exceeded the maximum allowed size")
    assert is_refusal("Item size to update has exceeded the maximum allowed size")
    assert not is_refusal("The conditional request failed")
    assert not is_refusal(None)


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**45), 10**45), st.integers(0, 3), st.booleans())
def test_an_integers_size_is_counted_from_its_digits_as_from_its_decimal(number: int, zeros: int, plus: bool) -> None:
    """Integers are measured from their text (no Decimal built): leading zeros, signs and all,
    the size is the one Decimal's digits give."""
    text = ("-" if number < 0 else "+" if plus else "") + "0" * zeros + str(abs(number))
    digits = significant_digits(Decimal(text))
    assert item_size({"n": {"N": text}}) == 1 + (digits + 1) // 2 + 1
