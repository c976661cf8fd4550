"""moto's Scan, paged at a cost that does not grow with the pages already read.

- Every page sorts the whole table by comparing DynamoType keys, each comparison computing both
  values anew: here each key's value is computed once (`_in_key_order`).
- Every page after the first then walks the table from its first item, comparing each with the
  page's ExclusiveStartKey until it passes it: reading a table page by page cost time in
  proportion to the square of its size. Here the items a Scan of the table itself (not an index)
  is handed start at its ExclusiveStartKey's place in that order, found by bisection: moto's own
  walk then passes the same items it passed before (those up to the key), at once.

Both rely on moto's order as it is in the pinned version: `PINNED` names what moto_patch checks.
"""

from __future__ import annotations

import bisect
import inspect
from contextvars import ContextVar
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from tooling.local.replaced import Places, Replaced

_scan = Table.scan
_all_items = Table.all_items

PINNED: tuple[tuple[Any, str], ...] = (
    (_all_items, "c80d2ee3c896acd0cab6ca35aaeae3ab3fb65858933f8a3403d4e027c240f31d"),
    (DynamoType.__lt__, "44033f9fbd16ab927b667a2a1b0de8312f6c7e612e42f17fe028115ebe071566"),
    (DynamoType.__eq__, "48f12362c49f00c1138f550163b14b9c2f3bf0a50f0f907f426510a0417052c1"),
    (DynamoType.cast_value.fget, "135da387dfcc7c1ca4930a6d64b5c474519422983cc2a4d03b37b716d090ae0c"),  # type: ignore[attr-defined]
    # The walk that skips the items up to the start key, and how it compares them with it.
    (_scan, "5ef1ab21eef06a74d4d142aaf817f31c3147c39fd9aaaa5dd037cb62d64e4af3"),
    (Table._item_comes_before_dct, "6d70f41f7cb059f40e932e9c6c13cc57b6052c5d025c51235df414adf172bee1"),
)

_SCAN = inspect.signature(_scan)
# The table a Scan runs on, and its ExclusiveStartKey, for the span of that Scan.
_start: ContextVar[tuple[Table, dict[str, Any]] | None] = ContextVar("moto_scan_start", default=None)


def _replaced() -> Places:
    """What is replaced: where, and by what in the patch and in moto."""
    return ((Table, "all_items", _in_key_order, _all_items), (Table, "scan", _scan_from_start, _scan))


_REPLACED = Replaced(_replaced)
install = _REPLACED.install
moto_s_own = _REPLACED.moto_s_own


def _scan_from_start(table: Table, *args: Any, **kwargs: Any) -> Any:
    arguments = _SCAN.bind(table, *args, **kwargs).arguments
    start = arguments.get("exclusive_start_key")
    token = _start.set((table, start) if start and not arguments.get("index_name") else None)
    try:
        return _scan(table, *args, **kwargs)
    finally:
        _start.reset(token)


def _in_key_order(table: Table) -> list[Item]:
    """Table.all_items: the same items in the same order (during a Scan with a start key, from
    that key's place on). moto sorts by DynamoType keys, whose `<` and `==` compare their
    `cast_value`s (and types, one per key attribute in a table); here each key's `cast_value` is
    computed once, and the sort compares those."""
    items: list[Item] = []
    for hash_set in table.items.values():
        if table.range_key_attr:
            items.extend(hash_set.values())
        else:
            items.append(hash_set)  # type: ignore[arg-type]
    keys = [_key(item) for item in items]
    order = sorted(range(len(items)), key=keys.__getitem__)
    ordered = [items[index] for index in order]
    start = _start.get()
    if start is None or start[0] is not table or not ordered:
        return ordered
    after = _start_key(table, ordered[0], start[1])
    if after is None:
        return ordered
    try:
        place = bisect.bisect_right([keys[index] for index in order], after)
    except TypeError:
        return ordered
    return ordered[place:]


def _key(item: Item) -> Any:
    return (item.hash_key.cast_value, item.range_key.cast_value) if item.range_key else item.hash_key.cast_value


def _start_key(table: Table, first: Item, start: dict[str, Any]) -> Any:
    """The start key as `_key` makes an item's, when it is of the kinds the table's keys are (else
    None: moto's walk compares it in its own way)."""
    try:
        hash_key = DynamoType(start[table.hash_key_attr])
        if hash_key.type != first.hash_key.type:
            return None
        if not first.range_key or table.range_key_attr is None:
            return hash_key.cast_value
        range_key = DynamoType(start[table.range_key_attr])
        if range_key.type != first.range_key.type:
            return None
        return (hash_key.cast_value, range_key.cast_value)
    except (KeyError, TypeError, IndexError, ValueError, ArithmeticError):
        return None
