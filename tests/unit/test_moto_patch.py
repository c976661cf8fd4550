"""The moto patch: pinned to the moto it was written for, and a transaction's outcome is moto's own.

Each transaction runs on two identical backends, through moto's original method and through the
patched one: the error (type, cancellation reasons in order, their items) and the state left
(items, stream records) must be the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

from chalicelib.local import moto_patch
from chalicelib.local.moto_patch import MOTO_VERSION, PINS, MotoChanged, Pin, verify
from tests.unit.moto_tables import backend, key, put, state, update, with_condition

ONE = {":one": {"N": "1"}}
WRITES = [
    put("plain", id="p9"),
    update("plain", "SET n = n + :one", ONE, id="p1"),
    key("plain", "Delete", id="p2"),
    put("ranged", h="h2", r="a"),
    put("ranged", h="h1", r="c"),
    key("ranged", "Delete", h="h1", r="b"),
]
TRANSACTIONS: dict[str, list[dict[str, Any]]] = {
    "lands": [*WRITES, with_condition(key("plain", "ConditionCheck", id="p3"), "attribute_exists(id)")],
    "a failed condition after writes": [
        *WRITES,
        with_condition(key("plain", "ConditionCheck", id="p3"), "attribute_not_exists(id)"),
    ],
    "failed conditions in order, with their old items": [
        *WRITES[:3],
        {
            "ConditionCheck": {
                **key("plain", "ConditionCheck", id="p3")["ConditionCheck"],
                "ConditionExpression": "n = :one",
                "ExpressionAttributeValues": ONE,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        with_condition(put("ranged", h="h1", r="a"), "attribute_not_exists(h)"),
    ],
    "an update that cannot apply": [*WRITES[:3], update("plain", "SET n = n + :one", {":one": {"S": "x"}}, id="p3")],
    "a table that does not exist": [*WRITES[:3], put("nowhere", id="x")],
    "an item named twice": [*WRITES, key("plain", "Delete", id="p1")],
    "a put without its key": [*WRITES, put("plain", other="x")],
}


def outcome(transact: Any, items: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    db = backend()
    try:
        transact(db, items)
        error = None
    except Exception as raised:
        error = (type(raised).__name__, getattr(raised, "description", str(raised)))
    return error, state(db)


@pytest.mark.parametrize("items", TRANSACTIONS.values(), ids=TRANSACTIONS.keys())
def test_the_patched_transaction_ends_as_moto_s_own(items: list[dict[str, Any]]) -> None:
    moto_patch.apply()
    original = PINS[0].function
    assert DynamoDBBackend.transact_write_items is not original
    assert outcome(DynamoDBBackend.transact_write_items, items) == outcome(original, items)


def test_a_failed_transaction_leaves_the_tables_as_they_were() -> None:
    moto_patch.apply()
    error, after = outcome(DynamoDBBackend.transact_write_items, TRANSACTIONS["a failed condition after writes"])
    assert error is not None
    assert error[0] == "TransactionCanceledException"
    assert after == state(backend())


def test_the_installed_moto_is_the_pinned_one() -> None:
    verify()


def test_another_moto_version_is_refused() -> None:
    with pytest.raises(MotoChanged, match=f"moto 9.9.9 is installed, the patch is for {MOTO_VERSION}"):
        verify("9.9.9")


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """What a later moto might have in place of the method the patch wraps."""
    self.apply_atomically(transact_items)


def test_a_changed_source_is_refused() -> None:
    changed = Pin(transact_write_items, PINS[0].sha256)
    with pytest.raises(MotoChanged, match=r"the source of tests\.unit\.test_moto_patch\.transact_write_items changed"):
        verify(MOTO_VERSION, [*PINS[1:], changed])
