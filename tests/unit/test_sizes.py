"""Item sizes by DynamoDB's rules, and DynamoDB's refusal of an item for its size recognised."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.store.sizes import MAX_ITEM_BYTES, ItemTooLarge, check_item, is_refusal, item_size


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
