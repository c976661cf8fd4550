"""moto's whole-table order, with each key's value computed once.

moto sorts a table's items (Table.all_items, what its Query and Scan walk where moto_queries
hands them to moto whole) by DynamoType keys, whose `<` and `==` compute both values anew at
each comparison. Here each key's `cast_value` is computed once, and the sort compares those: the
same items in the same order.

It relies on moto's order as it is in the pinned version: `PINNED` names what moto_patch checks.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from tooling.local.replaced import Places, Replaced

_all_items = Table.all_items

PINNED: tuple[tuple[Any, str], ...] = (
    (_all_items, "c80d2ee3c896acd0cab6ca35aaeae3ab3fb65858933f8a3403d4e027c240f31d"),
    (DynamoType.__lt__, "44033f9fbd16ab927b667a2a1b0de8312f6c7e612e42f17fe028115ebe071566"),
    (DynamoType.__eq__, "48f12362c49f00c1138f550163b14b9c2f3bf0a50f0f907f426510a0417052c1"),
    (DynamoType.cast_value.fget, "135da387dfcc7c1ca4930a6d64b5c474519422983cc2a4d03b37b716d090ae0c"),  # type: ignore[attr-defined]
)


def _replaced() -> Places:
    """What is replaced: where, and by what in the patch and in moto."""
    return ((Table, "all_items", _in_key_order, _all_items),)


_REPLACED = Replaced(_replaced)
install = _REPLACED.install
moto_s_own = _REPLACED.moto_s_own


def _in_key_order(table: Table) -> list[Item]:
    items: list[Item] = []
    for hash_set in table.items.values():
        if table.range_key_attr:
            items.extend(hash_set.values())
        else:
            items.append(hash_set)  # type: ignore[arg-type]
    return sorted(items, key=_key)


def _key(item: Item) -> Any:
    return (item.hash_key.cast_value, item.range_key.cast_value) if item.range_key else item.hash_key.cast_value
