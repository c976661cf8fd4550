"""Per-request batch loading, so relations cost a batch per level, never a call per record.

Records resolved together (the items of one list) form a group. The first time a relation field
is resolved on any record of a group, the related ids of the whole group are loaded at once
(100 ids per BatchGetItem), and the loaded records form the next group. Records already loaded in
the request are not read again.

Related records come back only if the caller may read them (`Readable`, the permission check of
the request): a relation filter, a relation field or an `exists` never sees past a hidden record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chalicelib.schema.registry import Field, Model, Registry
from chalicelib.store.record import Record
from chalicelib.store.records import RecordStore

# Whether the caller may read a record of a model.
Readable = Callable[[Model, Record], bool]


def related_ids(field: Field, record: Record) -> list[str]:
    value = record.get(field.name)
    if value is None:
        return []
    return list(value) if field.is_list else [value]


class Loader:
    def __init__(self, registry: Registry, store: RecordStore, readable: Readable) -> None:
        self.registry = registry
        self.store = store
        self.readable = readable
        self._records: dict[tuple[str, str], Record | None] = {}
        self._groups: dict[int, list[Record]] = {}
        self._loaded: set[tuple[int, str]] = set()

    def load(self, model: Model, ids: Iterable[str]) -> dict[str, Record]:
        """The records of `ids` that exist, reading only those not read yet in this request."""
        ids = list(dict.fromkeys(ids))
        missing = [i for i in ids if (model.name, i) not in self._records]
        if missing:
            found = self.store.batch_get(model, missing)
            for record_id in missing:
                self._records[(model.name, record_id)] = found.get(record_id)
        result = {i: self._records[(model.name, i)] for i in ids}
        return {i: r for i, r in result.items() if r is not None}

    def group(self, model: Model, records: list[Record]) -> list[Record]:
        """Make `records` one group (the items of a list), and cache them for later reads by id."""
        for record in records:
            self._records[(model.name, record["id"])] = record
            self._groups[id(record)] = records
        return records

    def _join(self, model: Model, records: list[Record]) -> None:
        """Group `records` unless they already belong to one: a level keeps its first, widest group."""
        ungrouped = [r for r in records if id(r) not in self._groups]
        self.group(model, ungrouped)

    def related(self, field: Field, record: Record) -> list[Record]:
        """`record`'s related records through `field` that the caller may read, loading them for its
        whole group at once."""
        group = self._groups.get(id(record)) or self.group(self._model_of(field, record), [record])
        key = (id(group), field.name)
        target = self.registry.model(field.type_name)
        if key not in self._loaded:
            ids = [i for member in group for i in related_ids(field, member)]
            loaded = self.load(target, ids)
            self._join(target, list(loaded.values()))
            self._loaded.add(key)
        found = self.load(target, related_ids(field, record))
        return [found[i] for i in related_ids(field, record) if i in found and self.readable(target, found[i])]

    def fresh(self) -> Loader:
        """A loader for the same caller that has read nothing yet."""
        return Loader(self.registry, self.store, self.readable)

    def prefetch(self, model: Model, records: list[Record], paths: list[tuple[Field, ...]]) -> None:
        """Load, level by level and in batches, every relation the where-clause will look through."""
        self._join(model, records)
        for path in paths:
            level = records
            for field in path:
                level = [r for record in level for r in self.related(field, record)]

    def _model_of(self, field: Field, record: Record) -> Model:
        for model in self.registry:
            if model.fields.get(field.name) is field:
                return model
        raise KeyError(f"no model has field {field.name} of record {record.get('id')}")
