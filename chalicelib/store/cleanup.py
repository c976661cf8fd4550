"""The cleanup job: removes the links a deleted record left stored elsewhere, and finishes the
bucket work of committed writes that their requests did not (store/object_work.py).

A delete writes a pending-cleanup item (`<model name>#<record id>`) in its own transaction and
leaves the record's links where they are, so that it costs the same whatever their number: the
children still pointing at it, and its edges at both ends. Reads skip links to a missing record;
this job removes them, then the pending item:

- each child found through the inverse pointer's index has its pointer removed (which takes it out
  of the index, and of the ordered indexes and counters it was in by that pointer) and its version
  bumped, by a write conditional on the child being as read: a child linked to another record
  meanwhile is left as it is;
- the edges from and to the record, for every relation stored as edges at either end, are deleted
  25 a BatchWriteItem.

Every step can be done twice (a pointer already removed fails its condition, an edge already
deleted is deleted again), so a run may stop anywhere and the next one starts the record over.
A run is bounded by a budget of writes and of time, and leaves the rest to the next run.

A pending item is left alone until it is `min_age` seconds old: the indexes the job reads are
eventually consistent, and a child or edge written just before the delete may not be in them yet.
A record found existing again (it was restored) keeps its links: only its pending item goes.

Bucket work waits as long: by then the request that recorded it has ended (its deadline is
shorter), having done it or not. The job does it through `settle` (chalicelib/files/settling.py,
the request's own code), then removes its pending item, unless a later write recorded new work
for the same object meanwhile; work S3 failed stays for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.schema.registry import Field, Model, Storage
from chalicelib.store import edges, object_work
from chalicelib.store.changes import VERSION, Changes, ObjectWork
from chalicelib.store.record import Record
from chalicelib.store.records import RecordStore, to_record
from chalicelib.store.tables import CleanupBase, Tables
from chalicelib.store.transaction import ConditionFailed, Conflict

# Links read per Query: one BatchWriteItem's worth of edges, a few of children.
PAGE = 25
# Writes of one child, changed meanwhile each time, before it is left for the next run.
ATTEMPTS = 3
# Pending items younger than this are left for a later run (see the module's docstring).
MIN_AGE_SECONDS = 60
# Does one piece of bucket work; whether it is over (False: S3 failed, try again on a later run).
Settle = Callable[[ObjectWork], bool]


@dataclass
class Budget:
    """What one run may do: at most `writes` items written or deleted, and no new step started
    after `seconds` (time.monotonic) have passed. None: no limit."""

    writes: int | None = None
    seconds: float | None = None
    clock: Callable[[], float] = time.monotonic
    used: int = 0
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def left(self) -> int:
        """How many more writes the run may make now: 0 once either limit is reached."""
        if self.seconds is not None and self.clock() - self.started >= self.seconds:
            return 0
        if self.writes is None:
            return PAGE
        return max(0, min(PAGE, self.writes - self.used))

    def spend(self, writes: int) -> None:
        self.used += writes


@dataclass
class Report:
    """What a run did."""

    cleaned: int = 0  # deleted records whose links are all gone, their pending items removed
    unset: int = 0  # children whose pointer to a deleted record was removed
    kept: int = 0  # children found linked to another record by then, left as they are
    edges: int = 0  # edges removed
    restored: int = 0  # records found existing again: their pending items removed, links kept
    waiting: int = 0  # pending items too recent to clean up yet
    unknown: int = 0  # pending items of a model (or bucket work of File fields) the schema no longer has
    settled: int = 0  # bucket work (moves, deletions) finished, its pending items removed
    unsettled: int = 0  # bucket work S3 failed, left for a later run
    finished: bool = True  # false when the budget ran out with work left

    def __str__(self) -> str:
        lines = [
            f"{self.cleaned} deleted records cleaned up: {self.unset} child links unset, {self.edges} edges removed",
        ]
        if self.kept:
            lines.append(f"{self.kept} children linked to another record meanwhile, left as they are")
        if self.restored:
            lines.append(f"{self.restored} records exist again: their links are kept")
        if self.waiting:
            lines.append(f"{self.waiting} deletions younger than the minimum age, left for a later run")
        if self.unknown:
            lines.append(f"{self.unknown} pending items of models or File fields the schema no longer has, left alone")
        if self.settled or self.unsettled:
            lines.append(f"{self.settled} file moves and deletions finished, {self.unsettled} failed (see the log)")
        if not self.finished:
            lines.append("the budget ran out with work left: run again to go on")
        return "\n".join(lines)


class _Stop(Exception):
    """The budget ran out."""


def run(tables: Tables, budget: Budget, *, min_age: float = MIN_AGE_SECONDS, settle: Settle | None = None) -> Report:
    """One pass over the pending cleanups, within `budget`; bucket work is done by `settle`, where
    the stage has a bucket."""
    store = RecordStore(tables)
    report = Report()
    now = time.time()
    try:
        for pending in _pending(tables):
            if budget.left() == 0:
                raise _Stop
            if now - pending.deleted < min_age:
                report.waiting += 1
                continue
            if object_work.is_object_work(pending.key):
                _settle(tables, settle, pending, budget, report)
                continue
            model_name, _, record_id = pending.key.partition("#")
            model = tables.registry.models.get(model_name)
            if model is None:
                report.unknown += 1
                continue
            _clean(store, model, record_id, pending, budget, report)
    except _Stop:
        report.finished = False
    return report


def _pending(tables: Tables) -> Iterator[CleanupBase]:
    """The pending items, page by page: a run that stops leaves the rest in the table, where the
    next run's scan finds them."""
    for page in tables.cleanup.scan(page_size=PAGE, consistent_read=True).page_iter:
        for raw in page.get("Items", ()):
            yield tables.cleanup.from_raw_data(raw)


def _clean(
    store: RecordStore, model: Model, record_id: str, pending: CleanupBase, budget: Budget, report: Report
) -> None:
    tables = store.tables
    if _exists(tables, model, record_id):
        _done(tables, pending, budget)
        report.restored += 1
        return
    for child_field in model.relations():
        if child_field.storage is Storage.CHILDREN:
            _unset_children(store, child_field, record_id, budget, report)
    for key, ends in edges.relations(tables.registry).items():
        for backward, end in ((False, (ends.source,)), (True, ends.targets)):
            if model in end:
                _remove_edges(tables, key, record_id, budget, report, backward=backward)
    _done(tables, pending, budget)
    report.cleaned += 1


def _settle(tables: Tables, settle: Settle | None, pending: CleanupBase, budget: Budget, report: Report) -> None:
    if settle is None:
        report.unknown += 1
    elif settle(object_work.from_item(pending)):
        _done(tables, pending, budget)
        report.settled += 1
    else:
        budget.spend(1)
        report.unsettled += 1


def _exists(tables: Tables, model: Model, record_id: str) -> bool:
    cls = tables.model_class(model.name)
    try:
        cls.get(record_id, consistent_read=True, attributes_to_get=["id"])
    except cls.DoesNotExist:
        return False
    return True


def _unset_children(store: RecordStore, children: Field, record_id: str, budget: Budget, report: Report) -> None:
    """Remove the pointers of the children of `record_id` through `children` (a CHILDREN field)."""
    assert children.relation is not None
    assert children.relation.inverse is not None
    target = store.tables.registry.model(children.type_name)
    pointer = target.fields[children.relation.inverse]
    cls = store.tables.model_class(target.name)
    index = getattr(cls, f"link_{pointer.name}")
    after: str | None = None
    while True:
        limit = budget.left()
        if limit == 0:
            raise _Stop
        condition = None if after is None else type(index).record_id > after
        page: dict[str, Any] = next(
            index.query(record_id, range_key_condition=condition, page_size=limit).page_iter, {}
        )
        found = [to_record(target, cls.from_raw_data(raw)) for raw in page.get("Items", ())]
        if not found:
            return
        for child in found:
            if _unset(store, target, pointer, child, record_id):
                report.unset += 1
            else:
                report.kept += 1
        budget.spend(len(found))
        after = found[-1]["id"]


def _unset(store: RecordStore, model: Model, pointer: Field, child: Record | None, record_id: str) -> bool:
    """Remove `pointer` from the child if it still holds `record_id` (with the ordered index keys
    and counters that depend on it); whether it did. The write holds the version of the child as
    read, from the index, which may be behind: when it has changed, it is read again."""
    for tries in range(1, ATTEMPTS + 1):
        if child is None or child.get(pointer.name) != record_id:
            return False
        changes = Changes()
        update = changes.update(model, child["id"])
        update.assign[pointer.name] = None
        update.current, update.version = child, child.get(VERSION) or 0
        try:
            store.write(changes)
            return True
        except ConditionFailed:
            pass
        except Conflict:
            store.backoff.wait(tries, "a cleanup")
        child = store.get(model, child["id"])
    # A child that keeps changing is left for the next run, with the pending item.
    raise _Stop


def _remove_edges(tables: Tables, key: str, record_id: str, budget: Budget, report: Report, *, backward: bool) -> None:
    """Delete the edges of `key` whose source (or with `backward`, target) is `record_id`."""
    after: str | None = None
    while True:
        limit = budget.left()
        if limit == 0:
            raise _Stop
        others = edges.from_end(tables, key, record_id, after, limit, backward=backward)
        if not others:
            return
        ends = [(other, record_id) if backward else (record_id, other) for other in others]
        edges.write(tables, [edges.stored(tables, key, source, target) for source, target in ends], linked=False)
        budget.spend(len(others))
        report.edges += len(others)
        after = others[-1]


def _done(tables: Tables, pending: CleanupBase, budget: Budget) -> None:
    """Remove the pending item, unless a later deletion of the same id (or write about the same
    object) wrote it again."""
    try:
        tables.connection.client.delete_item(
            TableName=tables.cleanup.Meta.table_name,
            Key={"key": {"S": pending.key}},
            ConditionExpression="attribute_not_exists(#k) OR #d = :d",
            ExpressionAttributeNames={"#k": "key", "#d": "deleted"},
            ExpressionAttributeValues={":d": {"N": str(pending.deleted)}},
        )
    except ClientError as error:
        if _code(error) != "ConditionalCheckFailedException":
            raise
    budget.spend(1)


def _code(error: ClientError) -> Any:
    return error.response.get("Error", {}).get("Code")
