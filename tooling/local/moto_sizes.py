"""Sizes as moto measures them (Item.size, and the check of LimitedSizeDict), taken faster.

DynamoType.size tests a value against four kinds before it measures a string, and most of an
item's values are strings and numbers: those are measured here directly, by the same branches;
anything else by moto. An item is measured at each write (the size check and the query views'
largest item) and at each Scan (its 1 MB page), so this is paid for every item a bulk write touches.

The patch relies on moto's code as it is in the pinned version: `PINNED` names what moto_patch
checks before applying it.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.utilities import bytesize

PINNED: tuple[tuple[Any, str], ...] = (
    (DynamoType.size, "f7c111fca25b4c5ecea8b4d570d210aef1dcf5b9c52fa3250a27f1bfdd85966b"),
    (Item.size, "9bc6ada96d33365c0a0abcb4faf534e1bdc7bfe0af0ef0c1c6671eccd5b80f45"),
)


def value_size(part: Any) -> int:
    """An attribute's name or value, as LimitedSizeDict's check measures it (DynamoType.size for a
    value)."""
    if type(part) is not DynamoType:
        return bytesize(str(part))
    if part.type == "S" and type(part.value) is str:
        return bytesize(part.value)
    if part.type == "N":
        return len(str(part.value))
    return part.size()


def item_size(item: Item) -> int:
    """Item.size: each attribute's name and value."""
    total = 0
    for name, value in item.attrs.items():
        if type(name) is not str or type(value) is not DynamoType:
            return Item.size(item)  # moto's own, whatever the item's class makes of size
        total += bytesize(name) + value_size(value)
    return total
