"""Bucket work a write leaves for after its commit (chalicelib/files), kept in the pending-cleanups
table so that it is done even when the request dies right after the commit.

The write's transaction puts one item per object to settle, keyed `s3:<object key>`: a key no
deleted record's item (`<model name>#<id>`) can have, as no GraphQL name holds a colon. The item
says what to do with the object: move it there from `source` if its bytes are still `etag`'s, or,
with no source, delete it. A later write about the same object puts its own item over the earlier
one: a file discarded before it was even moved is deleted, not moved.
"""

from __future__ import annotations

import time

from chalicelib.store.batch import batch_write
from chalicelib.store.changes import ObjectWork
from chalicelib.store.tables import CleanupBase, Tables

PREFIX = "s3:"
# The label model of a pending item in a transaction.
LABEL = "#object"


def item_key(work: ObjectWork) -> str:
    return PREFIX + work.key


def is_object_work(key: str) -> bool:
    """Whether a pending item's key is bucket work's (else a deleted record's)."""
    return key.startswith(PREFIX)


def item(tables: Tables, work: ObjectWork) -> CleanupBase:
    """The pending item of `work`, written now."""
    return tables.cleanup(key=item_key(work), deleted=int(time.time()), source=work.source, etag=work.etag)


def from_item(pending: CleanupBase) -> ObjectWork:
    return ObjectWork(pending.key.removeprefix(PREFIX), pending.source, pending.etag)


def forget(tables: Tables, done: list[ObjectWork]) -> None:
    """Remove the pending items of work done (one BatchWriteItem for up to 25)."""
    requests = [{"DeleteRequest": {"Key": {"key": {"S": item_key(work)}}}} for work in done]
    batch_write(tables.connection.client, tables.cleanup.Meta.table_name, requests, tables.backoff)
