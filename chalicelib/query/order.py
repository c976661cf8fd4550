"""Ordering records: `orderBy` keys in the order written, nulls last in both directions, then id
in the direction of the last key (as an ordered index reads them: store/sorted_keys.py).

The id as a last key makes every order total, so pages never overlap or skip a record.
"""

from __future__ import annotations

import math
from functools import cmp_to_key
from typing import Any

from chalicelib.schema.registry import Field
from chalicelib.store.record import Record

OrderBy = list[tuple[Field, bool]]  # (field, descending)
DESCENDING = frozenset({"DESC", "DESCENDING"})


def parse_order(fields: dict[str, Field], order_by: dict[str, str] | None, written: list[str] | None = None) -> OrderBy:
    """The sort keys of an `orderBy` input, in `written` order (the client's) when known."""
    items = [(name, direction) for name, direction in (order_by or {}).items() if direction]
    if written:
        items.sort(key=lambda item: written.index(item[0]) if item[0] in written else len(written))
    return [(fields[name], direction in DESCENDING) for name, direction in items]


def position(order: OrderBy, record: Record) -> list[Any]:
    return [record.get(field.name) for field, _ in order] + [record["id"]]


def comparable(order: OrderBy, position: list[Any]) -> bool:
    """Whether a position from a client's cursor holds values `compare` can set against the
    records' (a tampered cursor may hold a list, or a string for a number)."""
    for (field, _), value in zip(order, position, strict=False):
        if value is None:
            continue
        if field.type_name == "Boolean":
            ok = isinstance(value, bool)
        elif field.type_name in ("Int", "Float"):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        else:
            ok = isinstance(value, str)
        if not ok:
            return False
    return isinstance(position[-1], str)


def compare(order: OrderBy, left: list[Any], right: list[Any]) -> int:
    """Compare two positions (see `position`)."""
    for (_, descending), a, b in zip(order, left, right, strict=False):
        result = _compare_values(a, b, descending)
        if result:
            return result
    return _compare_values(left[-1], right[-1], bool(order) and order[-1][1])


def _compare_values(a: Any, b: Any, descending: bool) -> int:
    if a is None or b is None:
        return (a is None) - (b is None)  # nulls last, whatever the direction
    if a == b:
        return 0
    result = -1 if a < b else 1
    return -result if descending else result


def sort(order: OrderBy, records: list[Record]) -> list[Record]:
    def by_position(a: Record, b: Record) -> int:
        return compare(order, position(order, a), position(order, b))

    return sorted(records, key=cmp_to_key(by_position))
