"""The edges of to-many relations stored as edges (`Storage.EDGES`): one item per link.

An edge is stored once, from the side its relation's edge key names (`Relation.edge_key`), and
read from either end: forward by its key (strongly consistent), backward through the edge index,
which DynamoDB keeps eventually consistent: a link made a moment ago may be missing from a
backward read (e.g. `tag.posts` just after `updatePost(data: {tags: {connect: ...}})`) for a
fraction of a second. A relation that is its own inverse (`friends: [User]`) stores each link from
its smaller id and reads both ways.

Reads come in id order of the other end, a page at a time, resumed after the last id read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.schema.registry import Direction, Field
from chalicelib.store.tables import EDGE_INDEX, EdgeBase, Tables


@dataclass(frozen=True)
class EdgePage:
    """The ids at the other end of one page of links, in id order; `more` if the list goes on."""

    ids: list[str]
    more: bool
    scanned: int


def ends(field: Field, record_id: str, other_id: str) -> tuple[str, str]:
    """(source id, target id) of the edge linking `record_id` to `other_id` through `field`."""
    assert field.relation is not None
    direction = field.relation.direction
    if direction is Direction.FORWARD:
        return record_id, other_id
    if direction is Direction.BACKWARD:
        return other_id, record_id
    return min(record_id, other_id), max(record_id, other_id)


def item(tables: Tables, field: Field, record_id: str, other_id: str) -> EdgeBase:
    assert field.relation is not None
    key = field.relation.edge_key
    source, target = ends(field, record_id, other_id)
    return tables.edge(source=f"{key}#{source}", target_id=target, target=f"{key}#{target}", source_id=source)


def item_key(edge: EdgeBase) -> str:
    """The edge's key as one string, to tell two writes of one edge apart in a transaction."""
    return f"{edge.source}|{edge.target_id}"


def page(tables: Tables, field: Field, record_id: str, after: str | None, limit: int) -> EdgePage:
    """Up to `limit` ids linked to `record_id` through `field`, after `after`: one Query, or for a
    relation that is its own inverse two (one per direction), merged."""
    assert field.relation is not None
    found: set[str] = set()
    more = False
    scanned = 0
    for backward in _READS[field.relation.direction]:
        ids, rest = _query(tables, f"{field.relation.edge_key}#{record_id}", after, limit + 1, backward=backward)
        found.update(ids)
        more = more or rest
        scanned += len(ids)
    ordered = sorted(found)
    return EdgePage(ordered[:limit], more or len(ordered) > limit, scanned)


# Whether each read of a direction goes backward (through the index).
_READS = {Direction.FORWARD: (False,), Direction.BACKWARD: (True,), Direction.BOTH: (False, True)}


def _query(tables: Tables, key: str, after: str | None, limit: int, *, backward: bool) -> tuple[list[str], bool]:
    """One page of ids from one direction, and whether DynamoDB stopped before the end (1 MB)."""
    hash_name, range_name = ("target", "source_id") if backward else ("source", "target_id")
    names = {"#k": hash_name}
    values: dict[str, Any] = {":k": {"S": key}}
    condition = "#k = :k"
    if after is not None:
        names["#r"] = range_name
        values[":r"] = {"S": after}
        condition += " AND #r > :r"
    request: dict[str, Any] = {
        "TableName": tables.edge.Meta.table_name,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "Limit": limit,
    }
    if backward:
        request["IndexName"] = EDGE_INDEX
    else:
        request["ConsistentRead"] = True
    response = tables.connection.client.query(**request)
    ids = [raw[range_name]["S"] for raw in response.get("Items", ())]
    return ids, "LastEvaluatedKey" in response and len(ids) < limit
