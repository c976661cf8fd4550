"""TransactWriteItems of plain updates, applied in one pass.

A bulk write sends transactions of a hundred updates, each a plain update (moto_updates) of an
item that is there, under a condition it meets. For each, moto's transaction checks the condition,
then its UpdateItem finds the item and checks the condition again, and the journal copied the item
beforehand in case a later one failed. Here a transaction whose every operation is such an
update is planned whole first: its items found, their conditions checked and their steps compiled
once each, changing nothing. Only if every one can be made are they made, each item's old image
(which its stream record needs anyway) being what puts it back should one grow past the size
limit; then come the stream records, the query views and the listeners, item by item in the
transaction's order, as moto's UpdateItem makes them.

Anything else goes to moto's transaction as before, which then does what it always does: another
kind of operation, two operations on one item, an item not there, a condition not met (moto's
cancellation reasons), more than 100 operations, an update that is not plain or grows an item
too large.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

from tooling.local import moto_changes, moto_queries, moto_updates

# What moto's transaction takes at most (it refuses more, and so does DynamoDB).
MOST_ITEMS = 100

Transact = Callable[[DynamoDBBackend, list[dict[str, Any]]], None]


def install() -> None:
    # Around the journaled transaction moto_patch installs: what is not applied here goes there.
    DynamoDBBackend.transact_write_items = _plain_first(DynamoDBBackend.transact_write_items)  # type: ignore[method-assign,assignment]


def _plain_first(original: Transact) -> Transact:
    @functools.wraps(original)
    def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        if not _applied(backend, transact_items):
            original(backend, transact_items)

    return transact_write_items


def _applied(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> bool:
    """Whether the transaction was applied here; False, having changed nothing, where moto must."""
    updates = _planned(backend, transact_items)
    if updates is None:
        return False
    made: list[tuple[moto_updates.Planned, moto_updates.Made]] = []
    for update in updates:
        done = moto_updates.applied(update)
        if done is None:
            for undone, was in reversed(made):
                moto_updates.undone(undone, was.before)
            return False
        made.append((update, done))
    for (update, done), entry in zip(made, transact_items, strict=True):
        moto_updates.streamed(update, done.before)
        moto_queries.changed(update.table, update.item.hash_key, update.item.range_key, done.size)
        moto_changes.written(backend, entry["Update"]["TableName"], entry["Update"]["Key"])
    return True


def _planned(backend: DynamoDBBackend, transact_items: Any) -> list[moto_updates.Planned] | None:
    """Each operation's update, when all are plain updates of distinct items that can be made."""
    if not isinstance(transact_items, list) or len(transact_items) > MOST_ITEMS:
        return None
    updates: list[moto_updates.Planned] = []
    items: set[int] = set()
    for entry in transact_items:
        if not isinstance(entry, dict) or list(entry) != ["Update"] or not isinstance(entry["Update"], dict):
            return None
        operation = entry["Update"]
        update = moto_updates.planned(
            backend,
            operation.get("TableName"),
            operation.get("Key"),
            operation.get("UpdateExpression"),
            operation.get("ExpressionAttributeNames"),
            operation.get("ExpressionAttributeValues"),
            operation.get("ConditionExpression"),
        )
        # By the item itself: moto refuses two operations on one key, and a second update planned
        # on the item as the first found it would not see the first's change.
        if update is None or id(update.item) in items:
            return None
        items.add(id(update.item))
        updates.append(update)
    return updates
