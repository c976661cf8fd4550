"""Counters: how many records a model holds, and how many hold each value of a type-level `@index`'s
`fields`, kept in the same transaction as the writes that change them.

Only a model with a type-level `@index` keeps counters (its total, and one per distinct `fields`
of its indexes): a write of any other model stays one call.

A counter is spread over `COUNTER_SHARDS` items (`<counter>#<n>`), each its own partition, and its
count is their sum: a transaction adds its summed delta for each counter to one shard, chosen at
random, so that concurrent writers of one counter (every create of a model moves its total)
seldom meet on one item; when two do, DynamoDB cancels one (TransactionConflict) and it is retried
as any conflict is. Reading a count is one BatchGetItem of its shards, whatever it counts.

A counter is exact only if every delta is: an update that changes a counted field holds the version
it read (the old value is then known), a delete holds the version of the record it removes, and a
create holds that its id is new (see store/records.py).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable
from typing import Any

from chalicelib.schema.registry import Model
from chalicelib.store import batch, sorted_keys
from chalicelib.store.tables import Tables

# Shards per counter: concurrent transactions on one counter conflict about 1 in this many times.
COUNTER_SHARDS = 10
# A value key longer than this is hashed: the counter's key must fit a partition key.
LONGEST_VALUE_KEY = 512

Deltas = dict[str, int]


def total(model: Model) -> str:
    return f"{model.store_name}#"


def of_value(model: Model, fields: tuple[str, ...], value_key: str) -> str:
    names = ".".join(model.fields[name].store_name for name in fields)
    if len(value_key.encode()) > LONGEST_VALUE_KEY:
        value_key = "sha256:" + hashlib.sha256(value_key.encode()).hexdigest()
    return f"{model.store_name}#{names}#{value_key}"


def counted_fields(model: Model) -> list[tuple[str, ...]]:
    """The distinct `fields` of the model's type-level indexes that have any: one counter each per value."""
    return list(dict.fromkeys(index.fields for index in model.sorted_indexes if index.fields))


def counters_of(model: Model, record: dict[str, Any]) -> list[str]:
    """The counters `record` (its values, as a dict) is counted in."""
    if not model.sorted_indexes:
        return []
    keys = [total(model)]
    for fields in counted_fields(model):
        value_key = sorted_keys.equality_key(model, fields, [record.get(name) for name in fields])
        if value_key is not None:
            keys.append(of_value(model, fields, value_key))
    return keys


def deltas(model: Model, before: dict[str, Any] | None, after: dict[str, Any] | None) -> Deltas:
    """What a write that turns `before` into `after` (None: no record) adds to each counter."""
    change: Counter[str] = Counter()
    change.update(counters_of(model, after) if after is not None else [])
    change.subtract(counters_of(model, before) if before is not None else [])
    return {key: delta for key, delta in change.items() if delta}


def shard_key(counter: str, shard: int) -> str:
    return f"{counter}#{shard}"


def random_shard() -> int:
    return random.randrange(COUNTER_SHARDS)


def read(tables: Tables, counters: Iterable[str]) -> int:
    """The sum of `counters`, read consistently: one BatchGetItem per 100 shards."""
    keys = [{"key": {"S": shard_key(c, n)}} for c in dict.fromkeys(counters) for n in range(COUNTER_SHARDS)]
    items = batch.batch_get(tables.connection.client, tables.counter.Meta.table_name, keys, tables.backoff)
    return sum(int(item["n"]["N"]) for item in items)


def stored(tables: Tables) -> Counter[str]:
    """Every counter's stored count (a Scan of the counters' table), for the consistency check."""
    found: Counter[str] = Counter()
    for item in tables.counter.scan():
        found[item.key.rsplit("#", 1)[0]] += int(item.n)
    return found


def write_counts(tables: Tables, counts: dict[str, int]) -> None:
    """Set counters to `counts`, 25 items a BatchWriteItem: each count in its shard 0, for a
    restore into an empty stage, where no other shard holds anything."""
    requests = [
        {"PutRequest": {"Item": {"key": {"S": shard_key(counter, 0)}, "n": {"N": str(count)}}}}
        for counter, count in counts.items()
    ]
    batch.batch_write(tables.connection.client, tables.counter.Meta.table_name, requests, tables.backoff)
