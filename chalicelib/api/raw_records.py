"""Records that arrive as raw JSON rather than through GraphQL's coercion: importData's objects and
the lines of the command-line import. Nothing else checks them, and what is stored wrong breaks
every later read (an Int past 32 bits cannot be served, a string taken for a list becomes its
letters), so each value is checked here against its field's type and range, as GraphQL would.

Errors are ValueErrors naming `Model.field`; callers add where the record came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.api.scalars import PARSERS
from chalicelib.schema.registry import Field, FieldKind, Model, Registry
from chalicelib.store.attributes import storable_number


def check_values(registry: Registry, model: Model, fields: Mapping[str, Any]) -> dict[str, Any]:
    """`fields` (field name: raw value, every name a field of `model`) with each value checked and
    normalised as its scalar's parser does (e.g. DateTime in UTC)."""
    checked: dict[str, Any] = {}
    for name, value in fields.items():
        field = model.fields[name]
        try:
            checked[name] = _value(registry, field, value)
        except ValueError as error:
            raise ValueError(f"{model.name}.{name}: {error}") from None
    return checked


def missing_required(model: Model, fields: Mapping[str, Any], *, filled_in: bool) -> str | None:
    """The first required scalar that `fields` leaves null, if any. With `filled_in`, a create fills
    in the id, `@default`s and timestamps; without it (a restore), nothing is filled in, and a list
    is left out (an export leaves empty lists out)."""
    for field in model.scalars():
        if not field.required or fields.get(field.name) is not None:
            continue
        if filled_in and (field.is_id or field.has_default or field.timestamp is not None):
            continue
        if not filled_in and field.is_list:
            continue
        return f"{model.name}.{field.name} is required"
    return None


def _value(registry: Registry, field: Field, value: Any) -> Any:
    if value is None:
        return None
    if not field.is_list:
        return _item(registry, field, value)
    if not isinstance(value, list):
        raise ValueError(f"{_shown(value)} is not a list")
    return [_list_item(registry, field, item) for item in value]


def _list_item(registry: Registry, field: Field, item: Any) -> Any:
    if item is None and (field.item_required or field.is_relation or field.kind is FieldKind.ROLE):
        raise ValueError("a list of non-null items holds null")
    return None if item is None else _item(registry, field, item)


def _item(registry: Registry, field: Field, value: Any) -> Any:
    if field.is_relation:
        if not isinstance(value, str):
            raise ValueError(f"{_shown(value)} is not an id")
        return value
    if field.is_file:
        raise ValueError("a file is attached by a create or update with its upload token, not imported")
    if field.kind is FieldKind.ROLE:
        if not isinstance(value, str):
            raise ValueError(f"{_shown(value)} is not a role key")
        return value
    if field.kind is FieldKind.ENUM:
        if not isinstance(value, str) or value not in registry.enums[field.type_name]:
            raise ValueError(f"{_shown(value)} is not a value of {field.type_name}")
        return value
    parse = PARSERS.get(field.type_name)
    parsed = value if parse is None else parse(value)
    if field.type_name == "Float" and not storable_number(float(parsed)):
        raise ValueError(f"{parsed!r} is outside the range DynamoDB stores")
    return parsed


def _shown(value: Any) -> str:
    """The value as an error names it: the client's own input, cut short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
