"""The writes of one mutation, gathered before anything is sent, then committed as one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.schema.registry import Model

Record = dict[str, Any]


@dataclass
class Update:
    """Changes to one existing record, made only if it still exists and `expect` still holds."""

    model: Model
    record_id: str
    assign: dict[str, Any] = field(default_factory=dict)  # a value of None removes the field
    add: dict[str, set[str]] = field(default_factory=dict)  # ids added to a to-many
    delete: dict[str, set[str]] = field(default_factory=dict)  # ids taken from a to-many
    expect: dict[str, Any] = field(default_factory=dict)  # a field's current value; None for absent

    def link(self, name: str, record_id: str) -> None:
        self.add.setdefault(name, set()).add(record_id)
        self.delete.get(name, set()).discard(record_id)

    def unlink(self, name: str, record_id: str) -> None:
        self.delete.setdefault(name, set()).add(record_id)
        self.add.get(name, set()).discard(record_id)


@dataclass
class Changes:
    puts: list[tuple[Model, Record]] = field(default_factory=list)
    updates: dict[tuple[str, str], Update] = field(default_factory=dict)

    def put(self, model: Model, record: Record) -> None:
        self.puts.append((model, record))

    def update(self, model: Model, record_id: str) -> Update:
        """The pending update of a record, merged with any earlier one of the same mutation."""
        key = (model.name, record_id)
        if key not in self.updates:
            self.updates[key] = Update(model, record_id)
        return self.updates[key]

    def created(self, model: Model, record_id: str) -> Record | None:
        return next((r for m, r in self.puts if m.name == model.name and r["id"] == record_id), None)
