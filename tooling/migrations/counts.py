"""Counters a migration starts (store/counters.py): computed from the records and written whole at
the end of the backfill, as the command-line import does; and, after the switch, counters the
schema no longer keeps, removed (the old schema's server moves them until then).

Only new counters are computed (a type-level `@index` added, or its `fields` changed): no server
keeps them yet, so nothing else writes them meanwhile. Counters the stage already kept are left
to the writes that keep them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from chalicelib.schema.registry import Registry
from chalicelib.store import batch, counters
from chalicelib.store.records import to_record
from chalicelib.store.tables import Tables
from tooling.migrations import scans
from tooling.migrations.backfill import Backfill
from tooling.migrations.changes import TOTAL, ModelChange

PAGE = 500


def recount(tables: Tables, counted: list[ModelChange]) -> int:
    """Compute the counters of `counted` from the records and write them (their shards but one
    emptied); the number of counters written."""
    computed: Counter[str] = Counter()
    for change in counted:
        cls = tables.model_class(change.model.name)
        for items, _ in Backfill(tables, change).pages(None):
            for raw in items:
                computed.update(change.counters_of(to_record(change.model, cls.from_raw_data(raw))))
    stale, right = [], set()
    for item in _items(tables):
        key = item["key"]["S"]
        counter, _, shard = key.rpartition("#")
        if not _fresh(counter, counted):
            continue
        if shard == "0" and computed.get(counter) == int(item.get("n", {}).get("N", "0")):
            right.add(counter)
        else:
            stale.append(key)
    _delete(tables, stale)
    counters.write_counts(tables, {c: n for c, n in computed.items() if c not in right})
    return len(computed)


def drop_unkept(tables: Tables) -> int:
    """Remove every counter item the schema does not keep; the number removed."""
    stale = [
        item["key"]["S"] for item in _items(tables) if not _kept(item["key"]["S"].rpartition("#")[0], tables.registry)
    ]
    _delete(tables, stale)
    return len(stale)


def _delete(tables: Tables, keys: list[str]) -> None:
    requests = [{"DeleteRequest": {"Key": {"key": {"S": key}}}} for key in keys]
    batch.batch_write(tables.connection.client, tables.counter.Meta.table_name, requests, tables.backoff)


def _items(tables: Tables) -> Iterator[dict[str, Any]]:
    for page, _ in scans.pages(tables.connection.client, tables.counter.Meta.table_name, PAGE):
        yield from page


def _fresh(counter: str, counted: list[ModelChange]) -> bool:
    """Whether `counter` is one of those being computed."""
    for change in counted:
        for fields in change.counted:
            if fields == TOTAL and counter == counters.total(change.model):
                return True
            if fields != TOTAL and counter.startswith(counters.of_value(change.model, fields, "")):
                return True
    return False


def _kept(counter: str, registry: Registry) -> bool:
    """Whether the schema keeps `counter`."""
    for model in registry:
        if not model.sorted_indexes:
            continue
        if counter == counters.total(model):
            return True
        if any(counter.startswith(counters.of_value(model, f, "")) for f in counters.counted_fields(model)):
            return True
    return False
