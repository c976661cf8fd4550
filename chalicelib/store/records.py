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
from pynamodb.models import Model as PynamoModel

from chalicelib.schema.registry import Field, Model
from chalicelib.store.attributes import index_attribute_name, index_key, python_name
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
