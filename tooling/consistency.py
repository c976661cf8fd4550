"""A stage's consistency, checked from the outside: `python -m chalicelib check [--stage S]`.

What every write keeps true, and what this verifies, table page by table page:
- every unique value of a record has its guard item, owned by that record;
- every guard item belongs to a record that still holds that value;
- every indexed field's shadow key (`_ix_<field>`) matches the field's value;
- every ordered index's keys (`@index(fields, sortBy)`, store/sorted_keys.py) are what the
  record's values give: none missing, none stale, and no partition key where a null field keeps
  the record out of the index;
- every pointer with an inverse points to a record that exists, and a one-to-one's partner points
  back (a to-many stores nothing in its record: its list is the children's pointers, or edges);
- every edge is of a relation of the schema, between records that exist;
- every counter (store/counters.py) holds the number of records it counts.

An edge of a relation a migration took out of the schema (with its model, or alone) is kept, as
migrations keep data, and found as `Kept` where the stage's state lists its key.

A link to a deleted record is not an inconsistency while the deletion's pending-cleanup item is
there: the cleanup job (chalicelib/store/cleanup.py) has yet to remove it. Such links are found as
`Pending`, apart from the `Problem`s; without the item, the link is broken.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.api.ids import is_id_of
from chalicelib.schema.registry import Field, Model, Storage
from chalicelib.store import counters, edges, sorted_keys
from chalicelib.store.attributes import index_attribute_name, index_key
from chalicelib.store.object_work import is_object_work
from chalicelib.store.records import Record, RecordStore, cleanup_key, guard_key, sorted_attributes
from chalicelib.store.sizes import KeyTooLarge
from chalicelib.store.tables import EdgeBase, GuardBase

PAGE = 500


@dataclass(frozen=True)
class Problem:
    kind: str
    model: str
    record_id: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.model} {self.record_id}: {self.detail}"


@dataclass(frozen=True)
class Pending:
    """A link to a deleted record that the cleanup job has yet to remove: not an inconsistency.
    `deleted_model` / `deleted_id` name the deleted record."""

    model: str
    record_id: str
    detail: str
    deleted_model: str
    deleted_id: str

    def __str__(self) -> str:
        return f"pending cleanup: {self.model} {self.record_id}: {self.detail}"


@dataclass(frozen=True)
class Kept:
    """A link of a relation the schema no longer has, which the stage keeps (a model or relation
    removed by `migrate`, which keeps data): not an inconsistency."""

    key: str
    source_id: str
    target_id: str

    def __str__(self) -> str:
        return f"kept: edge {self.key} {self.source_id} -> {self.target_id}"


Finding = Problem | Pending | Kept


def check(store: RecordStore) -> Iterator[Problem]:
    """The inconsistencies of the stage, as found."""
    return (finding for finding in audit(store) if isinstance(finding, Problem))


def audit(store: RecordStore, kept: frozenset[str] = frozenset()) -> Iterator[Finding]:
    """The inconsistencies of the stage, and the links that await the cleanup job, as found; edges
    under the keys `kept` (of relations the schema no longer has, see tooling/migrations) are
    found as kept."""
    registry = store.tables.registry
    owners: dict[str, tuple[Model, Field]] = {}
    for model in registry:
        for field in model.unique_fields():
            if not field.is_id:
                owners[f"{model.store_name}#{field.store_name}#"] = (model, field)
    counted: Counter[str] = Counter()
    for model in registry:
        for page in store.scan_pages(model, None, None, PAGE):
            yield from _records(store, model, page.records)
            for record in page.records:
                counted.update(counters.counters_of(model, record))
    yield from _edges(store, kept)
    yield from _guards(store, owners)
    yield from _counters(store, counted)


def _counters(store: RecordStore, counted: Counter[str]) -> Iterator[Problem]:
    """Every counter whose stored count differs from the records it counts."""
    models = {model.store_name: model.name for model in store.tables.registry}
    stored = counters.stored(store.tables)
    for key in sorted(counted.keys() | stored.keys()):
        if counted[key] != stored[key]:
            model = models.get(key.split("#", 1)[0], key.split("#", 1)[0])
            yield Problem("counter", model, key, f"stores {stored[key]}, counts {counted[key]} records")


def _records(store: RecordStore, model: Model, records: list[Record]) -> Iterator[Finding]:
    cls = store.tables.model_class(model.name)
    keys = {g.key: g.owner for g in _guards_of(store, model, records)}
    raw = {item.attribute_values["id"]: item.attribute_values for item in cls.batch_get([r["id"] for r in records])}
    for record in records:
        for field in model.indexed_fields():
            value = record.get(field.name)
            shadow = raw.get(record["id"], {}).get(index_attribute_name(field))
            expected = None if value is None else index_key(field, value)
            if shadow != expected:
                yield Problem("index", model.name, record["id"], f"{field.name}: index key {shadow!r}, value {value!r}")
            if field.unique and value is not None:
                owner = keys.get(guard_key(model, field, value))
                if owner != record["id"]:
                    yield Problem("guard", model.name, record["id"], f"{field.name}={value!r} is guarded for {owner!r}")
        yield from _sorted_keys(model, record, raw.get(record["id"], {}))
    yield from _relations(store, model, records)


def _sorted_keys(model: Model, record: Record, stored: Mapping[str, Any]) -> Iterator[Problem]:
    """The keys of `model`'s ordered indexes stored with `record` (its item's attributes, by python
    name), against those its values give, as every write stores them (`sorted_attributes`)."""
    if not model.sorted_indexes:
        return
    try:
        expected = sorted_attributes(model, record)
    except KeyTooLarge as error:
        yield Problem("sorted index", model.name, record["id"], str(error))
        return
    for number, index in enumerate(model.sorted_indexes):
        name = sorted_keys.index_name(model, index)
        # The python names store/tables.py gives the index's hash and range attributes.
        for part in ("hash", "range"):
            attribute = f"sorted_{number}_{part}"
            found, wanted = stored.get(attribute), expected.get(attribute)
            if found == wanted:
                continue
            if found is None:
                detail = f"{name}: no {part} key, where its values give {wanted!r}"
            elif wanted is None:
                detail = f"{name}: {part} key {found!r}, where its values keep it out of the index"
            else:
                detail = f"{name}: {part} key {found!r}, where its values give {wanted!r}"
            yield Problem("sorted index", model.name, record["id"], detail)


def _guards_of(store: RecordStore, model: Model, records: list[Record]) -> list[GuardBase]:
    keys = [
        guard_key(model, f, r[f.name])
        for r in records
        for f in model.unique_fields()
        if not f.is_id and r.get(f.name) is not None
    ]
    return list(store.tables.guard.batch_get(keys)) if keys else []


def _relations(store: RecordStore, model: Model, records: list[Record]) -> Iterator[Finding]:
    """The pointers of `records`: to a record that exists or awaits cleanup, and for a one-to-one
    pointed back at. A to-many stores nothing in the record (the children's pointers, or edges)."""
    registry = store.tables.registry
    for field in model.pointers():
        assert field.relation is not None
        if field.relation.inverse is None:
            continue  # a one-way link: nothing unlinks it, and reads skip it once its target is gone
        target = registry.model(field.type_name)
        inverse = target.fields[field.relation.inverse]
        linked = [(r["id"], r[field.name]) for r in records if r.get(field.name) is not None]
        found = store.batch_get(target, {other_id for _, other_id in linked})
        # Children of a deleted parent keep pointing at it until the cleanup job unsets them; a
        # one-to-one partner lets go in the transaction that deletes it.
        pending = _pending(store, target, {o for _, o in linked if o not in found}) if field.relation.indexed else set()
        for record_id, other_id in linked:
            other = found.get(other_id)
            if other is None:
                link = f"{field.name} -> {other_id}"
                if other_id in pending:
                    yield Pending(model.name, record_id, f"{link}, deleted", target.name, other_id)
                else:
                    yield Problem("relation", model.name, record_id, f"{link}, which does not exist")
            elif inverse.storage is Storage.POINTER and other.get(inverse.name) != record_id:
                detail = f"{field.name} -> {other_id}, whose {inverse.name} does not point back"
                yield Problem("relation", model.name, record_id, detail)


def _edges(store: RecordStore, kept: frozenset[str]) -> Iterator[Finding]:
    """Every edge: of a relation of the schema (or one kept), and between records that exist or
    await cleanup."""
    relations = edges.relations(store.tables.registry)
    for page in store.tables.edge.scan(page_size=PAGE, consistent_read=True).page_iter:
        items = [store.tables.edge.from_raw_data(raw) for raw in page.get("Items", ())]
        by_key: dict[str, list[EdgeBase]] = {}
        for item in items:
            key = item.source[: -len(item.source_id) - 1]
            if key in kept and key not in relations:
                yield Kept(key, item.source_id, item.target_id)
                continue
            if (
                key not in relations
                or item.source != f"{key}#{item.source_id}"
                or item.target != f"{key}#{item.target_id}"
            ):
                yield Problem(
                    "edge", "?", item.source_id, f"edge {item.source!r} -> {item.target_id!r} names no relation"
                )
                continue
            by_key.setdefault(key, []).append(item)
        for key, found in by_key.items():
            ends = relations[key]
            sources = _existing(store, ends.source, {e.source_id for e in found})
            targets = {
                target.name: _existing(store, target, {e.target_id for e in found if _of(ends, e.target_id, target)})
                for target in ends.targets
            }
            for edge in found:
                target = next((t for t in ends.targets if _of(ends, edge.target_id, t)), None)
                if target is None:
                    link = f"edge {key} {edge.source_id} -> {edge.target_id}"
                    detail = f"{link}: {edge.target_id} is of no model it may link"
                    yield Problem("relation", "?", edge.target_id, detail)
                    continue
                for end, other_id, existing in (
                    (ends.source, edge.source_id, sources),
                    (target, edge.target_id, targets[target.name]),
                ):
                    if other_id in existing.records:
                        continue
                    link = f"edge {key} {edge.source_id} -> {edge.target_id}"
                    if other_id in existing.pending:
                        yield Pending(end.name, other_id, f"{link}, {other_id} deleted", end.name, other_id)
                    else:
                        yield Problem("relation", end.name, other_id, f"{link}: {other_id} does not exist")


def _of(ends: edges.Ends, record_id: str, target: Model) -> bool:
    """Whether the edge's target `record_id` is looked for among `target`'s records: the one model
    of a relation to a model, the one its id names of an interface or union's."""
    return len(ends.targets) == 1 or is_id_of(record_id, target.name)


@dataclass(frozen=True)
class _Existing:
    records: set[str]
    pending: set[str]  # of the others, those awaiting cleanup


def _existing(store: RecordStore, model: Model, ids: set[str]) -> _Existing:
    records = set(store.batch_get(model, ids))
    return _Existing(records, _pending(store, model, ids - records))


def _pending(store: RecordStore, model: Model, ids: set[str]) -> set[str]:
    """Of the ids of deleted records of `model`, those with a pending-cleanup item."""
    if not ids:
        return set()
    keys = {cleanup_key(model, i): i for i in ids}
    return {keys[item.key] for item in store.tables.cleanup.batch_get(list(keys))}


def pending_count(store: RecordStore) -> int:
    """The deleted records awaiting the cleanup job (not the bucket work it also finishes)."""
    pages = store.tables.cleanup.scan(page_size=PAGE, attributes_to_get=["key"]).page_iter
    return sum(1 for page in pages for raw in page.get("Items", ()) if not is_object_work(raw["key"]["S"]))


def _guards(store: RecordStore, owners: dict[str, tuple[Model, Field]]) -> Iterator[Problem]:
    for page in store.tables.guard.scan(page_size=PAGE).page_iter:
        items = [store.tables.guard.from_raw_data(raw) for raw in page.get("Items", ())]
        by_model: dict[str, list[tuple[GuardBase, Model, Field]]] = {}
        for guard in items:
            prefix = next((p for p in owners if guard.key.startswith(p)), None)
            if prefix is None:
                yield Problem("guard", "?", guard.owner, f"guard {guard.key!r} names no unique field")
                continue
            model, field = owners[prefix]
            by_model.setdefault(model.name, []).append((guard, model, field))
        for entries in by_model.values():
            model = entries[0][1]
            found = store.batch_get(model, [g.owner for g, _, _ in entries])
            for guard, _, field in entries:
                record = found.get(guard.owner)
                value = record.get(field.name) if record else None
                if record is None or value is None or guard_key(model, field, value) != guard.key:
                    yield Problem("guard", model.name, guard.owner, f"orphan guard {guard.key!r}")
