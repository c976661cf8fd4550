"""A stage's consistency, checked from the outside: `python -m chalicelib check [--stage S]`.

What every write keeps true, and what this verifies, table page by table page:
- every unique value of a record has its guard item, owned by that record;
- every guard item belongs to a record that still holds that value;
- every indexed field's shadow key (`_ix_<field>`) matches the field's value;
- both sides of every relation with an inverse agree, and no relation points to a missing record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from chalicelib.query.loader import related_ids
from chalicelib.schema.registry import Field, Model
from chalicelib.store.attributes import index_attribute_name, index_key
from chalicelib.store.records import Record, RecordStore, guard_key
from chalicelib.store.tables import GuardBase

PAGE = 500


@dataclass(frozen=True)
class Problem:
    kind: str
    model: str
    record_id: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.model} {self.record_id}: {self.detail}"


def check(store: RecordStore) -> Iterator[Problem]:
    registry = store.tables.registry
    owners: dict[str, tuple[Model, Field]] = {}
    for model in registry:
        for field in model.unique_fields():
            if not field.is_id:
                owners[f"{model.store_name}#{field.store_name}#"] = (model, field)
    for model in registry:
        for page in store.scan_pages(model, None, None, PAGE):
            yield from _records(store, model, page.records)
    yield from _guards(store, owners)


def _records(store: RecordStore, model: Model, records: list[Record]) -> Iterator[Problem]:
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
    yield from _relations(store, model, records)


def _guards_of(store: RecordStore, model: Model, records: list[Record]) -> list[GuardBase]:
    keys = [
        guard_key(model, f, r[f.name])
        for r in records
        for f in model.unique_fields()
        if not f.is_id and r.get(f.name) is not None
    ]
    return list(store.tables.guard.batch_get(keys)) if keys else []


def _relations(store: RecordStore, model: Model, records: list[Record]) -> Iterator[Problem]:
    registry = store.tables.registry
    for field in model.relations():
        target = registry.model(field.type_name)
        wanted = {i for r in records for i in related_ids(field, r)}
        found = store.batch_get(target, wanted)
        inverse = target.fields.get(field.relation.inverse) if field.relation and field.relation.inverse else None
        for record in records:
            for other_id in related_ids(field, record):
                other = found.get(other_id)
                if other is None:
                    if inverse is not None:
                        yield Problem("relation", model.name, record["id"], f"{field.name} -> missing {other_id}")
                    continue
                if inverse is not None and record["id"] not in related_ids(inverse, other):
                    detail = f"{field.name} -> {other_id}, whose {inverse.name} does not point back"
                    yield Problem("relation", model.name, record["id"], detail)


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
