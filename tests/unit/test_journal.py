"""The rollback journal: items written after it recorded them are put back exactly as they were."""

from __future__ import annotations

from tests.unit.moto_tables import backend, key, put, state, update
from tooling.local.journal import Journal


def test_rolling_back_restores_updated_deleted_and_created_items_exactly() -> None:
    db = backend()
    before = state(db)
    writes = [
        put("plain", id="p9"),
        update("plain", "SET n = n + :one ADD tags :c", {":one": {"N": "1"}, ":c": {"SS": ["c"]}}, id="p1"),
        key("plain", "Delete", id="p2"),
        put("plain", id="p3", replaced="yes"),
        put("ranged", h="h2", r="a"),
        put("ranged", h="h1", r="c"),
        key("ranged", "Delete", h="h1", r="a"),
    ]
    journal = Journal.of(db, writes)
    db.put_item("plain", {"id": {"S": "p9"}})
    db.update_item(
        "plain",
        {"id": {"S": "p1"}},
        "SET n = n + :one ADD tags :c",
        expression_attribute_names={},
        expression_attribute_values={":one": {"N": "1"}, ":c": {"SS": ["c"]}},
    )
    db.delete_item("plain", {"id": {"S": "p2"}})
    db.put_item("plain", {"id": {"S": "p3"}, "replaced": {"S": "yes"}})
    db.put_item("ranged", {"h": {"S": "h2"}, "r": {"S": "a"}})
    db.put_item("ranged", {"h": {"S": "h1"}, "r": {"S": "c"}})
    db.delete_item("ranged", {"h": {"S": "h1"}, "r": {"S": "a"}})
    assert state(db) != before

    journal.roll_back()

    assert state(db) == before


def test_a_lookup_of_a_missing_hash_key_leaves_no_bucket_behind() -> None:
    """moto's own get on a range key table creates an empty dict for the hash key; rolled back, it goes."""
    db = backend()
    before = state(db)
    journal = Journal.of(db, [key("ranged", "ConditionCheck", h="h3", r="a")])
    db.get_item("ranged", {"h": {"S": "h3"}, "r": {"S": "a"}})
    journal.roll_back()
    assert state(db) == before


def test_operations_naming_no_item_are_left_out() -> None:
    """moto answers these with its own errors; the journal neither fails on them nor records them."""
    db = backend()
    malformed = [
        put("missing-table", id="x"),
        put("plain", other="no key"),
        key("ranged", "Delete", h="h1"),
        {"Put": {"TableName": "plain", "Item": {"id": {}}}},
        {"Put": "not an operation"},
        {"Update": {"Key": {"id": {"S": "p1"}}}},
    ]
    Journal.of(db, malformed).roll_back()
    assert state(db) == state(backend())
