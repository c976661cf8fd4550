"""Merging the two directions of a relation that is its own inverse into one page of edges."""

from __future__ import annotations

from typing import Any, cast

import pytest

from chalicelib.schema.loader import load_schema
from chalicelib.store import edges

FRIENDS = load_schema("type User @model { id: ID! friends: [User] }").model("User").fields["friends"]


Answer = tuple[list[str], bool]


def answering(monkeypatch: pytest.MonkeyPatch, forward: Answer, backward: Answer) -> None:
    """Each direction's Query answers its ids and whether it may go on."""

    def query(*_args: Any, backward: bool) -> Answer:
        return answers[backward]

    answers = {False: forward, True: backward}
    monkeypatch.setattr(edges, "_query", query)


def test_a_direction_cut_short_bounds_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """One direction stopped (1 MB) after `e`: ids past `e` from the other may have unread ids of
    the first before them, so the page ends at `e` and says there is more."""
    answering(monkeypatch, (["a", "c", "e"], True), (["b", "d", "f", "g"], False))
    page = edges.page(cast(Any, None), FRIENDS, "x", None, 10)
    assert page.ids == ["a", "b", "c", "d", "e"]
    assert page.more


def test_both_directions_read_to_their_end_merge_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    answering(monkeypatch, (["a", "c"], False), (["b", "c", "d"], False))
    page = edges.page(cast(Any, None), FRIENDS, "x", None, 10)
    assert page.ids == ["a", "b", "c", "d"]
    assert not page.more


def test_a_full_page_says_there_is_more(monkeypatch: pytest.MonkeyPatch) -> None:
    answering(monkeypatch, (["a", "b", "c"], True), ([], False))
    page = edges.page(cast(Any, None), FRIENDS, "x", None, 2)
    assert page.ids == ["a", "b"]
    assert page.more
