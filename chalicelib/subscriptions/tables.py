"""The stage's tables of subscription state: connections, their subscriptions, and how far each
stream shard has been delivered. Items expire through DynamoDB's TTL: an API Gateway WebSocket
connection lasts at most two hours, so nothing outlives it by much if its `$disconnect` is lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model as PynamoModel

CONNECTION_TABLE = "subscription-connections"
SUBSCRIPTION_TABLE = "subscriptions"
CHECKPOINT_TABLE = "stream-checkpoints"
CONNECTION_INDEX = "by-connection"
# The attribute DynamoDB's TTL deletes by (the same as the store's: chalicelib/store/tables.py).
TTL = "_ttl"


class ConnectionBase(PynamoModel):
    """One open connection and who its subscriber is (subscriptions/identity.py)."""

    id = UnicodeAttribute(hash_key=True)
    identity = JSONAttribute()
    ttl = NumberAttribute(null=True, attr_name=TTL)


class ByConnection(GlobalSecondaryIndex["SubscriptionBase"]):
    """A connection's subscriptions, for its `$disconnect`."""

    class Meta:
        index_name = CONNECTION_INDEX
        projection = KeysOnlyProjection()

    connection = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)


class SubscriptionBase(PynamoModel):
    """One subscription, filed by its model and, when its filter names records, by each of their
    ids (`<model>#<record id>`, one item per id; `<model>` otherwise): an event reads the
    subscriptions of its model that name no record and those that name its own, never the rest."""

    partition = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # `<connection id>#<subscription id>`
    connection = UnicodeAttribute()
    subscription = UnicodeAttribute()
    # The operation's text (named so as not to hide the model's `query`).
    document = UnicodeAttribute(attr_name="query")
    variables = JSONAttribute(null=True)
    operation_name = UnicodeAttribute(null=True)
    # The `where` argument, coerced; and the record ids it names, if any (subscriptions/filters.py).
    where = JSONAttribute(null=True)
    ids = JSONAttribute(null=True)
    created = NumberAttribute()
    ttl = NumberAttribute(null=True, attr_name=TTL)
    by_connection = ByConnection()


class CheckpointBase(PynamoModel):
    """The last sequence number of a stream shard whose events were delivered (the local reader);
    or, keyed `<table>#<event id>`, one stream record the deployed handler delivered, which expires
    once the stream no longer holds it (a Lambda's batch names no shard: see delivery.py)."""

    shard = UnicodeAttribute(hash_key=True)
    sequence = NumberAttribute()
    ttl = NumberAttribute(null=True, attr_name=TTL)


class SubscriptionTables:
    def __init__(self, prefix: str, meta: Callable[[str], type]) -> None:
        self.connection: type[ConnectionBase] = type(
            "SubscriptionConnection", (ConnectionBase,), {"Meta": meta(prefix + CONNECTION_TABLE)}
        )
        self.subscription: type[SubscriptionBase] = type(
            "Subscription", (SubscriptionBase,), {"Meta": meta(prefix + SUBSCRIPTION_TABLE)}
        )
        self.checkpoint: type[CheckpointBase] = type(
            "StreamCheckpoint", (CheckpointBase,), {"Meta": meta(prefix + CHECKPOINT_TABLE)}
        )

    def classes(self) -> Iterator[type[PynamoModel]]:
        yield self.connection
        yield self.subscription
        yield self.checkpoint
