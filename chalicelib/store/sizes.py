"""Item sizes as DynamoDB counts them, and its limits of 400 KB an item and 2,048 bytes a
partition key.

A write past the limit is the caller's doing, not an outage, and is reported as such: a whole new
item is measured before it is sent; an update, whose result depends on what is stored, is sent,
and DynamoDB's refusal of it is recognised. A key is measured before it is written or asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

MAX_ITEM_BYTES = 400 * 1024
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
# DynamoDB's words for an item past the limit: "Item size has exceeded the maximum allowed size",
# "Item size to update has exceeded the maximum allowed size".
_REFUSAL = ("Item size", "exceeded the maximum allowed size")

AttributeValue = Mapping[str, Any]


class ItemTooLarge(Exception):
    """A write would make an item larger than DynamoDB stores: one of `model` (when known), of
    `size` bytes (when measured)."""

    def __init__(self, model: str | None = None, size: int | None = None) -> None:
        record = f"a {model} record" if model else "a record"
        measured = f" ({size:,} bytes)" if size is not None else ""
        super().__init__(
            f"this write would make {record} larger{measured} than the {MAX_ITEM_BYTES:,} bytes DynamoDB "
            "stores in one item"
        )
        self.model = model
        self.size = size


class KeyTooLarge(ItemTooLarge):
    """A value of `model`'s `field` too long for the key it is stored under (a @unique or @index
    value is the partition key of its index and of its unique guard)."""

    def __init__(self, model: str, field: str, size: int, limit: int = MAX_PARTITION_KEY_BYTES) -> None:
        kind = "partition" if limit == MAX_PARTITION_KEY_BYTES else "sort"
        Exception.__init__(
            self,
            f"{model}.{field}: this value would be stored under a key of {size:,} bytes; DynamoDB's "
            f"{kind} keys hold at most {limit:,} (a @unique or @index value is one)",
        )
        self.model = model
        self.size = size


def key_fits(key: str) -> bool:
    """Whether `key` is short enough to be a partition key (it is never empty: see attributes.index_key)."""
    return _utf8(key) <= MAX_PARTITION_KEY_BYTES


def check_key(model: str, field: str, key: str, limit: int = MAX_PARTITION_KEY_BYTES) -> None:
    """KeyTooLarge if `key`, under which a value of `model`'s `field` is stored, is past `limit`."""
    if _utf8(key) > limit:
        raise KeyTooLarge(model, field, _utf8(key), limit)


def check_item(model: str, attributes: Mapping[str, AttributeValue]) -> None:
    """ItemTooLarge if the serialized item `attributes` is past the limit."""
    size = item_size(attributes)
    if size > MAX_ITEM_BYTES:
        raise ItemTooLarge(model, size)


def item_size(attributes: Mapping[str, AttributeValue]) -> int:
    """The size of a serialized item: its attribute names' UTF-8 bytes plus its values' sizes."""
    return sum(_utf8(name) + value_size(value) for name, value in attributes.items())


def value_size(value: AttributeValue) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return _utf8(inner)
    if kind == "N":
        return _number_size(inner)
    if kind in ("SS", "NS"):
        return sum(value_size({kind[0]: member}) for member in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(member) for member in inner)
    if kind == "M":
        return 3 + sum(1 + _utf8(key) + value_size(member) for key, member in inner.items())
    return 1  # BOOL, NULL (the store writes no binary values)


def is_refusal(message: str | None) -> bool:
    """Whether a DynamoDB error message refuses an item for its size."""
    return message is not None and all(part in message for part in _REFUSAL)


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _number_size(text: str) -> int:
    """A byte per two significant digits, plus one (leading and trailing zeros are not stored)."""
    # Most numbers stored are plain integers, whose digits are their text's: no Decimal to build.
    unsigned = text[1:] if text[:1] == "-" else text
    if unsigned.isascii() and unsigned.isdigit():
        return (max(1, len(unsigned.strip("0"))) + 1) // 2 + 1
    return (significant_digits(Decimal(text)) + 1) // 2 + 1


def significant_digits(number: Decimal) -> int:
    """The digits of `number` without leading and trailing zeros, counted exactly (`normalize`
    would round to the context's 28 digits first)."""
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")
    return max(1, len(digits))
