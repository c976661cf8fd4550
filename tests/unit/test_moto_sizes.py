"""Sizes measured directly (moto_sizes) are moto's own, for every kind of value."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from tooling.local.moto_sizes import item_size, value_size

TEXT = st.text(max_size=6)
NUMBERS = st.sampled_from(["0", "-1.5", "1E+10", "12345678901234567890", "0.000"])
SCALARS = st.one_of(
    st.builds(lambda s: {"S": s}, TEXT),
    st.builds(lambda n: {"N": n}, NUMBERS),
    st.builds(lambda b: {"B": b}, st.sampled_from(["", "AA==", "/w=="])),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda s: {"SS": s}, st.lists(TEXT, min_size=1, max_size=3, unique=True)),
    st.builds(lambda n: {"NS": n}, st.lists(NUMBERS, min_size=1, max_size=3, unique=True)),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.builds(lambda v: {"L": v}, st.lists(inner, max_size=3)),
        st.builds(lambda v: {"M": v}, st.dictionaries(TEXT, inner, max_size=3)),
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(TEXT, VALUES, min_size=1, max_size=6))
def test_an_item_s_size_is_moto_s_own(attributes: dict[str, Any]) -> None:
    item = Item(DynamoType({"S": "k"}), None, {"k": {"S": "k"}, **attributes})
    assert item_size(item) == item.size()
    for name, value in item.attrs.items():
        assert value_size(value) == value.size()
        assert value_size(name) == len(name.encode())


def test_an_item_of_values_moto_s_size_does_not_know_is_measured_by_moto() -> None:
    item = Item(DynamoType({"S": "k"}), None, {"k": {"S": "k"}})
    dict.__setitem__(item.attrs, "odd", "not a DynamoType")
    try:
        expected: Any = item.size()
    except AttributeError as failure:
        expected = type(failure)
    try:
        found: Any = item_size(item)
    except AttributeError as failure:
        found = type(failure)
    assert found == expected


def test_a_string_value_holding_a_boolean_is_measured_as_moto_measures_it() -> None:
    # moto's parser keeps a value of a string's place as the request gives it, and its size takes
    # a boolean for one byte whatever the kind says.
    odd = DynamoType({"S": True})
    assert value_size(odd) == odd.size() == 1
