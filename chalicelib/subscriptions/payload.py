"""The payload of an event, as one subscriber may see it: `{mutation node updatedFields previousValues}`."""

from __future__ import annotations

from typing import Any

from chalicelib.access.roles import role_object
from chalicelib.schema.registry import FieldKind
from chalicelib.store.record import Record
from chalicelib.subscriptions.events import Event, Mutation


def payload(event: Event, saw_before: bool) -> dict[str, Any]:
    """`saw_before`: whether the subscriber could read the record as it was; if not, the values it
    had are not the subscriber's to see."""
    return {
        "mutation": event.mutation.value,
        "node": event.new if event.mutation is not Mutation.DELETED else None,
        "updatedFields": list(event.updated_fields or ()) if event.mutation is Mutation.UPDATED else None,
        "previousValues": previous_values(event, event.old) if saw_before and event.old is not None else None,
    }


def previous_values(event: Event, old: Record) -> dict[str, Any]:
    """The record as it was: scalars as they were, a to-one as `<field>_id`, as in Genie."""
    values: dict[str, Any] = {}
    for field in event.model.stored_fields():
        value = old.get(field.name)
        if field.is_relation:
            values[f"{field.name}_id"] = value
        elif field.kind is FieldKind.ROLE:
            values[field.name] = None if value is None else [role_object(key) for key in value]
        elif field.readable:
            values[field.name] = value
    return values
