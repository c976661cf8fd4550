"""Which items and tables of moto's DynamoDB change, as the local data kept on disk (kept_data) needs to know.

Every write of an item goes through DynamoDBBackend.put_item, delete_item or update_item: PutItem,
DeleteItem, UpdateItem, each request of a BatchWriteItem and each item of a TransactWriteItems
alike. Every change of a table goes through create_table, delete_table, update_table or
update_time_to_live. Each is wrapped to tell the listeners the item's key (or, for a table, None)
once it has run, whether it succeeded or not: a failed write may still have changed part of an
item, and a transaction rolled back restores items through none of these. So a listener is told
where to look, not what is there, and reads the item itself later.

The patch relies on moto's code as it is in the pinned version: `PINNED` names what moto_patch
checks before applying it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

# (backend, table name, the item's key as DynamoDB JSON, or None when the table itself changed).
Listener = Callable[[DynamoDBBackend, str, dict[str, Any] | None], None]

_ITEM_WRITES = ("put_item", "delete_item", "update_item")
_TABLE_CHANGES = ("create_table", "delete_table", "update_table", "update_time_to_live")
_originals = {name: getattr(DynamoDBBackend, name) for name in (*_ITEM_WRITES, *_TABLE_CHANGES)}

PINNED: tuple[tuple[Any, str], ...] = (
    (_originals["put_item"], "f5d9a5042c77b89e5f4c88b5884f7966b9dccd95b8b04090ee9e07afc5eea675"),
    (_originals["delete_item"], "083a4bb1af18f6fd2feef40195a4c9c803da66cb2cacd14f87916c6e76930ea5"),
    (_originals["update_item"], "218984588dd689a5de81678ce11e6a40d05c91e7b6c21b44c4ed4122fe74aa9f"),
    (_originals["create_table"], "2bb8105ad9fa618b99af0147a0d63e6ea06bd5684d61c67d98d6e9ed4838e82b"),
    (_originals["delete_table"], "bab269fa8eff18193792856e83854c03628ccb0796f1ebd8c8fb14e2ce109198"),
    (_originals["update_table"], "3fa85dce71a0cdcaac470626f5165b9e8317905f8651a0ce7dc1e1db1f9474ac"),
    (_originals["update_time_to_live"], "9da0deb00bb22c5e6d3b2d7fe9d48868e601adcc2a72c5f8a5706257a0e63b8c"),
)

_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Tell `listener` of every change from now on. It runs inside moto's request: it must only take note."""
    _listeners.append(listener)


def unlisten(listener: Listener) -> None:
    _listeners.remove(listener)


def install() -> None:
    # Around what is there now: other patch modules follow the same writes (moto_queries).
    for name in _ITEM_WRITES:
        setattr(DynamoDBBackend, name, _item_write(getattr(DynamoDBBackend, name)))
    for name in _TABLE_CHANGES:
        setattr(DynamoDBBackend, name, _table_change(getattr(DynamoDBBackend, name)))


def _item_write(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def write(backend: DynamoDBBackend, table_name: str, item_or_key: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(backend, table_name, item_or_key, *args, **kwargs)
        finally:
            written(backend, table_name, item_or_key)

    return write


def written(backend: DynamoDBBackend, table_name: str, item_or_key: Any) -> None:
    """Tell the listeners of a write of the item at `item_or_key` (the item or its key), as the wrapped
    writes do: for a write made without them (moto_transactions)."""
    if not _listeners:
        return
    table = backend.tables.get(table_name)
    if table is None or not isinstance(item_or_key, dict):
        return  # no such table, or a key moto refused: nothing was written
    key = {name: item_or_key[name] for name in table.table_key_attrs if name in item_or_key}
    if len(key) != len(table.table_key_attrs):
        return
    for listener in list(_listeners):
        listener(backend, table_name, key)


def _table_change(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def change(backend: DynamoDBBackend, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(backend, name, *args, **kwargs)
        finally:
            for listener in list(_listeners):
                listener(backend, name, None)

    return change
