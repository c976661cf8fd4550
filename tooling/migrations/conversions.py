"""A stored value read as the new type of its field (a field retyped by the schema), where that
loses nothing: a number stored as a string and back (`"12"` and `12`), an integer as a Float, any
string as a String, a string a custom scalar accepts (an Email, a DateTime). Anything else (`"x1"`
as an Int, `1.5` as an Int, a list as a single value) does not convert: the record is named and
the migration refused.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from chalicelib.api.raw_records import check_values
from chalicelib.schema.registry import Field, FieldKind, Model, Registry

_INTEGER = re.compile(r"-?[0-9]+")
_STRINGS = frozenset({"ID", "String", "Email", "Date", "Time", "DateTime"})


def converted(registry: Registry, model: Model, field: Field, stored: dict[str, Any]) -> Any:
    """The value the DynamoDB AttributeValue `stored` holds, as `field` types it now; ValueError if
    it does not convert without loss."""
    plain = _plain(stored)
    if field.is_list:
        if not isinstance(plain, list):
            raise ValueError("not a list")
        value: Any = [None if item is None else _one(field, item) for item in plain]
    else:
        if isinstance(plain, list | dict):
            raise ValueError("not a single value")
        value = _one(field, plain)
    return check_values(registry, model, {field.name: value}, stored_files=False)[field.name]


def _plain(stored: dict[str, Any]) -> Any:
    ((kind, value),) = stored.items()
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "L":
        return [_plain(item) for item in value]
    if kind == "M":
        return {name: _plain(item) for name, item in value.items()}
    if kind == "NULL":
        return None
    return value  # S, BOOL


def _one(field: Field, value: Any) -> Any:
    kind = field.type_name
    if field.kind is FieldKind.ENUM or kind in ("Boolean", "JSON", "RecordState"):
        return value  # as it is: the check that follows says whether it is one
    if kind == "Int":
        if isinstance(value, str) and _INTEGER.fullmatch(value):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if kind == "Float":
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if kind in _STRINGS and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value
