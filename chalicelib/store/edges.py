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

from chalicelib.schema.registry import Direction, Field, Model, Registry, Storage
from chalicelib.store import batch
from chalicelib.store.changes import Edge
from chalicelib.store.tables import EDGE_INDEX, EdgeBase, Tables


@dataclass(frozen=True)
class EdgePage:
    """The ids at the other end of one page of links, in id order; `more` if the list goes on."""

    ids: list[str]
    more: bool
    scanned: int


def item(tables: Tables, field: Field, record_id: str, other_id: str) -> EdgeBase:
    assert field.relation is not None
    source, target = Edge(field, record_id, other_id).ends
    return stored(tables, field.relation.edge_key, source, target)


def item_key(edge: EdgeBase) -> str:
    """The edge's key as one string, to tell two writes of one edge apart in a transaction."""
    return f"{edge.source}|{edge.target_id}"


def page(tables: Tables, field: Field, record_id: str, after: str | None, limit: int) -> EdgePage:
    """Up to `limit` ids linked to `record_id` through `field`, after `after`: one Query, or for a
    relation that is its own inverse two (one per direction), merged."""
    assert field.relation is not None
    found: set[str] = set()
    # The last id read of a direction that may go on: past it, that direction is unread.
    cut: str | None = None
    scanned = 0
    for backward in _READS[field.relation.direction]:
        ids, rest = _query(tables, f"{field.relation.edge_key}#{record_id}", after, limit + 1, backward=backward)
        found.update(ids)
        scanned += len(ids)
        if rest and ids:
            cut = ids[-1] if cut is None else min(cut, ids[-1])
    ordered = sorted(i for i in found if cut is None or i <= cut)
    more = cut is not None or len(ordered) > limit
    return EdgePage(ordered[:limit], more, scanned)


# Whether each read of a direction goes backward (through the index).
_READS = {Direction.FORWARD: (False,), Direction.BACKWARD: (True,), Direction.BOTH: (False, True)}


def _query(tables: Tables, key: str, after: str | None, limit: int, *, backward: bool) -> tuple[list[str], bool]:
    """One page of ids from one direction, and whether it may go on (DynamoDB stopped at `limit`,
    or at 1 MB)."""
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
    return ids, "LastEvaluatedKey" in response


@dataclass(frozen=True)
class Ends:
    """The models at the two ends of the edges stored under one edge key: a relation to an
    interface or union has several at its target end (its ids say which)."""

    source: Model
    targets: tuple[Model, ...]

    def models(self) -> set[str]:
        return {self.source.name, *(t.name for t in self.targets)}


def relations(registry: Registry) -> dict[str, Ends]:
    """Every edge key of the schema, with the models at its ends. Each key is named by the field
    that reads it forward (or both ways)."""
    found: dict[str, Ends] = {}
    for model in registry:
        for field in model.relations():
            relation = field.relation
            if (
                relation is not None
                and relation.storage is Storage.EDGES
                and relation.direction is not Direction.BACKWARD
            ):
                found[relation.edge_key] = Ends(model, registry.targets(field))
    return found


def stored(tables: Tables, key: str, source_id: str, target_id: str) -> EdgeBase:
    """The edge item of `key` from `source_id` to `target_id`."""
    return tables.edge(
        source=f"{key}#{source_id}", target_id=target_id, target=f"{key}#{target_id}", source_id=source_id
    )


def from_end(tables: Tables, key: str, record_id: str, after: str | None, limit: int, *, backward: bool) -> list[str]:
    """Up to `limit` ids at the other end of the edges of `key` whose source (or with `backward`,
    whose target) is `record_id`, after `after`, in id order: one Query. Fewer than `limit` only at
    the end of the list or where DynamoDB stopped at 1 MB; empty only at the end."""
    ids, _ = _query(tables, f"{key}#{record_id}", after, limit, backward=backward)
    return ids


def write(tables: Tables, items: list[EdgeBase], *, linked: bool) -> int:
    """Put (or with `linked` false, delete) edge items, unconditionally, 25 a BatchWriteItem:
    either is idempotent. Returns the calls made."""
    unique = {item_key(i): i for i in items}.values()
    if linked:
        requests = [{"PutRequest": {"Item": i.serialize()}} for i in unique]
    else:
        requests = [
            {"DeleteRequest": {"Key": {"source": {"S": i.source}, "target_id": {"S": i.target_id}}}} for i in unique
        ]
    return batch.batch_write(tables.connection.client, tables.edge.Meta.table_name, requests, tables.backoff)
