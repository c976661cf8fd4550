"""read_ahead: pages in order, the next one read while this one is handled, in the caller's context."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextvars import ContextVar

import pytest

from chalicelib.api.read_ahead import read_ahead

CALLER: ContextVar[str] = ContextVar("caller", default="none")


def test_pages_come_in_order_and_each_next_one_is_read_while_this_one_is_handled() -> None:
    read: list[threading.Event] = [threading.Event() for _ in range(4)]

    def pages() -> Iterator[int]:
        for number in range(3):
            read[number].set()
            yield number

    handled = []
    with read_ahead(pages()) as ahead:
        for page in ahead:
            # Not taken yet, the next page is read all the same (a deadlock guard, not a timing).
            if page < 2:
                assert read[page + 1].wait(timeout=30)
            handled.append(page)
    assert handled == [0, 1, 2]


def test_a_run_stopped_early_reads_one_page_more_at_most() -> None:
    read: list[int] = []

    def pages() -> Iterator[int]:
        for number in range(10):
            read.append(number)
            yield number

    with read_ahead(pages()) as ahead:
        for page in ahead:
            if page == 3:
                break
    assert read == [0, 1, 2, 3, 4]


def test_a_failed_read_fails_the_run_where_its_page_is_taken() -> None:
    def pages() -> Iterator[int]:
        yield 1
        raise LookupError("the second page")

    taken: list[int] = []

    def run() -> None:
        with read_ahead(pages()) as ahead:
            taken.extend(ahead)

    with pytest.raises(LookupError, match="second page"):
        run()
    assert taken == [1]


def test_pages_are_read_in_the_caller_s_context() -> None:
    seen = []

    def pages() -> Iterator[str]:
        seen.append(CALLER.get())
        yield "page"

    token = CALLER.set("request")
    try:
        with read_ahead(pages()) as ahead:
            assert list(ahead) == ["page"]
    finally:
        CALLER.reset(token)
    assert seen == ["request"]
