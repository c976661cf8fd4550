"""PynamoDB model classes built from the registry: one table per model, and the stage's own
tables: unique guards, relation edges, pending cleanups, counters, login throttle windows, and
the schema the stage's tables and data were brought to (tooling/migrations).

Table names are `<prefix><model store name>`; the stage's own are hyphenated (`<prefix>unique-guards`),
names no model can take since GraphQL names have no hyphen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TableError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model as PynamoModel

from chalicelib.schema.registry import USER_MODEL, Field, Model, Registry, SortedIndex
from chalicelib.store import sorted_keys
from chalicelib.store.attributes import attribute_for, index_attribute_name, index_name, link_index_name, python_name
from chalicelib.store.backoff import Backoff
from chalicelib.store.calls import current_hook, watch
from chalicelib.store.changes import VERSION
from chalicelib.store.limits import LimitChecker, TableKeys, check_limits
from chalicelib.store.retries import NO_RETRIES, retry_by
from chalicelib.store.sizes import MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES
from chalicelib.subscriptions.tables import SubscriptionTables

GUARD_TABLE = "unique-guards"
EDGE_TABLE = "relation-edges"
CLEANUP_TABLE = "pending-cleanups"
COUNTER_TABLE = "counters"
THROTTLE_TABLE = "login-throttle"
SCHEMA_STATE_TABLE = "schema-state"
EDGE_INDEX = "backward"
VERSION_ATTRIBUTE = "version_"
# The attribute DynamoDB's TTL deletes expired items by (sessions, throttle windows).
TTL = "_ttl"


def session_attributes() -> dict[str, Any]:
    """What a session stores beyond its fields: its token's hash, its expiry times (epoch seconds),
    and the session epoch of its user when it logged in (see `user_attributes`)."""
    return {
        "secret_": UnicodeAttribute(null=True, attr_name="_secret"),
        "expires_": NumberAttribute(null=True, attr_name="_expires"),
        "seen_": NumberAttribute(null=True, attr_name="_seen"),
        "ttl_": NumberAttribute(null=True, attr_name=TTL),
        "epoch_": NumberAttribute(null=True, attr_name="_epoch"),
    }


def user_attributes() -> dict[str, Any]:
    """What a user stores beyond its fields: its session epoch, its account tokens. Every session records the epoch it
    logged in at; raising the epoch (a password change, an admin ending them) ends them all at once,
    however many there are, in one write."""
    return {
        "epoch_": NumberAttribute(null=True, attr_name="_epoch"),
        # The user's password reset and email verification tokens: a hash, and when it stops working
        # (chalicelib/accounts/tokens.py).
        "reset_": UnicodeAttribute(null=True, attr_name="_reset"),
        "reset_expires_": NumberAttribute(null=True, attr_name="_resetExpires"),
        "verify_": UnicodeAttribute(null=True, attr_name="_verify"),
        "verify_expires_": NumberAttribute(null=True, attr_name="_verifyExpires"),
    }


BILLING = "PAY_PER_REQUEST"
STREAM_VIEW = "NEW_AND_OLD_IMAGES"
LOCAL_READ_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class StoreConfig:
    table_prefix: str
    region: str
    endpoint_url: str | None = None
    # Short enough that a few tries of a call fit in a request's deadline (see store/backoff.py).
    connect_timeout_seconds: float = 1.0
    read_timeout_seconds: float = 3.0

    # What retries plan one try to take at worst (store/backoff.py); the timeouts' sum when None.
    slowest_try_seconds: float | None = None

    @property
    def try_seconds(self) -> float:
        return self.slowest_try_seconds or self.connect_timeout_seconds + self.read_timeout_seconds

    @classmethod
    def at_endpoint(cls, table_prefix: str, region: str, endpoint_url: str) -> StoreConfig:
        """A DynamoDB of one's own (the embedded moto server, DynamoDB Local): far slower than the
        service, it can take seconds to answer one full page of a large table on a busy machine. The
        long read timeout is for those pages; retries still plan on the service's tries, or a request
        could never retry inside its deadline."""
        return cls(
            table_prefix,
            region,
            endpoint_url,
            read_timeout_seconds=LOCAL_READ_TIMEOUT_SECONDS,
            slowest_try_seconds=cls.connect_timeout_seconds + cls.read_timeout_seconds,
        )

    @property
    def checks_limits(self) -> bool:
        """Whether every request is checked against DynamoDB's limits (store/limits.py): against a
        DynamoDB of one's own (moto, in the tests and `make run`), which is kinder than the service,
        not against the service itself, which enforces them."""
        return self.endpoint_url is not None


class GuardBase(PynamoModel):
    """A unique guard: one item per (model, field, value), naming the record that holds it.

    Written in the same transaction as the record with `attribute_not_exists`, so two writers
    of one value cannot both succeed.
    """

    key = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()


class EdgeIndex(GlobalSecondaryIndex["EdgeBase"]):
    """Edges by target: `target` (`<edge key>#<target id>`), in source id order. Its keys only:
    what a backward read needs."""

    class Meta:
        index_name = EDGE_INDEX
        projection = KeysOnlyProjection()

    target = UnicodeAttribute(hash_key=True)
    source_id = UnicodeAttribute(range_key=True)


class EdgeBase(PynamoModel):
    """One link of a to-many relation stored as edges (see `Storage.EDGES`).

    `source` is `<edge key>#<source id>` and `target_id` the other end, so a Query of one source
    reads its links in target id order; the index reads them from the other end. An edge holds
    no version: linking is an idempotent put, unlinking an idempotent delete.
    """

    source = UnicodeAttribute(hash_key=True)
    target_id = UnicodeAttribute(range_key=True)
    target = UnicodeAttribute()
    source_id = UnicodeAttribute()
    backward = EdgeIndex()


class CleanupBase(PynamoModel):
    """A deleted record whose links are still stored elsewhere (children pointing at it, edges),
    written in the transaction that deleted it; the cleanup job removes the links, then this. Or
    bucket work a write left for after its commit (`s3:<object key>`, store/object_work.py), which
    the write's request does and removes, or else the cleanup job."""

    key = UnicodeAttribute(hash_key=True)  # `<model name>#<record id>`, or `s3:<object key>`
    deleted = NumberAttribute()  # epoch seconds the write was made at
    source = UnicodeAttribute(null=True)  # the object to move to the key: none deletes the key's
    etag = UnicodeAttribute(null=True)  # the version of the source's bytes that may be moved


class CounterBase(PynamoModel):
    """One shard of a counter (store/counters.py): `<counter>#<shard>`, and what it adds to the count."""

    key = UnicodeAttribute(hash_key=True)
    n = NumberAttribute(default=0)


class ThrottleBase(PynamoModel):
    """Failed logins of one account in one time window; DynamoDB's TTL removes old windows. The
    request windows of the rate limits and of the mail and upload limits share the table, under keys
    and an attribute of their own (chalicelib/ratelimit/windows.py), and so do the markers of spent
    upload tokens (`upload#<name>`, store/records.py `write`), removed by the TTL once the token has
    expired."""

    key = UnicodeAttribute(hash_key=True)
    failures = NumberAttribute(default=0)
    ttl = NumberAttribute(null=True, attr_name=TTL)


class SchemaStateBase(PynamoModel):
    """What schema the stage's tables and data match: one item (chalicelib/schema_state.py),
    written by `python -m chalicelib migrate`, read once when the API starts."""

    key = UnicodeAttribute(hash_key=True)
    fingerprint = UnicodeAttribute(null=True)
    layout = UnicodeAttribute(null=True)  # JSON: the storage layout the fingerprint is of
    progress = UnicodeAttribute(null=True)  # JSON: how far an unfinished migration went
    retired = UnicodeAttribute(null=True)  # JSON: edge keys of relations gone from the schema, links kept
    removed = UnicodeAttribute(null=True)  # JSON: models gone from the schema, by name: their tables, kept


class Tables:
    """The PynamoDB classes of one stage: `Tables(registry, config).model_class("City")`."""

    def __init__(self, registry: Registry, config: StoreConfig) -> None:
        self.registry = registry
        self.config = config
        self._classes = {model.name: self._build(model) for model in registry}
        self.guard: type[GuardBase] = type(
            "Guard", (GuardBase,), {"Meta": self._meta(config.table_prefix + GUARD_TABLE)}
        )
        self.edge: type[EdgeBase] = type("Edge", (EdgeBase,), {"Meta": self._meta(config.table_prefix + EDGE_TABLE)})
        self.cleanup: type[CleanupBase] = type(
            "Cleanup", (CleanupBase,), {"Meta": self._meta(config.table_prefix + CLEANUP_TABLE)}
        )
        self.counter: type[CounterBase] = type(
            "Counter", (CounterBase,), {"Meta": self._meta(config.table_prefix + COUNTER_TABLE)}
        )
        self.throttle: type[ThrottleBase] = type(
            "Throttle", (ThrottleBase,), {"Meta": self._meta(config.table_prefix + THROTTLE_TABLE)}
        )
        self.subscriptions = SubscriptionTables(config.table_prefix, self._meta)
        self.state: type[SchemaStateBase] = type(
            "SchemaState", (SchemaStateBase,), {"Meta": self._meta(config.table_prefix + SCHEMA_STATE_TABLE)}
        )
        self.backoff = Backoff(call_seconds=config.try_seconds)
        self.connection = Connection(
            region=config.region,
            host=config.endpoint_url,
            connect_timeout_seconds=config.connect_timeout_seconds,
            read_timeout_seconds=config.read_timeout_seconds,
            retry_configuration=NO_RETRIES,
        )
        self.limits: LimitChecker | None = None
        self._share_client()

    def model_class(self, name: str) -> type[PynamoModel]:
        return self._classes[name]

    def all_classes(self) -> Iterator[type[PynamoModel]]:
        yield from self._classes.values()
        yield self.guard
        yield self.edge
        yield self.cleanup
        yield self.counter
        yield self.throttle
        yield from self.subscriptions.classes()
        yield self.state

    def clients(self) -> list[Any]:
        """Every botocore client the store calls through (one, shared)."""
        return [self.connection.client]

    def _share_client(self) -> None:
        """Give every model class the one botocore client, built now.

        PynamoDB builds a client per model class, lazily, on first use; threads that arrive at once
        each build their own (100 ms or more apiece). botocore clients are thread-safe, so one
        client, built at start-up, serves every table and keeps that cost off requests, and every
        call is retried by the one policy.
        """
        client = self.connection.client
        for cls in self.all_classes():
            cls._get_connection().connection._client = client
        watch(client, current_hook)
        retry_by(client, self.backoff)
        if self.config.checks_limits:
            self.limits = check_limits(client, self.key_sizes())

    def key_sizes(self) -> dict[str, TableKeys]:
        """The keys of every table, and of its indexes, by table name."""
        found: dict[str, TableKeys] = {}
        for cls in self.all_classes():
            schema: dict[str, Any] = dict(cls._get_schema())
            sizes: dict[str, int] = {}
            key_schemas = [schema["key_schema"], *(index["key_schema"] for index in schema["global_secondary_indexes"])]
            for key_schema in key_schemas:
                for element in key_schema:
                    most = MAX_PARTITION_KEY_BYTES if element["KeyType"] == "HASH" else MAX_SORT_KEY_BYTES
                    name = element["AttributeName"]
                    sizes[name] = min(most, sizes.get(name, most))
            primary = tuple(element["AttributeName"] for element in schema["key_schema"])
            found[cls.Meta.table_name] = TableKeys(primary, sizes)
        return found

    def create_all(self) -> None:
        """Create the tables that do not exist yet (PynamoDB's `create_table` looks first), and
        wait until each is active."""
        for cls in self.all_classes():
            try:
                cls.create_table(billing_mode=BILLING, wait=True)
            except TableError as error:
                # A CreateTable whose answer was lost (a timeout on a busy machine) is sent again
                # by the retry policy, and finds the table the first one made: wait for that one.
                if error.cause_response_code != "ResourceInUseException":
                    raise
                cls.create_table(billing_mode=BILLING, wait=True)

    def delete_all(self) -> None:
        for cls in self.all_classes():
            if cls.exists():
                cls.delete_table()

    def _meta(self, table_name: str) -> type:
        c = self.config
        return type(
            "Meta",
            (),
            {
                "table_name": table_name,
                "region": c.region,
                "host": c.endpoint_url,
                "billing_mode": BILLING,
                "connect_timeout_seconds": c.connect_timeout_seconds,
                "read_timeout_seconds": c.read_timeout_seconds,
            },
        )

    def _build(self, model: Model) -> type[PynamoModel]:
        meta = self._meta(self.config.table_prefix + model.store_name)
        if not model.is_session:
            # Every change of a record reaches the subscriptions through its table's stream.
            meta.stream_view_type = STREAM_VIEW  # type: ignore[attr-defined]
        attrs: dict[str, Any] = {
            "Meta": meta,
            VERSION_ATTRIBUTE: NumberAttribute(null=True, attr_name=VERSION),
        }
        for field in model.stored_fields():
            attrs[python_name(field)] = attribute_for(field)
        if model.is_session:
            attrs.update(session_attributes())
        if model.name == USER_MODEL:
            attrs.update(user_attributes())
        for field in model.indexed_fields():
            key_name = index_attribute_name(field)
            attrs[key_name] = UnicodeAttribute(null=True, attr_name=key_name)
            index_meta = type("Meta", (), {"index_name": index_name(field), "projection": AllProjection()})
            index_class = type(
                f"{model.name}_{field.name}_index",
                (GlobalSecondaryIndex,),
                {"Meta": index_meta, key_name: UnicodeAttribute(hash_key=True, attr_name=key_name)},
            )
            attrs[f"index_{field.name}"] = index_class()
        for field in model.pointers():
            if field.relation is not None and field.relation.indexed:
                attrs[f"link_{field.name}"] = _link_index(model, field)()
        for number, index in enumerate(model.sorted_indexes):
            hash_name, range_name = sorted_keys.hash_attribute(model, index), sorted_keys.range_attribute(model, index)
            attrs[f"sorted_{number}_hash"] = UnicodeAttribute(null=True, attr_name=hash_name)
            attrs[f"sorted_{number}_range"] = UnicodeAttribute(null=True, attr_name=range_name)
            attrs[f"sorted_{number}"] = _sorted_index(model, number, index)()
        return type(model.name, (PynamoModel,), attrs)


def _sorted_index(model: Model, number: int, index: SortedIndex) -> type[GlobalSecondaryIndex[Any]]:
    """A type-level `@index` (store/sorted_keys.py): whole records, so a page is one Query."""
    meta = type("Meta", (), {"index_name": sorted_keys.index_name(model, index), "projection": AllProjection()})
    return type(
        f"{model.name}_sorted_{number}",
        (GlobalSecondaryIndex,),
        {
            "Meta": meta,
            "partition": UnicodeAttribute(hash_key=True, attr_name=sorted_keys.hash_attribute(model, index)),
            "position": UnicodeAttribute(range_key=True, attr_name=sorted_keys.range_attribute(model, index)),
        },
    )


def _link_index(model: Model, field: Field) -> type[GlobalSecondaryIndex[Any]]:
    """The index of a to-one pointer: one related record's inverse list, in id order, whole
    records (a page of the list is one Query, no reads by id after it)."""
    meta = type("Meta", (), {"index_name": link_index_name(field), "projection": AllProjection()})
    return type(
        f"{model.name}_{field.name}_link",
        (GlobalSecondaryIndex,),
        {
            "Meta": meta,
            "pointer": UnicodeAttribute(hash_key=True, attr_name=field.store_name),
            "record_id": UnicodeAttribute(range_key=True, attr_name="id"),
        },
    )
