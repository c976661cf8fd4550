"""The values two records share under a field made `@unique`, found by the plan while it reads the
records, in bounded memory: each (guard key, record) it reads goes to a temporary SQLite database
on disk, keyed by the guard key, and the keys held twice are read back from it in key order.

Memory is SQLite's page cache, 2 MB, whatever the number of distinct values (SQLite allocates it
itself: tracemalloc, which the bench reads, does not see it); the disk holds one row per record
read (a few dozen bytes each), and the file goes when the check is closed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from types import TracebackType

CACHE_KIB = 2048


class Duplicates:
    """`add` each record's guard keys (with the value in words), then `shared()`."""

    def __init__(self) -> None:
        # An empty name: a private database in a temporary file, deleted on close.
        self._db = sqlite3.connect("")
        # Its page cache (KiB when negative) and the sort of the read back stay bounded, on disk.
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._db.execute("PRAGMA temp_store = FILE")
        self._db.execute("CREATE TABLE held (key TEXT, owner TEXT, value TEXT, PRIMARY KEY (key, owner))")

    def add(self, key: str, owner: str, value: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO held VALUES (?, ?, ?)", (key, owner, value))

    def shared(self) -> Iterator[tuple[str, str, str]]:
        """For each key held by several records: its value in words, its first holder (in id order)
        and each other holder."""
        rows = self._db.execute(
            "SELECT held.key, held.owner, held.value FROM held"
            " JOIN (SELECT key FROM held GROUP BY key HAVING count(*) > 1) shared USING (key)"
            " ORDER BY held.key, held.owner"
        )
        first: tuple[str, str] | None = None
        for key, owner, value in rows:
            if first is None or first[0] != key:
                first = (key, owner)
                continue
            yield value, first[1], owner

    def __enter__(self) -> Duplicates:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._db.close()
