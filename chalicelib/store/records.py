"""Records of the schema's models, read and written as plain dicts `{field name: value}`.

Reads by id are strongly consistent. Reads by a unique field go through its index, which
DynamoDB keeps eventually consistent: a value changed a moment ago may still be found under the
old one for a fraction of a second.
"""

from __future__ import annotations

from typing import Any

from pynamodb.expressions.operand import Path
from pynamodb.models import Model as PynamoModel

from chalicelib.schema.registry import Field, Model
from chalicelib.store.attributes import index_attribute_name, index_key, python_name
from chalicelib.store.tables import GuardBase, Tables
from chalicelib.store.transaction import Label, Transaction

Record = dict[str, Any]


class RecordStore:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def get(self, model: Model, record_id: str) -> Record | None:
        cls = self.tables.model_class(model.name)
        try:
            item = cls.get(record_id, consistent_read=True)
        except cls.DoesNotExist:
            return None
        return _to_record(model, item)

    def find_unique(self, model: Model, field: Field, value: Any) -> Record | None:
        """The record whose unique `field` holds `value`: one GetItem for `id`, else one index Query."""
        if field.is_id:
            return self.get(model, value)
        cls = self.tables.model_class(model.name)
        index = getattr(cls, f"index_{field.name}")
        for item in index.query(index_key(field, value), limit=1):
            return _to_record(model, item)
        return None

    def scan(self, model: Model, limit: int) -> tuple[list[Record], bool]:
        """Up to `limit` records in the table's (stable) scan order, and whether more exist."""
        cls = self.tables.model_class(model.name)
        items = list(cls.scan(limit=limit + 1, page_size=limit + 1))
        return [_to_record(model, item) for item in items[:limit]], len(items) > limit

    def create(self, model: Model, record: Record) -> Record:
        """Write a new record and a guard per unique value, in one transaction."""
        cls = self.tables.model_class(model.name)
        item = _to_item(cls, model, record)
        transaction = Transaction(self.tables.connection)
        transaction.put(item, Path("id").does_not_exist(), Label(model.name))
        for field in model.indexed_fields():
            value = record.get(field.name)
            if field.unique and value is not None:
                guard = self.tables.guard(key=guard_key(model, field, value), owner=record["id"])
                transaction.put(guard, GuardBase.key.does_not_exist(), Label(model.name, field.name))
        transaction.commit()
        return record


def guard_key(model: Model, field: Field, value: Any) -> str:
    return f"{model.store_name}#{field.store_name}#{index_key(field, value)}"


def _to_item(cls: type[PynamoModel], model: Model, record: Record) -> PynamoModel:
    values: dict[str, Any] = {}
    for field in model.scalars():
        value = record.get(field.name)
        if value is None:
            continue
        values[python_name(field)] = value
        if not field.is_id and (field.unique or field.indexed):
            values[index_attribute_name(field)] = index_key(field, value)
    return cls(**values)


def _to_record(model: Model, item: PynamoModel) -> Record:
    return {field.name: getattr(item, python_name(field)) for field in model.scalars()}
