"""The links of one record under a relation stored another way by the schema (migrations/changes.py
`Relink`), read where the stage stores them until the switch: the record's own pointer, the
pointers of the records pointing at it (through their index, which goes only after the switch), or
its edges. Links to records that no longer exist (awaiting the cleanup job, or one-way links whose
target went) are not carried over: reads skip them already.
"""

from __future__ import annotations

from typing import Any

from chalicelib.api.ids import is_id_of
from chalicelib.store import edges
from chalicelib.store.records import RecordStore
from chalicelib.store.tables import Tables
from tooling.migrations.changes import Relink

# Links read of a record whose relation is a to-one now: it may keep one; those past it are named.
MOST = 25


def stored(tables: Tables, relink: Relink, record_id: str, raw: dict[str, Any]) -> list[str]:
    """The ids the record is linked to the old way (up to `MOST` of a to-one's), those that exist."""
    if relink.table is None and relink.attribute is not None:
        pointer = raw.get(relink.attribute, {}).get("S")
        return _existing(tables, relink, [pointer] if pointer else [])
    if relink.edge_key is not None:
        return _edges(tables, relink, record_id)
    return _existing(tables, relink, _children(tables, relink, record_id))


def _edges(tables: Tables, relink: Relink, record_id: str) -> list[str]:
    """Up to `MOST` ids at the other end of the record's edges whose records exist. Edges to deleted
    records stay until the cleanup job (a one-way list's for good), so a page of them is read past:
    stopping there would carry over no link, or miss a second that blocks."""
    assert relink.edge_key is not None
    found: list[str] = []
    after = None
    while len(found) < MOST:
        page = edges.from_end(tables, relink.edge_key, record_id, after, MOST, backward=relink.backward)
        if not page:
            break
        found += _existing(tables, relink, page)
        after = page[-1]
    return found[:MOST]


def _children(tables: Tables, relink: Relink, record_id: str) -> list[str]:
    """The records of `relink.table` whose pointer `relink.attribute` names `record_id`."""
    assert relink.table is not None
    assert relink.attribute is not None
    response = tables.connection.client.query(
        TableName=tables.config.table_prefix + relink.table,
        IndexName=f"{relink.attribute}-link",
        KeyConditionExpression="#p = :id",
        ExpressionAttributeNames={"#p": relink.attribute, "#i": "id"},
        ExpressionAttributeValues={":id": {"S": record_id}},
        ProjectionExpression="#i",
        Limit=MOST,
    )
    return [item["id"]["S"] for item in response.get("Items", ())]


def _existing(tables: Tables, relink: Relink, ids: list[str]) -> list[str]:
    """`ids` whose records exist, in their order: a link's other end is one of `relink.field`'s
    targets, or with `reverse`, a record of the field's own model."""
    if not ids:
        return []
    store = RecordStore(tables)
    if relink.reverse:
        found = store.batch_get(tables.registry.model(relink.owner), [i for i in ids if is_id_of(i, relink.owner)])
    else:
        found = store.batch_get_linked(relink.field, ids)
    return [i for i in ids if i in found]
