"""A change of one record, as a DynamoDB Stream record of its table tells it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model as PynamoModel

from chalicelib.schema.registry import Model
from chalicelib.store.record import Record
from chalicelib.store.records import to_record


class Mutation(enum.Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


@dataclass(frozen=True)
class Event:
    model: Model
    mutation: Mutation
    # The record after the change (None for DELETED) and before it (None for CREATED).
    new: Record | None
    old: Record | None
    # For UPDATED, the fields whose values changed, in the model's order.
    updated_fields: tuple[str, ...] | None
    # The stream record's sequence number: its place in its shard, what deduplication counts by.
    sequence: int

    @property
    def record_id(self) -> str:
        record = self.new if self.new is not None else self.old
        assert record is not None
        return str(record["id"])

    @property
    def current(self) -> Record:
        """The record a filter judges: as it is now, or for DELETED as it was."""
        record = self.new if self.new is not None else self.old
        assert record is not None
        return record


def event_of(model: Model, cls: type[PynamoModel], stream_record: dict[str, Any]) -> Event | None:
    """The event of one stream record (DynamoDB's JSON, old and new images) of `model`'s table;
    None when no field a client can read changed (only the store's own attributes did)."""
    change = stream_record["dynamodb"]
    new = _record(model, cls, change.get("NewImage"))
    old = _record(model, cls, change.get("OldImage"))
    sequence = int(change["SequenceNumber"])
    if old is None and new is not None:
        return Event(model, Mutation.CREATED, new, None, None, sequence)
    if new is None and old is not None:
        return Event(model, Mutation.DELETED, None, old, None, sequence)
    if new is None or old is None:
        return None
    changed = tuple(f.name for f in model.stored_fields() if f.readable and new.get(f.name) != old.get(f.name))
    if not changed:
        return None
    return Event(model, Mutation.UPDATED, new, old, changed, sequence)


def _record(model: Model, cls: type[PynamoModel], image: dict[str, Any] | None) -> Record | None:
    return None if not image else to_record(model, cls.from_raw_data(image))
