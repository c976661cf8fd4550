"""Connections and subscriptions as the stage's tables keep them (subscriptions/tables.py), and
each stream shard's delivery checkpoint. A transport writes them as clients come and go; delivery
reads a model's subscriptions, one Query per model an event batch touches."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.expressions.operand import Path

from chalicelib.subscriptions.identity import Identity
from chalicelib.subscriptions.tables import ConnectionBase, SubscriptionBase, SubscriptionTables

# API Gateway ends a WebSocket connection after two hours; its state expires a little after.
LIFETIME_SECONDS = 2 * 3600 + 600
# A DynamoDB Stream keeps a record 24 hours: no copy of it can come later than that.
STREAM_RETENTION_SECONDS = 24 * 3600
# BatchGetItem's limit of keys per call.
KEYS_PER_GET = 100


@dataclass(frozen=True)
class Subscription:
    connection: str
    id: str
    model: str
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    where: dict[str, Any] | None
    # The record ids the filter names, or None for any record of the model.
    ids: frozenset[str] | None
    created: float

    @property
    def key(self) -> str:
        return f"{self.connection}#{self.id}"


class SubscriptionState:
    def __init__(self, tables: SubscriptionTables) -> None:
        self.tables = tables

    def connect(self, connection: str, identity: Identity) -> None:
        self.connection_item(connection, identity).save()

    def connection_item(self, connection: str, identity: Identity) -> ConnectionBase:
        """The item `connect` writes."""
        return self.tables.connection(connection, identity=identity, ttl=_expiry())

    def identities(self, connections: list[str]) -> dict[str, Identity]:
        """Who each of `connections` is, for those still open: one BatchGetItem per 100."""
        cls = self.tables.connection
        return {item.id: item.identity for item in cls.batch_get(connections, consistent_read=True)}

    def identity(self, connection: str) -> Identity | None:
        cls = self.tables.connection
        try:
            found: Identity = cls.get(connection, consistent_read=True).identity
        except cls.DoesNotExist:
            return None
        return found

    def subscribe(self, subscription: Subscription) -> None:
        with self.tables.subscription.batch_write() as batch:
            for item in self.subscription_items(subscription):
                batch.save(item)

    def subscription_items(self, subscription: Subscription) -> list[SubscriptionBase]:
        """The items `subscribe` writes: one per record id the filter names, else one."""
        names = [subscription.model] if subscription.ids is None else sorted(subscription.ids)
        partitions = names if subscription.ids is None else [f"{subscription.model}#{i}" for i in names]
        return [self._item(subscription, partition) for partition in partitions]

    def _item(self, subscription: Subscription, partition: str) -> SubscriptionBase:
        return self.tables.subscription(
            partition,
            subscription.key,
            connection=subscription.connection,
            subscription=subscription.id,
            document=subscription.query,
            variables=subscription.variables,
            operation_name=subscription.operation_name,
            where=subscription.where,
            ids=None if subscription.ids is None else sorted(subscription.ids),
            created=subscription.created,
            ttl=_expiry(),
        )

    def unsubscribe(self, connection: str, subscription_id: str) -> None:
        """Forget a subscription, every item of it (found through the connection index)."""
        cls = self.tables.subscription
        key = f"{connection}#{subscription_id}"
        for found in cls.by_connection.query(connection, type(cls.by_connection).key == key):
            cls(found.partition, found.key).delete()

    def disconnect(self, connection: str) -> None:
        """Forget the connection and every subscription of it."""
        cls = self.tables.subscription
        for key in cls.by_connection.query(connection):
            cls(key.partition, key.key).delete()
        self.tables.connection(connection).delete()

    def subscriptions_of(self, connection: str) -> dict[str, str]:
        """A connection's open subscriptions: each id, with its model (from the connection index)."""
        prefix = f"{connection}#"
        return {
            key.key.removeprefix(prefix): key.partition.split("#", 1)[0]
            for key in self.tables.subscription.by_connection.query(connection)
            if key.key.startswith(prefix)
        }

    def candidates(self, model: str, record_ids: Iterable[str]) -> Iterator[Subscription]:
        """The subscriptions of `model` that an event of one of `record_ids` may match: those that
        name no record (one Query), and those that name one of these (one Query per id); a
        subscription naming several of them comes once per id."""
        for partition in [model, *(f"{model}#{i}" for i in dict.fromkeys(record_ids))]:
            for item in self.tables.subscription.query(partition):
                yield self._subscription(model, item)

    def _subscription(self, model: str, item: SubscriptionBase) -> Subscription:
        return Subscription(
            item.connection,
            item.subscription,
            model,
            item.document,
            item.variables,
            item.operation_name,
            item.where,
            None if item.ids is None else frozenset(item.ids),
            float(item.created),
        )

    def checkpoint(self, shard: str) -> int:
        """The last sequence number of `shard` delivered; 0 before any."""
        cls = self.tables.checkpoint
        try:
            return int(cls.get(shard, consistent_read=True).sequence)
        except cls.DoesNotExist:
            return 0

    def advance(self, shard: str, read: int, to: int) -> bool:
        """Move `shard`'s checkpoint from `read` to `to`, unless another reader moved it meanwhile."""
        cls = self.tables.checkpoint
        condition = Path("shard").does_not_exist() if read == 0 else cls.sequence == read
        try:
            cls(shard, sequence=to).save(condition=condition)
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def delivered(self, keys: list[str]) -> set[str]:
        """Which of these stream records (`<table>#<event id>`) were delivered already."""
        cls = self.tables.checkpoint
        found: set[str] = set()
        for start in range(0, len(keys), KEYS_PER_GET):
            found.update(item.shard for item in cls.batch_get(keys[start : start + KEYS_PER_GET], consistent_read=True))
        return found

    def mark_delivered(self, records: dict[str, int]) -> None:
        """Note these stream records (key: sequence number) as delivered, until the stream forgets them."""
        cls = self.tables.checkpoint
        ttl = int(time.time()) + STREAM_RETENTION_SECONDS
        with cls.batch_write() as batch:
            for key, sequence in records.items():
                batch.save(cls(key, sequence=sequence, ttl=ttl))


def _expiry() -> int:
    return int(time.time()) + LIFETIME_SECONDS
