"""Records that arrive as raw JSON rather than through GraphQL's coercion: importData's objects and
the lines of the command-line import. Nothing else checks them, and what is stored wrong breaks
every later read (an Int past 32 bits cannot be served, a string taken for a list becomes its
letters), so each value is checked here against its field's type and range, as GraphQL would.
A File value is taken only where the caller says so: as a record stores it (files/stored.py), on
the command line, which checks that its object is in the bucket; importData refuses it, as a
client must not point a record at an object it did not upload.

Errors are ValueErrors naming `Model.field`; callers add where the record came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.api.scalars import PARSERS
from chalicelib.files.layout import FILES, is_file_key
from chalicelib.files.stored import MAX_FILE_NAME, MEMBERS, stored_file
from chalicelib.schema.registry import Field, FieldKind, Model, Registry
from chalicelib.store.attributes import storable_number


def check_values(registry: Registry, model: Model, fields: Mapping[str, Any], *, stored_files: bool) -> dict[str, Any]:
    """`fields` (field name: raw value, every name a field of `model`) with each value checked and
    normalised as its scalar's parser does (e.g. DateTime in UTC). With `stored_files`, a File
    value is taken as a record stores it, its shape checked (its object is the caller's to check);
    without, it is refused."""
    checked: dict[str, Any] = {}
    for name, value in fields.items():
        field = model.fields[name]
        try:
            checked[name] = _file(value, stored_files) if field.is_file else _value(registry, field, value)
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


def _file(value: Any, stored_files: bool) -> Any:
    if value is None:
        return None
    if not stored_files:
        raise ValueError("a file is attached by a create or update with its upload token, not imported")
    if not isinstance(value, dict) or sorted(value) != sorted(MEMBERS):
        raise ValueError(f"{_shown(value)} is not a file: {{{', '.join(MEMBERS)}}} and nothing else")
    key, name, mime_type, size = (value[member] for member in MEMBERS)
    if not isinstance(key, str) or not is_file_key(key):
        raise ValueError(f"key {_shown(key)} is not a file's key ({FILES}<name>)")
    if not isinstance(name, str) or len(name) > MAX_FILE_NAME:
        raise ValueError(f"fileName {_shown(name)} is not a string of at most {MAX_FILE_NAME} characters")
    if not isinstance(mime_type, str):
        raise ValueError(f"mimeType {_shown(mime_type)} is not a string")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"byteSize {_shown(size)} is not a number of bytes")
    return stored_file(key, name, mime_type, size)


def _shown(value: Any) -> str:
    """The value as an error names it: the client's own input, cut short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
