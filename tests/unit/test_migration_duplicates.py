"""The plan's duplicate check (migrations/duplicates.py): the values records share, from rows kept
on disk rather than in memory."""

from __future__ import annotations

from tooling.migrations.duplicates import Duplicates


def test_each_value_held_twice_is_named_with_its_first_holder() -> None:
    with Duplicates() as held:
        for number in range(2000):
            held.add(f"City#name#={number}", f"c{number:04}", f"'{number}'")
        held.add("City#name#=7", "c9999", "'7'")
        held.add("City#name#=7", "c0000", "'7'")
        held.add("City#name#=7", "c9999", "'7'")  # one record read twice (a re-run page) holds it once
        held.add("City#code#=7", "c5000", "'7'")  # another field's value is another key
        assert list(held.shared()) == [("'7'", "c0000", "c0007"), ("'7'", "c0000", "c9999")]


def test_no_value_held_twice_is_nothing_shared() -> None:
    with Duplicates() as held:
        held.add("City#name#=a", "c1", "'a'")
        held.add("City#name#=b", "c2", "'b'")
        assert list(held.shared()) == []
