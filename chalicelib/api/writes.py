"""Turning create input, nested relation writes included, into the changes of one transaction.

Both sides of a relation are written together. Connecting a record whose to-one inverse points
elsewhere moves it: the old partner loses it in the same transaction, which is conditional on the
record still pointing where it did when it was read, so a concurrent move cannot be lost.
"""

from __future__ import annotations

from typing import Any

from chalicelib.access.context import RequestContext
from chalicelib.access.permissions import Action, authorize
from chalicelib.api import ids, scalars
from chalicelib.api.unique import find_unique, unique_keys
from chalicelib.errors import RECORD_NOT_FOUND, ApiError
from chalicelib.passwords import hash_password
from chalicelib.schema.registry import Field, Model, Registry
from chalicelib.store.changes import Changes
from chalicelib.store.records import Record, RecordStore


class CreatePlan:
    def __init__(self, registry: Registry, store: RecordStore, context: RequestContext) -> None:
        self.registry = registry
        self.store = store
        self.context = context
        self.changes = Changes()

    def create(self, model: Model, data: dict[str, Any]) -> Record:
        """Plan a new record of `model` from create input; returns it as it will be stored."""
        authorize(self.context, model, Action.CREATE)
        record = new_record(model, data)
        self.changes.put(model, record)
        for field in model.relations():
            nested = data.get(field.name)
            if nested is None:
                continue
            for child in _as_list(nested.get("create")):
                created = self.create(self.registry.model(field.type_name), child)
                self._link(model, record, field, created)
            for where in _as_list(nested.get("connect")):
                self._connect(model, record, field, where)
        return record

    def _connect(self, model: Model, record: Record, field: Field, where: dict[str, Any]) -> None:
        target = self.registry.model(field.type_name)
        authorize(self.context, target, Action.UPDATE)
        found = self.changes.created(target, where.get("id", "")) or find_unique(
            self.store, target, unique_keys(target, where)
        )
        if found is None:
            keys = ", ".join(f"{k}: {v!r}" for k, v in where.items())
            raise ApiError(RECORD_NOT_FOUND, f"{model.name}.{field.name}: no {target.name} with {keys} to connect")
        self._link(model, record, field, found, existing=True)

    def _link(self, model: Model, record: Record, field: Field, other: Record, *, existing: bool = False) -> None:
        """Relate the new `record` to `other` through `field`, and `other` back through the inverse."""
        assert field.relation is not None
        if field.is_list:
            record[field.name] = sorted({*(record.get(field.name) or ()), other["id"]})
        else:
            record[field.name] = other["id"]
        inverse_name = field.relation.inverse
        if inverse_name is None:
            return
        target = self.registry.model(field.type_name)
        inverse = target.fields[inverse_name]
        if not existing:
            if inverse.is_list:
                other[inverse_name] = sorted({*(other.get(inverse_name) or ()), record["id"]})
            else:
                other[inverse_name] = record["id"]
            return
        update = self.changes.update(target, other["id"])
        if inverse.is_list:
            update.link(inverse_name, record["id"])
            return
        previous = other.get(inverse_name)
        update.assign[inverse_name] = record["id"]
        update.expect[inverse_name] = previous
        if previous is not None:
            # `other` was related to another record of `model`: that one lets go of it.
            self._release(model, previous, field, other["id"])

    def _release(self, model: Model, record_id: str, field: Field, other_id: str) -> None:
        update = self.changes.update(model, record_id)
        if field.is_list:
            update.unlink(field.name, other_id)
        else:
            update.assign[field.name] = None
            update.expect[field.name] = other_id


def new_record(model: Model, data: dict[str, Any]) -> Record:
    """A new record's scalars from create input: server id, `@default`s, timestamps, hashed passwords."""
    now = scalars.now()
    record: Record = {"id": ids.new_id(model.name)}
    for field in model.scalars():
        if field.is_id:
            continue
        if field.name in data and field.writable:
            value = data[field.name]
        elif field.timestamp is not None:
            value = now
        elif field.has_default:
            value = field.default
        else:
            continue
        if field.type_name == "Password" and value is not None:
            value = hash_password(value)
        record[field.name] = value
    return record


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
