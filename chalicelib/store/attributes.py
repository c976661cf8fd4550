"""How each schema field is stored: its PynamoDB attribute and, if indexed, its index key.

Index keys live in shadow attributes (`_ix_<field>`) holding a canonical string, because
DynamoDB rejects an empty string as an index key and `""` is a legitimate unique value.
Null values are not stored, so a null field is simply absent (and absent from its index).
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from chalicelib.schema.registry import Field, FieldKind

INTERNAL_PREFIX = "_"
# The shadow attribute of an `@unique` / `@index` field's index key.
INDEX_KEY_PREFIX = f"{INTERNAL_PREFIX}ix_"


def python_name(field: Field) -> str:
    """Attribute name on the PynamoDB class; prefixed so no field shadows a `Model` method."""
    return "id" if field.is_id else f"f_{field.name}"


def index_attribute_name(field: Field) -> str:
    return f"{INDEX_KEY_PREFIX}{field.store_name}"


def index_name(field: Field) -> str:
    return f"{field.store_name}-index"


def link_index_name(field: Field) -> str:
    """The index of a to-one pointer whose inverse is a to-many: the inverse's lists, in id order."""
    return f"{field.store_name}-link"


def attribute_for(field: Field) -> Attribute[Any]:
    """A to-one relation stores its target's id; a to-many stores nothing in the record's item
    (see `Storage`), so that no item grows with the number of its links."""
    if field.is_id:
        return UnicodeAttribute(hash_key=True)
    kind: Attribute[Any]
    if field.is_relation:
        kind = UnicodeAttribute(null=True, attr_name=field.store_name)
    elif field.kind is FieldKind.ROLE:
        kind = ListAttribute(of=UnicodeAttribute, null=True, attr_name=field.store_name)
    elif field.is_list:
        # Untyped, so that null items (`[String]`) survive a round trip.
        kind = ListAttribute(null=True, attr_name=field.store_name)
    elif field.type_name in ("Int", "Float"):
        kind = NumberAttribute(null=True, attr_name=field.store_name)
    elif field.type_name == "Boolean":
        kind = BooleanAttribute(null=True, attr_name=field.store_name)
    elif field.type_name in ("JSON", "RecordState") or field.is_file:
        # A file is its key, name, type and size (chalicelib/files), never its bytes.
        kind = JSONAttribute(null=True, attr_name=field.store_name)
    else:
        kind = UnicodeAttribute(null=True, attr_name=field.store_name)
    return kind


def storable_number(number: float) -> bool:
    """Whether DynamoDB stores `number`: zero, or a magnitude from 1e-130 to below 1e126."""
    return number == 0 or 1e-130 <= abs(number) < 1e126


def serialize(field: Field, value: Any) -> dict[str, Any]:
    """A single value of `field` (one item, for a list) as a DynamoDB AttributeValue."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if field.type_name in ("Int", "Float") and field.kind is FieldKind.SCALAR:
        return {"N": str(value)}
    return {"S": str(value)}


def index_key(field: Field, value: Any) -> str:
    """The canonical string of `value` for `field`'s index and unique guard (`1` and `1.0` agree)."""
    if isinstance(value, bool):
        text = json.dumps(value)
    elif field.type_name == "Float":
        number = float(value)
        text = repr(int(number)) if number.is_integer() else repr(number)
    elif field.type_name == "Int":
        text = str(int(value))
    else:
        text = str(value)
    return "=" + text
