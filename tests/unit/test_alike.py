"""store/alike.py: an update alike the last but for its record gets the last one's condition and actions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pynamodb.expressions.operand import Path

from chalicelib.schema.registry import Model
from chalicelib.store.alike import Alike, Built
from chalicelib.store.changes import Update

MODEL: Any = object.__new__(Model)


def built(alike: Alike, update: Update, cls: type = object) -> Built:
    return alike.built(cls, update, lambda: (Path("id").exists(), [Path("tag").set({"S": "x"})], 1))


def test_an_update_alike_but_for_its_record_gets_the_same_objects() -> None:
    alike, where = Alike(), Path("n") == {"N": "1"}
    first = built(alike, Update(MODEL, "a", assign={"tag": {"S": "x"}}, condition=where))
    second = built(alike, Update(MODEL, "b", assign={"tag": {"S": "x"}}, condition=where))
    assert all(mine is its for mine, its in zip(first, second, strict=True))


def test_an_update_that_differs_in_anything_but_its_record_is_built_anew() -> None:
    alike, where = Alike(), Path("n") == {"N": "1"}
    base: dict[str, Any] = {"assign": {"tag": {"S": "x"}}, "condition": where}
    first = built(alike, Update(MODEL, "a", **base))
    others: list[tuple[dict[str, Any], type]] = [
        ({**base, "assign": {"tag": {"S": "y"}}}, object),
        ({**base, "version": 3}, object),
        ({**base, "expect": {"owner": "u1"}}, object),
        ({**base, "push": {"tags": [{"S": "t"}]}}, object),
        ({**base, "remove": {"old"}}, object),
        ({**base, "condition": Path("n") == {"N": "1"}}, object),  # equal, but another object
        (base, int),  # another model class
        ({**base, "assign": {"tag": {"N": Decimal("1")}}}, object),
        ({**base, "assign": {"tag": {"N": "Decimal('1')"}}}, object),
    ]
    for fields, cls in others:
        again = built(alike, Update(MODEL, "b", **fields), cls)
        assert again[0] is not first[0]
        first = again


def test_a_value_json_has_no_form_for_is_never_taken_for_another() -> None:
    """A Decimal or a set is not JSON: it is built anew each time, never matched by a value whose
    JSON form could read the same (a list of two strings naming its type and repr)."""
    alike = Alike()
    for value, lookalike in ((Decimal("1"), ["Decimal", "Decimal('1')"]), ({"x"}, ["set", "{'x'}"])):
        first = built(alike, Update(MODEL, "a", assign={"data": value}))
        assert built(alike, Update(MODEL, "b", assign={"data": lookalike}))[0] is not first[0]
        assert built(alike, Update(MODEL, "c", assign={"data": value}))[0] is not first[0]
