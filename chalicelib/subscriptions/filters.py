"""`<Model>SubscriptionWhereInput`: which events a subscription wants.

Keys side by side must all hold; `AND` / `OR` compose. `mutation_in` lists the kinds wanted;
`updatedFields_contains` (any of) and `updatedFields_contains_every` (all of) hold only for
UPDATED, whose changed fields they look at; `node` is the model's where-clause, judged on the
record (for DELETED, as it was) by the caller's `node_matches`, which follows relation filters
with the subscriber's rights.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.subscriptions.events import Event, Mutation

SubscriptionWhere = dict[str, Any]
NodeMatches = Callable[[dict[str, Any]], bool]


def holds(where: SubscriptionWhere | None, event: Event, node_matches: NodeMatches) -> bool:
    if not where:
        return True
    kinds = where.get("mutation_in")
    if kinds is not None and event.mutation.value not in kinds:
        return False
    changed = set(event.updated_fields or ()) if event.mutation is Mutation.UPDATED else None
    any_of = where.get("updatedFields_contains")
    if any_of is not None and (changed is None or not changed & set(any_of)):
        return False
    every = where.get("updatedFields_contains_every")
    if every is not None and (changed is None or not set(every) <= changed):
        return False
    if any(not holds(w, event, node_matches) for w in where.get("AND") or []):
        return False
    ors = where.get("OR")
    if ors is not None and not any(holds(w, event, node_matches) for w in ors):
        return False
    # Last: a relation filter in `node` may read.
    node = where.get("node")
    return node is None or node_matches(node)


def record_ids(where: SubscriptionWhere | None) -> frozenset[str] | None:
    """The ids every matching event's record must have, if the filter names them (an `id` match in
    `node`, or in a node of an `AND` member, at the top of the where-clause's conjunction); None
    when any record of the model may match. What the index files a subscription under."""
    found: frozenset[str] | None = None
    for ids in _id_matches(where):
        found = ids if found is None else found & ids
    return found


def _id_matches(where: SubscriptionWhere | None) -> Iterator[frozenset[str]]:
    if not where:
        return
    for node in _node_conjuncts(where.get("node")):
        match = node.get("match") or {}
        if "id" in match and match["id"] is not None:
            yield frozenset(i for i in match["id"] if isinstance(i, str))
    for child in where.get("AND") or []:
        yield from _id_matches(child)


def _node_conjuncts(node: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    if not node:
        return
    yield node
    for child in node.get("and") or []:
        yield from _node_conjuncts(child)
