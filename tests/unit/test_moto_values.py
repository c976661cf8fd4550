"""A value's cast value (moto_values) is moto's own, for every kind."""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.models.dynamo_type import DynamoType

from tooling.local import moto_patch, moto_values

VALUES: list[dict[str, Any]] = [
    {"S": "x"},
    {"S": ""},
    {"B": "AA=="},
    {"BOOL": True},
    {"BOOL": False},
    {"N": "1.50"},
    {"NULL": True},
    {"SS": ["a", "b"]},
    {"NS": ["1", "2.0"]},
    {"BS": ["AA=="]},
    {"L": [{"S": "a"}, {"N": "1"}]},
    {"M": {"k": {"S": "v"}}},
]


@pytest.mark.parametrize("value", VALUES, ids=[next(iter(v)) + str(i) for i, v in enumerate(VALUES)])
def test_a_cast_value_is_moto_s_own(value: dict[str, Any]) -> None:
    moto_patch.apply()
    with moto_values.moto_s_own():
        expected = DynamoType(value).cast_value
    found = DynamoType(value).cast_value
    assert found == expected
    assert type(found) is type(expected)
    assert (
        hash(DynamoType(value)) == hash(DynamoType(value))
        if next(iter(value)) not in ("L", "M", "SS", "NS", "BS")
        else True
    )
