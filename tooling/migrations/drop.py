"""Deleting what the stage stores that the schema no longer reads, after the switch: the edges of a
relation stored another way now (its links carried over), and, asked with `migrate --drop`, what
the stage kept of models and relations the schema no longer has (their tables, their records'
pending cleanups, their links). Each is a scan of its table, deleting 25 items a BatchWriteItem:
idempotent, so a run stopped anywhere is finished by the next.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.store import batch
from chalicelib.store.tables import Tables
from tooling.migrations import scans
from tooling.migrations.structure import DELETE_TABLE, Say, Sleep, TableStep, carry_out

PAGE = 500


def edges(tables: Tables, key: str) -> int:
    """Delete the edges stored under the edge key `key`; the number deleted."""
    prefix = key + "#"
    table = tables.edge.Meta.table_name
    return _delete(tables, table, ("source", "target_id"), lambda item: item["source"]["S"].startswith(prefix))


def model(tables: Tables, name: str, table: str, say: Say, sleep: Sleep) -> int:
    """Delete the table of the model `name` (no longer in the schema) and its records' pending
    cleanups (keyed `<model>#<id>`); the number of cleanups deleted."""
    carry_out(tables, TableStep(DELETE_TABLE, table), say, sleep)
    prefix = name + "#"
    cleanups = tables.cleanup.Meta.table_name
    return _delete(tables, cleanups, ("key",), lambda item: item["key"]["S"].startswith(prefix))


def _delete(tables: Tables, table: str, key: tuple[str, ...], doomed: Callable[[dict[str, Any]], bool]) -> int:
    deleted = 0
    for page, _ in scans.pages(tables.connection.client, table, PAGE):
        requests = [{"DeleteRequest": {"Key": {k: item[k] for k in key}}} for item in page if doomed(item)]
        batch.batch_write(tables.connection.client, table, requests, tables.backoff)
        deleted += len(requests)
    return deleted
