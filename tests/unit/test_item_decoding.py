"""Records decoded straight from items (store/item_decoding.py) are what PynamoDB's instance gives
(`to_record(model, cls.from_raw_data(raw))`), for every kind of field, value, absence and NULL;
a class whose attributes are not plain is left to PynamoDB."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import AttributeDeserializationError
from pynamodb.models import Model as PynamoModel

from chalicelib.schema.loader import load_schema
from chalicelib.store.item_decoding import plain_decoder
from chalicelib.store.records import to_item, to_record
from chalicelib.store.tables import StoreConfig, Tables

SCHEMA = """
enum Tone { LIGHT DARK }
type Shelf { id: ID! name: String @unique items: [Thing!]! }
type Thing {
  id: ID!
  label: String @index
  count: Int
  weight: Float
  done: Boolean
  tone: Tone
  meta: JSON
  tags: [String]
  numbers: [Float]
  shelf: Shelf
}
"""
REGISTRY = load_schema(SCHEMA)
TABLES = Tables(REGISTRY, StoreConfig("t-", "us-east-1"))
THING = REGISTRY.model("Thing")
CLS = TABLES.model_class("Thing")

texts = st.text(max_size=8)
floats = st.floats(allow_nan=False, allow_infinity=False, width=32)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
records = st.fixed_dictionaries(
    {"id": st.just("Thing_1")},
    optional={
        "label": texts,
        "count": st.integers(-(2**31), 2**31 - 1),
        "weight": floats,
        "done": st.booleans(),
        "tone": st.sampled_from(["LIGHT", "DARK"]),
        "meta": json_values,
        "tags": st.lists(st.none() | texts, max_size=3),
        "numbers": st.lists(floats, max_size=3),
        "shelf": st.just("Shelf_1"),
        "_version": st.integers(1, 10**6),
    },
)


def pynamodb_way(raw: dict[str, Any]) -> dict[str, Any]:
    return to_record(THING, CLS.from_raw_data(raw))


@settings(max_examples=200, deadline=None)
@given(records, st.sets(st.sampled_from(["f_count", "meta", "tags", "label", "_version"])))
def test_a_record_decoded_from_its_item_is_pynamodbs(record: dict[str, Any], nulls: set[str]) -> None:
    decoder = plain_decoder(THING, CLS)
    assert decoder is not None
    raw = to_item(CLS, THING, record).serialize()
    assert decoder(raw) == pynamodb_way(raw)
    # Stored names set to NULL, or absent, read as unset (stored names: `count` is `count`, etc.).
    nulled = {**raw, **{name.removeprefix("f_"): {"NULL": True} for name in nulls}}
    assert decoder(nulled) == pynamodb_way(nulled)


def test_an_item_of_a_field_of_another_type_fails_as_with_pynamodb() -> None:
    decoder = plain_decoder(THING, CLS)
    assert decoder is not None
    raw = {"id": {"S": "Thing_1"}, "count": {"S": "seven"}}
    for way in (decoder, pynamodb_way):
        with pytest.raises(AttributeDeserializationError):
            way(raw)


def test_a_class_whose_attributes_are_not_plain_is_left_to_pynamodb() -> None:
    class Defaulted(PynamoModel):
        id = UnicodeAttribute(hash_key=True)
        f_count = NumberAttribute(null=True, attr_name="count", default=0)
        version_ = NumberAttribute(null=True, attr_name="_version")

    class Twice(PynamoModel):
        id = UnicodeAttribute(hash_key=True)
        f_count = NumberAttribute(null=True, attr_name="count")
        other = NumberAttribute(null=True, attr_name="count")
        version_ = NumberAttribute(null=True, attr_name="_version")

    model = load_schema("type Thing { id: ID! count: Int }").model("Thing")
    assert plain_decoder(model, Defaulted) is None
    assert plain_decoder(model, Twice) is None
