"""A rollback journal for one moto transaction: the items it may touch, as they were before it.

moto rolls a failed TransactWriteItems back by deep-copying every table it touches beforehand,
which costs time and memory in proportion to all the data stored. The journal keeps only the
items the transaction names (at most 100), so rolling back costs what the transaction does.
It is exact only while nothing else writes during the transaction: the embedded server applies
one request at a time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, cast

from moto.dynamodb.exceptions import ResourceNotFoundException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table

from tooling.local import moto_queries


@dataclass(frozen=True)
class _Before:
    """One item's place as the transaction found it."""

    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    # A copy (`snapshot`): an update changes moto's item object in place.
    item: Item | None
    # A table with a range key keeps a dict per hash key, which a lookup alone creates.
    had_bucket: bool


class Journal:
    def __init__(self) -> None:
        self._before: list[_Before] = []
        # Per table, the sequence number of its stream's next record: a shard is trimmed at its
        # start as records are added (moto_streams), so a length would not say where they begin.
        self._stream_ends: dict[Table, int] = {}

    @classmethod
    def of(cls, backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Journal:
        """The journal of every item `transact_items` names."""
        journal = cls()
        for entry in transact_items:
            for kind, operation in entry.items():
                try:
                    table = backend.get_table(operation["TableName"])
                    journal.record(table, operation.get("Item" if kind == "Put" else "Key"))
                except (LookupError, TypeError, ValueError, AttributeError, ResourceNotFoundException):
                    # No such table, or a malformed key: moto fails the operation without writing.
                    continue
        return journal

    def record(self, table: Table, key: dict[str, Any]) -> None:
        """Remember the item of `table` at `key` (its key attributes, as DynamoDB JSON)."""
        if table.hash_key_attr not in key or (table.range_key_attr is not None and table.range_key_attr not in key):
            return
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = None if table.range_key_attr is None else DynamoType(key[table.range_key_attr])
        items: dict[DynamoType, Any] = table.items  # as in _restore
        bucket = items.get(hash_key)
        item = bucket if range_key is None else (bucket or {}).get(range_key)
        self._before.append(
            _Before(table, hash_key, range_key, None if item is None else snapshot(item), bucket is not None)
        )
        shard = table.stream_shard
        if shard is not None:
            self._stream_ends.setdefault(table, shard.starting_sequence_number + len(shard.items))

    def roll_back(self) -> None:
        """Put every recorded item back as it was; drop the stream records written since."""
        for before in reversed(self._before):
            _restore(before)
            moto_queries.changed(before.table, before.hash_key, before.range_key)
        for table, end in self._stream_ends.items():
            shard = table.stream_shard
            if shard is not None:
                del shard.items[max(0, end - shard.starting_sequence_number) :]


def snapshot(item: Item) -> Item:
    """A copy of `item` as it stands now, as `copy.deepcopy` would make it but sharing its keys and
    its scalar values: moto replaces a scalar (a string, number, binary, boolean or null) when
    it writes one, and changes only lists, maps and sets in place, so those alone are copied."""
    copied = cast(Item, Item.__new__(Item))
    copied.hash_key = item.hash_key
    copied.range_key = item.range_key
    # Filled past LimitedSizeDict's size check, as moto's own copy of an item is: it passed on write.
    attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(attrs, {name: v if immutable(v) else copy.deepcopy(v) for name, v in item.attrs.items()})
    copied.attrs = attrs
    return copied


_SCALARS = frozenset({"S", "N", "B", "BOOL", "NULL"})


def immutable(value: Any) -> bool:
    """A scalar attribute value, which moto replaces when it writes one and never changes in place."""
    return type(value) is DynamoType and value.type in _SCALARS


def _restore(before: _Before) -> None:
    # An Item per hash key, or for a table with a range key a dict of them per hash key.
    items: dict[DynamoType, Any] = before.table.items
    if before.range_key is None:
        if before.item is None:
            items.pop(before.hash_key, None)
        else:
            items[before.hash_key] = before.item
        return
    if before.item is not None:
        items[before.hash_key][before.range_key] = before.item
        return
    bucket = items.get(before.hash_key)
    if bucket is not None:
        bucket.pop(before.range_key, None)
    if not before.had_bucket:
        # Absent before the transaction: whatever it holds now, the transaction put there.
        items.pop(before.hash_key, None)
