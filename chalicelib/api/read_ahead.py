"""Pages read one ahead: the next page of a bulk run is read while the one before it is written.

A run alternates between reading a page and writing its chunks. Read in turn, the page waits for
the writes before it to finish, and the writes of the next page wait for it to be read and
decoded. Asked for as soon as a page is taken, the next page's read overlaps this page's writes
(on DynamoDB, its round trip; on the embedded one, the API's decoding of it). At most one page is
read that is then not handled, when the run stops at its deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import copy_context
from typing import Any, TypeVar

Page = TypeVar("Page")
_END: Any = object()


@contextmanager
def read_ahead(pages: Iterator[Page]) -> Iterator[Iterator[Page]]:
    """`pages`, each asked for (in a thread of its own, in a copy of this request's context) as
    soon as the one before it is taken. Leaving the block waits for a read under way."""

    def following() -> Page:
        return next(pages, _END)

    with ThreadPoolExecutor(1) as reader:

        def ahead() -> Iterator[Page]:
            pending = reader.submit(copy_context().run, following)
            while True:
                page = pending.result()
                if page is _END:
                    return
                pending = reader.submit(copy_context().run, following)
                yield page

        yield ahead()
