"""A whole table read page by page, consistently: what the migration's steps walk (records to
backfill, guards to sweep, counters, edges and cleanups to delete)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

RawItem = dict[str, Any]


def pages(
    client: Any, table: str, limit: int, start: RawItem | None = None
) -> Iterator[tuple[list[RawItem], RawItem | None]]:
    """The table's items, `limit` a Scan from after `start`, each page with the key to resume after
    it (None at the end)."""
    while True:
        params: dict[str, Any] = {"TableName": table, "Limit": limit, "ConsistentRead": True}
        if start is not None:
            params["ExclusiveStartKey"] = start
        page = client.scan(**params)
        start = page.get("LastEvaluatedKey")
        yield page.get("Items", []), start
        if start is None:
            return
