"""Records of the schema's models, read and written as plain dicts `{field name: value}`.

Reads by id are strongly consistent. Reads by a unique field go through its index, which
DynamoDB keeps eventually consistent: a value changed a moment ago may still be found under the
old one for a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.models import Model as PynamoModel

from chalicelib.schema.registry import Field, Model
from chalicelib.store.attributes import index_attribute_name, index_key, python_name, serialize
from chalicelib.store.changes import Changes, Update
from chalicelib.store.tables import GuardBase, Tables
from chalicelib.store.transaction import Label, Transaction

Record = dict[str, Any]
Key = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Page:
    """One Scan or Query response: its records, where to resume (None at the end), items examined."""

    records: list[Record]
    last_key: Key | None
    scanned: int


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

    def batch_get(self, model: Model, ids: Iterable[str]) -> dict[str, Record]:
        """Records by id, 100 keys a BatchGetItem; ids with no record are absent from the result."""
        cls = self.tables.model_class(model.name)
        wanted = set(ids)
        if not wanted:
            return {}
        records = (_to_record(model, item) for item in cls.batch_get(wanted, consistent_read=True))
        return {record["id"]: record for record in records}

    def scan_pages(
        self, model: Model, condition: Condition | None, start: Key | None, page_size: int
    ) -> Iterator[Page]:
        """The table in scan order (stable for a given table), page by page, from after `start`."""
        cls = self.tables.model_class(model.name)
        pages = cls.scan(filter_condition=condition, last_evaluated_key=start, page_size=page_size).page_iter
        return self._pages(model, cls, pages)

    def index_pages(
        self, model: Model, field: Field, value: Any, condition: Condition | None, start: Key | None, page_size: int
    ) -> Iterator[Page]:
        """The records whose indexed `field` equals `value`, through its index, page by page."""
        cls = self.tables.model_class(model.name)
        index = getattr(cls, f"index_{field.name}")
        pages = index.query(
            index_key(field, value), filter_condition=condition, last_evaluated_key=start, page_size=page_size
        ).page_iter
        return self._pages(model, cls, pages)

    def _pages(self, model: Model, cls: type[PynamoModel], pages: Iterator[Any]) -> Iterator[Page]:
        for page in pages:
            records = [_to_record(model, cls.from_raw_data(raw)) for raw in page.get("Items", ())]
            yield Page(records, page.get("LastEvaluatedKey"), page["ScannedCount"])

    def write(self, changes: Changes) -> None:
        """Commit a mutation's changes in one transaction: new records with their unique guards,
        updates conditional on their records still existing (and on any expected values)."""
        transaction = Transaction(self.tables.connection)
        for model, record in changes.puts:
            cls = self.tables.model_class(model.name)
            label = Label(model.name, record_id=record["id"])
            transaction.put(_to_item(cls, model, record), record["id"], Path("id").does_not_exist(), label)
            for field in model.indexed_fields():
                value = record.get(field.name)
                if field.unique and value is not None:
                    key = guard_key(model, field, value)
                    guard = self.tables.guard(key=key, owner=record["id"])
                    guard_label = Label(model.name, field.name)
                    transaction.put(guard, key, GuardBase.key.does_not_exist(), guard_label)
        for update in changes.updates.values():
            cls = self.tables.model_class(update.model.name)
            condition = Path("id").exists()
            for name, value in update.expect.items():
                field = update.model.fields[name]
                path = Path(field.store_name)
                condition &= path.does_not_exist() if value is None else path == serialize(field, value)
            label = Label(update.model.name, record_id=update.record_id)
            item = cls(update.record_id)
            transaction.update(item, update.record_id, _actions(update), condition, label)
        transaction.commit()


def guard_key(model: Model, field: Field, value: Any) -> str:
    return f"{model.store_name}#{field.store_name}#{index_key(field, value)}"


def _actions(update: Update) -> list[Action]:
    actions: list[Action] = []
    for name, value in update.assign.items():
        field = update.model.fields[name]
        path = Path(field.store_name)
        actions.append(path.remove() if value is None else path.set(serialize(field, value)))
    for name, ids in update.add.items():
        if ids:
            actions.append(Path(update.model.fields[name].store_name).add({"SS": sorted(ids)}))
    for name, ids in update.delete.items():
        if ids:
            actions.append(Path(update.model.fields[name].store_name).delete({"SS": sorted(ids)}))
    return actions


def _to_item(cls: type[PynamoModel], model: Model, record: Record) -> PynamoModel:
    values: dict[str, Any] = {}
    for field in model.fields.values():
        value = record.get(field.name)
        if value is None or (field.is_relation and field.is_list and not value):
            continue
        values[python_name(field)] = set(value) if field.is_relation and field.is_list else value
        if not field.is_id and (field.unique or field.indexed):
            values[index_attribute_name(field)] = index_key(field, value)
    return cls(**values)


def _to_record(model: Model, item: PynamoModel) -> Record:
    record = {field.name: getattr(item, python_name(field)) for field in model.fields.values()}
    for field in model.relations():
        if field.is_list:
            record[field.name] = sorted(record[field.name] or ())
    return record
