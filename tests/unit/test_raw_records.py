"""Raw JSON values (importData's objects, the CLI import's lines) checked against their fields."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.api.raw_records import check_values, missing_required
from chalicelib.schema import load_schema

REGISTRY = load_schema(
    """
    enum Size { SMALL LARGE }
    type Shop {
      id: ID!
      name: String!
      count: Int
      ratio: Float
      open: Boolean
      size: Size
      tags: [String]
      codes: [Int!]
      founded: DateTime
      extra: JSON
      roles: [Role!]
      owner: Owner
      staff: [Owner] @relation(name: "Staff")
      kind: String! @default(value: "shop")
      createdAt: DateTime! @createdTimestamp
    }
    type Owner {
      id: ID!
      shop: Shop
      employer: Shop @relation(name: "Staff")
    }
    """
)
SHOP = REGISTRY.model("Shop")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"count": 2**31 - 1, "ratio": 1, "open": False}, {"count": 2**31 - 1, "ratio": 1, "open": False}),
        ({"size": "LARGE", "tags": ["a", None], "codes": []}, {"size": "LARGE", "tags": ["a", None], "codes": []}),
        ({"founded": "2026-01-02T03:04:05+01:00"}, {"founded": "2026-01-02T02:04:05.000Z"}),
        (
            {"extra": {"any": [1, "json"]}, "roles": ["signed-in"]},
            {"extra": {"any": [1, "json"]}, "roles": ["signed-in"]},
        ),
        (
            {"owner": "T3duZXI6MQ", "staff": ["a", "b"], "count": None},
            {"owner": "T3duZXI6MQ", "staff": ["a", "b"], "count": None},
        ),
    ],
)
def test_values_of_the_right_type_pass_normalised(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    assert check_values(REGISTRY, SHOP, fields, stored_files=False) == expected


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"count": 10**40}, "Shop.count: 10000000000000000000000000000000000000000 is not a 32-bit Int"),
        ({"count": -(2**31) - 1}, "Shop.count: -2147483649 is not a 32-bit Int"),
        ({"count": 1.5}, "Shop.count: 1.5 is not a valid Int"),
        ({"count": True}, "Shop.count: True is not a valid Int"),
        ({"ratio": float("inf")}, "Shop.ratio: inf is not a finite Float"),
        ({"ratio": float("nan")}, "Shop.ratio: nan is not a finite Float"),
        ({"ratio": 10**400}, "Shop.ratio: 1000"),
        ({"ratio": 1e200}, "Shop.ratio: 1e+200 is outside the range DynamoDB stores"),
        ({"ratio": "1.5"}, "Shop.ratio: '1.5' is not a valid Float"),
        ({"open": "yes"}, "Shop.open: 'yes' is not a valid Boolean"),
        ({"name": 5}, "Shop.name: 5 is not a valid String"),
        ({"size": "MEDIUM"}, "Shop.size: 'MEDIUM' is not a value of Size"),
        ({"tags": "notalist"}, "Shop.tags: 'notalist' is not a list"),
        ({"codes": [1, None]}, "Shop.codes: a list of non-null items holds null"),
        ({"codes": [1, 2**40]}, "Shop.codes: 1099511627776 is not a 32-bit Int"),
        ({"founded": "yesterday"}, "Shop.founded: 'yesterday' is not an ISO-8601 date-time"),
        ({"roles": "signed-in"}, "Shop.roles: 'signed-in' is not a list"),
        ({"roles": [1]}, "Shop.roles: 1 is not a role key"),
        ({"owner": ["a"]}, "Shop.owner: ['a'] is not an id"),
        ({"owner": {"id": "a"}}, "Shop.owner: {'id': 'a'} is not an id"),
        ({"staff": "a"}, "Shop.staff: 'a' is not a list"),
        ({"staff": ["a", 7]}, "Shop.staff: 7 is not an id"),
        ({"staff": [None]}, "Shop.staff: a list of non-null items holds null"),
        ({"tags": ["x" * 100] * 2, "count": "x" * 100}, "Shop.count: 'xxxx"),
    ],
)
def test_a_value_of_the_wrong_type_or_range_names_its_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        check_values(REGISTRY, SHOP, fields, stored_files=False)


def test_required_fields_with_and_without_what_a_create_fills_in() -> None:
    assert missing_required(SHOP, {}, filled_in=True) == "Shop.name is required"
    assert missing_required(SHOP, {"name": "a"}, filled_in=True) is None
    assert missing_required(SHOP, {"name": "a"}, filled_in=False) == "Shop.id is required"
    assert (
        missing_required(SHOP, {"id": "x", "name": "a", "kind": "k"}, filled_in=False) == "Shop.createdAt is required"
    )
    assert missing_required(SHOP, {"id": "x", "name": None}, filled_in=False) == "Shop.name is required"


ALBUM = load_schema("type Photo { id: ID! image: File }")
PHOTO = ALBUM.model("Photo")
IMAGE = {"key": "files/Ab_9-z", "fileName": "beach.png", "mimeType": "image/png", "byteSize": 0}


def test_a_file_as_a_record_stores_it_is_taken_only_where_the_caller_says() -> None:
    assert check_values(ALBUM, PHOTO, {"image": IMAGE}, stored_files=True) == {"image": IMAGE}
    assert check_values(ALBUM, PHOTO, {"image": None}, stored_files=False) == {"image": None}
    with pytest.raises(ValueError, match=r"^Photo\.image: a file is attached by a create or update with its upload"):
        check_values(ALBUM, PHOTO, {"image": IMAGE}, stored_files=False)


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"key": "uploads/Ab9"}, "key 'uploads/Ab9' is not a file's key (files/<name>)"),
        ({"key": "files/../secret"}, "key 'files/../secret' is not a file's key"),
        ({"key": "files/"}, "key 'files/' is not a file's key"),
        ({"fileName": 3}, "fileName 3 is not a string of at most 1024 characters"),
        ({"fileName": "x" * 1025}, "fileName 'xxx"),
        ({"mimeType": None}, "mimeType None is not a string"),
        ({"byteSize": -1}, "byteSize -1 is not a number of bytes"),
        ({"byteSize": 1.5}, "byteSize 1.5 is not a number of bytes"),
        ({"byteSize": True}, "byteSize True is not a number of bytes"),
        ({"url": "https://x"}, "{'key': 'files/Ab_9-z', "),
    ],
)
def test_a_file_of_another_shape_names_what_is_wrong(changed: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(f"Photo.image: {message}")):
        check_values(ALBUM, PHOTO, {"image": {**IMAGE, **changed}}, stored_files=True)


@pytest.mark.parametrize("value", ["files/Ab9", ["files/Ab9"], {"key": "files/Ab9"}])
def test_a_file_that_is_not_one_object_of_four_members_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match=r"is not a file: \{key, fileName, mimeType, byteSize\} and nothing else$"):
        check_values(ALBUM, PHOTO, {"image": value}, stored_files=True)
