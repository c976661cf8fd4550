"""Records from items as DynamoDB sends them (a page of a Scan or Query, a batch read).

`to_record(model, cls.from_raw_data(raw))` builds a PynamoDB instance, with every attribute of
the class and its defaults, only to read the record's fields back out of it: on a page of a
thousand records that cost more than the rest of handling them. `plain_decoder` gives the same record
straight from the item, through the same attributes' own `get_value` and `deserialize`, for a class
whose attributes keep what they are given as it is (PynamoDB's plain `__get__` and `__set__`, no
default, no discriminator, no two on one stored name); any other goes PynamoDB's way
(`plain_decoder` is None).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.constants import NULL
from pynamodb.models import Model as PynamoModel

from chalicelib.schema.registry import Model
from chalicelib.store.attributes import python_name
from chalicelib.store.changes import VERSION
from chalicelib.store.record import Record
from chalicelib.store.tables import VERSION_ATTRIBUTE

RawItem = dict[str, dict[str, Any]]


def plain_decoder(model: Model, cls: type[PynamoModel]) -> Callable[[RawItem], Record] | None:
    """The decoder of `model`'s items, stored through `cls`; None if its attributes are not plain."""
    attributes = cls.get_attributes()
    if not _plain(cls, attributes):
        return None
    names = [(field.name, python_name(field)) for field in model.stored_fields()]
    return _Decoder([(name, attributes[python]) for name, python in [*names, (VERSION, VERSION_ATTRIBUTE)]])


class _Decoder:
    def __init__(self, read: list[tuple[str, Attribute[Any]]]) -> None:
        self._read = read

    def __call__(self, raw: RawItem) -> Record:
        record: Record = {}
        for name, attribute in self._read:
            value = raw.get(attribute.attr_name)
            # As PynamoDB's `_container_deserialize`: an absent or NULL value leaves the field unset.
            record[name] = attribute.deserialize(attribute.get_value(value)) if value and NULL not in value else None
        return record


def _plain(cls: type[PynamoModel], attributes: dict[str, Attribute[Any]]) -> bool:
    """Whether an instance of `cls` built from an item holds each attribute's deserialized value as it
    is, and nothing else: no attribute with its own `__get__` or `__set__` or a default, no
    discriminator, no two attributes of one stored name."""
    if cls._get_discriminator_attribute() is not None:
        return False
    names = [attribute.attr_name for attribute in attributes.values()]
    if len(set(names)) != len(names):
        return False
    return all(
        type(attribute).__get__ is Attribute.__get__
        and type(attribute).__set__ is Attribute.__set__
        and attribute.default is None
        for attribute in attributes.values()
    )
