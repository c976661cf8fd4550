"""Where-unique lookups: every given key must match the same record.

Genie acted on an arbitrary record for `{}` or for keys that matched different records; here
`{}` is an error, a null key is an error, and keys that disagree find nothing.
"""

from __future__ import annotations

from typing import Any

from chalicelib.api import ids
from chalicelib.errors import INVALID_INPUT, ApiError
from chalicelib.schema.registry import Model
from chalicelib.store.records import Record, RecordStore


def unique_keys(model: Model, *sources: dict[str, Any] | None) -> dict[str, Any]:
    """Merge the where-unique input and direct arguments; the same key twice must agree."""
    keys: dict[str, Any] = {}
    for source in sources:
        for name, value in (source or {}).items():
            if value is None:
                raise ApiError(INVALID_INPUT, f"{model.name}: where-unique key {name} cannot be null")
            if name in keys and keys[name] != value:
                raise ApiError(INVALID_INPUT, f"{model.name}: {name} is given twice with different values")
            keys[name] = value
    if not keys:
        unique = ", ".join(f.name for f in model.unique_fields())
        raise ApiError(INVALID_INPUT, f"{model.name}: give at least one unique field ({unique})")
    return keys


def find_unique(store: RecordStore, model: Model, keys: dict[str, Any]) -> Record | None:
    """One read by the most selective key (the id when given), then every other key is checked."""
    if "id" in keys:
        if ids.model_of(keys["id"]) != model.name:
            return None
        record = store.get(model, keys["id"])
    else:
        name = next(iter(keys))
        record = store.find_unique(model, model.fields[name], keys[name])
    if record is None or any(record.get(name) != value for name, value in keys.items()):
        return None
    return record
