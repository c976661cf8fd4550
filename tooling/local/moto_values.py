"""DynamoType's cast value of a string, binary or boolean, without its tests of the other kinds.

moto hashes and compares attribute values (every lookup of an item by its key, every sort of a
query's items) by their cast value, which tests a value against five kinds, by a method call each,
before it answers that a string is itself. A string, binary or boolean value is its own cast value
here at once, as moto's last branch makes it; any other kind goes to moto's property.

The patch relies on moto's code as it is in the pinned version: `PINNED` names what moto_patch
checks before applying it.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType

from tooling.local.replaced import Places, Replaced

_cast_value: property = DynamoType.cast_value  # type: ignore[assignment]

PINNED: tuple[tuple[Any, str], ...] = (
    (_cast_value.fget, "135da387dfcc7c1ca4930a6d64b5c474519422983cc2a4d03b37b716d090ae0c"),
    # The kinds it tests, in order, before its last branch.
    (DynamoType.is_number, "1acd1246a6710316d16875d433fed3666fcd0733b750bb9871550b732f5b2d08"),
    (DynamoType.is_set, "01b70f096bc58dfa5df2a01f4246df586629b2f8f929152b76aea5d7be6c7961"),
    (DynamoType.is_list, "9cc3570f1cb8448b64a7c6b31cbc7f6a6f60970347078f715a48b06f62062eaa"),
    (DynamoType.is_map, "6e6551375b6c2ac0c2f3c1543f7aa61a883b936ed04e76f85075b91d1e1f2ed7"),
    (DynamoType.is_null, "3f276b83b6b24669163b335fa22a978d601ca26a2d4f14dc30eaea8041e450de"),
)

_ITSELF = frozenset({"S", "B", "BOOL"})


def _fast_cast_value(value: DynamoType) -> Any:
    if value.type in _ITSELF:
        return value.value
    return _cast_value.fget(value)  # type: ignore[misc]


def _replaced() -> Places:
    return ((DynamoType, "cast_value", property(_fast_cast_value), _cast_value),)


_REPLACED = Replaced(_replaced)
install = _REPLACED.install
moto_s_own = _REPLACED.moto_s_own
