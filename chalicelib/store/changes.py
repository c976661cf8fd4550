"""The writes of one mutation, gathered before anything is sent, then committed as one transaction.

Every record carries a version (`_v`), set to 1 when it is created and incremented by every
write. A write planned from what was read names that version (`version`), so it lands only if
nothing changed the record in between: that keeps conditions on relations, list pulls and unique
moves atomic without locks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib.schema.registry import Direction, Field, Model
from chalicelib.store.record import Record

VERSION = "_v"
# The label model of a spent key's marker (see `Changes.spend`).
SPENT = "#spent"


@dataclass
class Update:
    """Changes to one existing record, made only if it still exists and its expectations hold."""

    model: Model
    record_id: str
    assign: dict[str, Any] = field(default_factory=dict)  # a value of None removes the field
    push: dict[str, list[Any]] = field(default_factory=dict)  # appended atomically to a list
    expect: dict[str, Any] = field(default_factory=dict)  # a field's current value; None for absent
    version: int | None = None  # the version read, when the write depends on what was read
    condition: Condition | None = None  # the client's conditions, compiled
    claim: dict[str, Any] = field(default_factory=dict)  # unique values taken: new guards
    release: dict[str, Any] = field(default_factory=dict)  # unique values given up: guards removed
    # The record as read, when it was: what an ordered index's keys need beyond `assign` (see
    # store/records.py `needs_current`).
    current: Record | None = None
    # Attributes beyond the model's fields to remove, by their item class's names (`user_attributes`).
    remove: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Edge:
    """A link of a to-many relation stored as edges (`Storage.EDGES`), seen from `record_id`."""

    field: Field
    record_id: str
    other_id: str

    @property
    def ends(self) -> tuple[str, str]:
        """(source id, target id) of the edge as stored: from the side its edge key names, or for a
        relation that is its own inverse, from the smaller id. `follows` and `followers` of one
        model are one relation in two directions: A follows B and B follows A are two edges."""
        assert self.field.relation is not None
        direction = self.field.relation.direction
        if direction is Direction.FORWARD:
            return self.record_id, self.other_id
        if direction is Direction.BACKWARD:
            return self.other_id, self.record_id
        low, high = sorted((self.record_id, self.other_id))
        return low, high

    @property
    def key(self) -> tuple[str, str, str]:
        """The same for both ends of one link, and only for that link."""
        assert self.field.relation is not None
        return (self.field.relation.edge_key, *self.ends)


@dataclass
class Delete:
    """A record removed with its unique guards; `record` is its state as read."""

    model: Model
    record: Record
    condition: Condition | None = None


@dataclass(frozen=True)
class ObjectWork:
    """Bucket work once the write has committed (store/object_work.py): the object at `key` moved
    there from `source` if its bytes are still `etag`'s, or, with no source, deleted."""

    key: str
    source: str | None = None
    etag: str | None = None

    def __str__(self) -> str:
        return f"moving {self.source} to {self.key}" if self.source else f"deleting {self.key}"


@dataclass
class Changes:
    puts: list[tuple[Model, Record]] = field(default_factory=list)
    updates: dict[tuple[str, str], Update] = field(default_factory=dict)
    deletes: dict[tuple[str, str], Delete] = field(default_factory=dict)
    # Records the write depends on: at the version read (e.g. for a condition on a relation), or,
    # with None, merely still there (e.g. the target of a one-way connect).
    checks: dict[tuple[str, str], tuple[Model, int | None]] = field(default_factory=dict)
    # Edges written (True) or removed (False), the last word on each link winning.
    edges: dict[tuple[str, str, str], tuple[Edge, bool]] = field(default_factory=dict)
    # Single-use keys the write spends (an upload token's), each with when its marker may expire
    # (epoch seconds): the write fails if one was spent before (label `SPENT`).
    spend: dict[str, int] = field(default_factory=dict)
    # Bucket work to do once the write has committed, by object key: recorded in its transaction.
    objects: dict[str, ObjectWork] = field(default_factory=dict)

    def put(self, model: Model, record: Record) -> None:
        self.puts.append((model, record))

    def update(self, model: Model, record_id: str) -> Update:
        """The pending update of a record, merged with any earlier one of the same mutation."""
        key = (model.name, record_id)
        if key not in self.updates:
            self.updates[key] = Update(model, record_id)
        return self.updates[key]

    def remove(self, model: Model, record: Record) -> Delete:
        key = (model.name, record["id"])
        self.updates.pop(key, None)
        self.deletes[key] = Delete(model, record)
        return self.deletes[key]

    def link(self, edge: Edge) -> None:
        self.edges[edge.key] = (edge, True)

    def unlink(self, edge: Edge) -> None:
        self.edges[edge.key] = (edge, False)

    def check(self, model: Model, record: Record) -> None:
        self.checks[(model.name, record["id"])] = (model, record.get(VERSION) or 0)

    def check_exists(self, model: Model, record_id: str) -> None:
        self.checks.setdefault((model.name, record_id), (model, None))

    def created(self, model: Model, record_id: str) -> Record | None:
        return next((r for m, r in self.puts if m.name == model.name and r["id"] == record_id), None)

    def deleted(self, model: Model, record_id: str) -> bool:
        return (model.name, record_id) in self.deletes
