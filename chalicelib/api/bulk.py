"""updateManyX and deleteManyX: the table read page by page, each match written only if it still
matches, within the request's deadline and resumable after it.

- The source is the read planner's (records by id, an index Query, or a Scan with the where-clause
  as its filter), read in pages; the full where-clause, relation filters included, is checked on
  each page.
- A record is written only if it still matches: through the write's condition when the where-clause
  compiles to one and the change needs no read, else through its version (the record is unchanged
  since it was read, so it still matches); a record that changed meanwhile is read again and
  judged again. `count` is the number of records actually changed.
- Writes go in chunks of consecutive records (see `chunks`): the records' conditional writes
  together in one TransactWriteItems of at most 100 items, written one at a time only when some
  record changed meanwhile; several chunks at once. Deleting by a where-clause that no write can
  change the answer to (none, or on `id` only), records without unique values, relations or
  counters go through BatchWriteItem, 25 a call.
- Work stops before the deadline: `complete: false` and `cursor`; the same call with `input.cursor`
  goes on after the last record handled, so none is handled twice or skipped.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from functools import partial
from typing import Any

from graphql import GraphQLResolveInfo

from chalicelib.access.context import RequestContext, request
from chalicelib.access.permissions import Action, authorize, owned_only
from chalicelib.api import scalars
from chalicelib.api.chunks import Chunk, chunks
from chalicelib.api.queries import restrict
from chalicelib.api.read_ahead import read_ahead
from chalicelib.api.writes import WritePlan, simple_update
from chalicelib.errors import INVALID_INPUT, ApiError, not_unique
from chalicelib.hooks.events import DELETE, UPDATE
from chalicelib.query import where as where_grammar
from chalicelib.query.conditions import compile_where
from chalicelib.query.loader import FULL_PAGE
from chalicelib.query.reader import Reader, Source, plan_source, start_key
from chalicelib.schema.registry import Model, Registry
from chalicelib.store.changes import VERSION, Changes
from chalicelib.store.records import Record, RecordStore, leaves_links
from chalicelib.store.sizes import ItemTooLarge
from chalicelib.store.transaction import ConditionFailed, Conflict, DuplicateItem, Transaction

Resolver = Any
# Where a run is: which part of its source (an index value, by its place in the where-clause)
# and the last record it handled there.
Position = tuple[int, str | None]
# What a run's cursors are signed for: no list's cursor resumes a run, nor a run's cursor a list.
CURSOR_SCOPE = "updateMany/deleteMany"
# Stop this long before the deadline: the last write must finish, and the answer travel back.
MARGIN_SECONDS = 1.0
# A record that keeps changing under the run is left as it is after this many readings.
ATTEMPTS = 3
# Records a chunk holds at most (its transaction holds at most 100 items), and chunks written at
# once: past the deadline, a call still sends its first WRITERS chunks, and no more.
CHUNK_RECORDS = 100
WRITERS = 4


class Bulk:
    def __init__(self, registry: Registry, store: RecordStore, page_cap: int) -> None:
        self.registry = registry
        self.store = store
        self.page_cap = page_cap

    def update_many(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
            return _Run(self, request(info), model, input, input["data"]).payload()

        return resolve

    def delete_many(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
            return _Run(self, request(info), model, input, None).payload()

        return resolve


class _Run:
    def __init__(
        self, bulk: Bulk, context: RequestContext, model: Model, input: dict[str, Any], data: dict[str, Any] | None
    ) -> None:
        authorize(context, model, Action.BULK)
        self.bulk = bulk
        self.context = context
        self.model = model
        self.input = input
        self.data = data
        # Only the records the caller may read and change are matched: the others do not exist for it.
        action = Action.DELETE if data is None else Action.UPDATE
        owned = restrict(owned_only(context, model), owned_only(context, model, action))
        where_grammar.validate(model, input["where"], bulk.registry)
        self.where = restrict(input["where"], owned)
        self.compiled = compile_where(model, self.where)
        self.source = plan_source(model, self.where)
        self.fingerprint = _fingerprint(model, self.where, data)
        self.cursors = context.loader.cursors
        self.deadline = (context.deadline or time.monotonic() + 25) - MARGIN_SECONDS
        self.count = 0
        self.position: Position = (0, None)
        self.now = scalars.now()
        # Deleting by a where-clause no write can change the answer to (none, or on `id` only):
        # records with nothing to unlink need no condition, and go 25 to a BatchWriteItem.
        # The team's steps see each record as read, and run for each: no blind writes then.
        self.hooked = context.hooks is not None and context.hooks.hooked(model, UPDATE if data else DELETE)
        self.blind = data is None and _on_ids_only(self.where) and not self.hooked
        # An update that needs no read, held by the where-clause's own condition: planned unread.
        self.unread = data is not None and simple_update(model, data) and self.compiled.exact and not self.hooked
        # Each record's latest plan, by id, whose files settle and `after` steps run once its write
        # committed.
        self.plans: dict[str, WritePlan] = {}
        self.settles = self.hooked or any(True for _ in model.file_fields())
        attaching = [n for n, v in (data or {}).items() if v is not None and model.fields[n].is_file]
        if attaching:
            message = f"{model.name}.{attaching[0]}: a file is attached to one record at a time, by update{model.name}"
            raise ApiError(INVALID_INPUT, message)

    def payload(self) -> dict[str, Any]:
        start = self._resume_at()
        if self.data is not None:
            self._check_unique(start)
        complete = self._work(start)
        return {
            "count": self.count,
            "complete": complete,
            "cursor": None if complete else self.cursors.encode(CURSOR_SCOPE, [self.fingerprint, *self.position]),
            "clientMutationId": self.input.get("clientMutationId"),
        }

    def _resume_at(self) -> Position:
        """Where to go on from: the source part (an index value's place) and the last record handled."""
        cursor = self.input.get("cursor")
        if cursor is None:
            return (0, None)
        fingerprint, part, last = self.cursors.decode(CURSOR_SCOPE, cursor, 3)
        if fingerprint != self.fingerprint or not isinstance(part, int):
            raise ApiError(INVALID_INPUT, "this cursor belongs to another updateMany / deleteMany call")
        return (part, last or None)

    def _check_unique(self, start: Position) -> None:
        """Setting a unique field on more than one record is refused before anything is written."""
        assert self.data is not None
        unique = [n for n, v in self.data.items() if v is not None and self.model.fields[n].unique]
        if not unique:
            return
        matches = 0
        for index, (_, records, _) in enumerate(self._pages(start)):
            if index and time.monotonic() > self.deadline:
                raise ApiError(INVALID_INPUT, f"{self.model.name}.{unique[0]} is unique: narrow `where` to one record")
            matches += len(records)
            if matches > 1:
                raise not_unique(self.model.name, unique[0])

    def _work(self, start: Position) -> bool:
        """Handle pages until done (True) or the deadline is near (False); progress is always made.

        Chunks are written by `WRITERS` threads (botocore's client is thread-safe), each in a copy of
        this request's context (its deadline, its call count), while the next chunks are planned:
        at most `WRITERS` are in flight, and the next page is read meanwhile (read_ahead). The
        position moves on as they are written, in order, so the cursor never passes a record not
        yet handled.
        """
        in_flight: deque[tuple[Position, Future[int]]] = deque()
        sent = 0
        with ThreadPoolExecutor(WRITERS) as pool, read_ahead(self._pages(start)) as pages:
            for part, records, sizes in pages:
                for chunk in self._chunks(records, sizes):
                    if len(in_flight) == WRITERS:
                        self._written(*in_flight.popleft())
                    if sent >= WRITERS and time.monotonic() > self.deadline:
                        self._all_written(in_flight)
                        return False
                    future = pool.submit(copy_context().run, self._write_chunk, chunk)
                    in_flight.append(((part, chunk.records[-1]["id"]), future))
                    sent += 1
            self._all_written(in_flight)
        return True

    def _written(self, position: Position, future: Future[int]) -> None:
        """Wait for a chunk: its records are counted, and the run is past them."""
        self.count += future.result()
        self.position = position

    def _all_written(self, in_flight: deque[tuple[Position, Future[int]]]) -> None:
        while in_flight:
            self._written(*in_flight.popleft())

    def _pages(self, start: Position) -> Iterator[tuple[int, list[Record], dict[str, int]]]:
        """The matching records, page by page, from `start`, each with the source part it came from
        and the sizes of the records as read, by id, where the read measured them."""
        reader = Reader(self.bulk.registry, self.bulk.store, self.context.loader.fresh(), FULL_PAGE)
        first_part, after = start
        source = self.source
        if source.ids is not None:
            ids = [i for i in sorted(set(source.ids)) if after is None or i > after]
            for offset in range(0, len(ids), FULL_PAGE):
                found = reader.loader.load(self.model, ids[offset : offset + FULL_PAGE])
                yield 0, reader.matching(self.model, self.where, [found[i] for i in sorted(found)]), {}
            return
        condition = self.compiled.condition
        values = source.values if source.index is not None else [None]
        for part, value in enumerate(values):
            if part < first_part:
                continue
            resume = after if part == first_part else None
            if source.index is not None:
                one = Source(index=source.index, values=[value])
                key = start_key(one, resume) if resume is not None else None
                pages = self.bulk.store.index_pages(
                    self.model, source.index, value, condition, key, FULL_PAGE, sized=True
                )
            else:
                key = start_key(source, resume) if resume is not None else None
                pages = self.bulk.store.scan_pages(self.model, condition, key, FULL_PAGE, sized=True)
            for page in pages:
                # A fresh loader per page keeps memory flat however many pages there are.
                reader.loader = self.context.loader.fresh()
                yield part, reader.matching(self.model, self.where, page.records), page.sizes

    def _chunks(self, records: list[Record], sizes: dict[str, int]) -> Iterator[Chunk]:
        # One time for the page's timestamps: its records' updates are then alike but for their
        # record, and a chunk sends one expression (store/alike.py) rather than one per record.
        self.now = scalars.now()
        return chunks(records, self._planned, self._plain, partial(self._size, sizes), CHUNK_RECORDS)

    def _size(self, sizes: dict[str, int], record: Record) -> int:
        """A record's size as stored: as measured when read, else computed from the record."""
        size = sizes.get(record["id"])
        return self.bulk.store.size(self.model, record) if size is None else size

    def _plain(self, record: Record) -> bool:
        return self.blind and _plain(self.bulk.registry, self.model, record)

    def _planned(self, record: Record) -> Transaction | None:
        """The record's write as a transaction of its own; None if it cannot be one (it is written
        alone, and fails or is judged again there)."""
        try:
            return self.bulk.store.transaction(self._plan(record))
        except DuplicateItem:
            return None
        except ItemTooLarge as error:
            raise _too_large(self.model, record, error) from error

    def _write_chunk(self, chunk: Chunk) -> int:
        """Write a chunk; the number of records changed."""
        if chunk.plain:
            self.bulk.store.batch_delete(self.model, [r["id"] for r in chunk.plain])
        if chunk.transaction is not None:
            try:
                chunk.transaction.commit()
                self._committed(chunk.planned)
                return len(chunk.records)
            except (ConditionFailed, Conflict, ItemTooLarge):
                pass  # a record changed since it was read, is being written, or is too large: one at a time
        return len(chunk.plain) + sum(self._write_one(record) for record in chunk.planned)

    def _write_one(self, record: Record) -> bool:
        """Write one record if it still matches, reading it again if it changed; whether it was."""
        current: Record | None = record
        for tries in range(1, ATTEMPTS + 1):
            if current is None:
                return False
            try:
                self.bulk.store.write(self._plan(current))
                self._committed([current])
                return True
            except ItemTooLarge as error:
                raise _too_large(self.model, record, error) from error
            except (ConditionFailed, DuplicateItem) as failure:
                if failure.label.field is not None and failure.label.record_id is None:
                    raise not_unique(failure.label.model, failure.label.field) from failure
            except Conflict:
                # A transaction on the same items is under way: let it end before trying again.
                self.bulk.store.backoff.wait(tries, "a bulk write")
            # It changed since it was read: read it again, and write it only if it still matches.
            current = self._still_matching(record["id"])
        return False

    def _plan(self, record: Record) -> Changes:
        plan = WritePlan(self.bulk.registry, self.bulk.store, self.context, self.now)
        if self.settles:
            self.plans[record["id"]] = plan
        if self.data is None:
            plan.delete(self.model, record)
        elif self.unread:
            plan.update_unread(self.model, record["id"], self.data, record).condition = self.compiled.condition
        else:
            plan.update(self.model, record, self.data)
        _guard_with_where(plan.changes, self.model, record, self.compiled.condition if self.compiled.exact else None)
        return plan.finish()

    def _committed(self, records: list[Record]) -> None:
        for record in records:
            plan = self.plans.pop(record["id"], None)
            if plan is not None:
                plan.committed()

    def _still_matching(self, record_id: str) -> Record | None:
        record = self.bulk.store.get(self.model, record_id)
        if record is None:
            return None
        reader = Reader(self.bulk.registry, self.bulk.store, self.context.loader.fresh(), FULL_PAGE)
        return record if reader.matching(self.model, self.where, [record]) else None


def _too_large(model: Model, record: Record, error: ItemTooLarge) -> ApiError:
    return ApiError(INVALID_INPUT, f"{model.name} {record['id']}: {error}")


def _plain(registry: Registry, model: Model, record: Record) -> bool:
    """A record with no unique value, no file, no to-one link and no to-many relation, of a model that
    keeps no counters: deleting it touches nothing else and leaves no link or object behind. A
    counted model's deletes go in transactions, 99 records and their summed counts in each, which
    is fewer calls than BatchWriteItem's 25."""
    if leaves_links(registry, model) or model.sorted_indexes:
        return False
    for field in model.fields.values():
        if field.is_id:
            continue
        if (field.unique or field.is_relation or field.is_file) and record.get(field.name) is not None:
            return False
    return True


def _guard_with_where(changes: Changes, model: Model, record: Record, condition: Any) -> None:
    """The target's write holds only if it still matches: by the where-clause's own condition when
    it has an exact one, else by the version it was judged at."""
    key = (model.name, record["id"])
    target = changes.updates.get(key) or changes.deletes.get(key)
    if target is None:
        return
    if condition is not None:
        target.condition = condition
    elif key in changes.updates:
        changes.updates[key].version = record.get(VERSION) or 0


def _on_ids_only(where: dict[str, Any] | None) -> bool:
    if not where:
        return True
    for key, value in where.items():
        if value is None:
            continue
        if key in ("match", "exists", "range"):
            if any(name != "id" for name in value):
                return False
        elif key in ("and", "or"):
            if not all(_on_ids_only(w) for w in value):
                return False
        elif key == "not":
            if not _on_ids_only(value):
                return False
        else:
            return False
    return True


def _fingerprint(model: Model, where: Any, data: Any) -> str:
    text = json.dumps([model.name, where, data], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
