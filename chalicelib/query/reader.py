"""The query planner and pager: a where-clause, an order and page arguments become DynamoDB reads.

Plans, cheapest first:
- `match` on `id` (values given): the records by id, one BatchGetItem per 100;
- `match` on a `@unique` or `@index` field: a Query of its index per value;
- otherwise a Scan, with the where-clause compiled into its FilterExpression.
What DynamoDB returns is then checked against the full where-clause (relation filters included,
their records batch-loaded), ordered, and sliced: `skip`, then `after` / `before`, then `first`,
then `last`.

Without `orderBy`, a list keeps the order of its source (the table's scan order, stable for a
given table) and is streamed: DynamoDB stops being read once `first` records are found. Anything
that needs the whole list (an order, `last`, `before`, `skip`, a count) reads all matches. Either
way, at most `page_cap` items are read per request: a stream that reaches the cap ends its page
there, with `hasNextPage` and an `endCursor` that resumes after the last item read; a read that
needs the whole list and would pass the cap is refused with an error rather than answered wrong.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.errors import INVALID_INPUT, ApiError
from chalicelib.query import counts, order, sorted_reads, where
from chalicelib.query.conditions import compile_where
from chalicelib.query.cursors import ListCursors, Position
from chalicelib.query.loader import FULL_PAGE, Loader, too_many
from chalicelib.schema.registry import Field, Model, Registry, Storage
from chalicelib.store import counters
from chalicelib.store.attributes import index_attribute_name, index_key
from chalicelib.store.record import Record
from chalicelib.store.records import Key, Page, RecordStore, linked_model
from chalicelib.store.sizes import MAX_SORT_KEY_BYTES


@dataclass
class ListArgs:
    where: where.Where | None = None
    order: order.OrderBy = field(default_factory=list)
    first: int | None = None
    last: int | None = None
    skip: int | None = None
    before: str | None = None
    after: str | None = None

    def check(self) -> None:
        for name in ("first", "last", "skip"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ApiError(INVALID_INPUT, f"`{name}` cannot be negative")

    @property
    def streams(self) -> bool:
        """Whether the list can be read front to back and stopped early."""
        return not self.order and self.last is None and self.before is None and not self.skip


@dataclass
class Slice:
    records: list[Record]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    count: int | None = None
    # Where a stream stopped at the read cap: resuming `after` it continues the list.
    resume: str | None = None

    @property
    def start_cursor(self) -> str | None:
        return self.cursors[0] if self.cursors else None

    @property
    def end_cursor(self) -> str | None:
        return self.resume or (self.cursors[-1] if self.cursors else None)


@dataclass
class Source:
    """Where candidates come from; `index` set for an index Query, `ids` for reads by id."""

    ids: list[str] | None = None
    index: Field | None = None
    values: list[Any] = field(default_factory=list)

    @property
    def streams(self) -> bool:
        return self.ids is None and len(self.values) <= 1


class Reader:
    def __init__(self, registry: Registry, store: RecordStore, loader: Loader, page_cap: int) -> None:
        self.registry = registry
        self.store = store
        self.loader = loader
        self.page_cap = page_cap
        self.cursors = loader.cursors

    def read(self, model: Model, args: ListArgs, *, count: bool = False, page: bool = True) -> Slice:
        """A page of `model`'s records (none, when not `page`), with their `count` when asked."""
        args.check()
        where.validate(model, args.where, self.registry)
        if count:
            counted = self._counted(counts.plan(model, args.where, self._resolve), model)
            if counted is not None:
                return self._with_count(model, args, counted, page)
        cursors = self.cursors.of_list(model.name, args.order)
        source = plan_source(model, args.where)
        if source.ids is None and not count:
            ordered = sorted_reads.plan(model, args.where, args.order, self._resolve)
            if ordered is not None:
                return self._ordered(model, args, ordered, cursors)
        if args.streams and source.streams and not count:
            start = start_key(source, cursors.decode(args.after, 1)[0]) if args.after else None
            size = self._page_size(args.first, args.where)
            return self._stream(model, args, self._pages(model, args.where, source, start, size), cursors)
        try:
            records = self._all(model, args.where, source)
        except ApiError as error:
            raise _with_hint(error, model, args) from None
        return _slice(args, records, source, cursors)

    def read_related(
        self, field: Field, record: Record, args: ListArgs, *, count: bool = False, page: bool = True
    ) -> Slice:
        """A page of `record`'s related records through the to-many `field`, in id order: streamed
        a Query page at a time when it can be (see `ListArgs.streams`), else the whole list."""
        args.check()
        model = self.registry.shape(field.type_name)
        where.validate(model, args.where, self.registry)
        assert field.relation is not None
        if count and field.storage is Storage.CHILDREN and not self.registry.polymorphic(field):
            assert field.relation.inverse is not None
            fixed = {field.relation.inverse: record["id"]}
            counted = self._counted(counts.plan(model, args.where, self._resolve, fixed), model)
            if counted is not None:
                return self._with_count(model, args, counted, page, lambda: self.read_related(field, record, args))
        # Its cursors are its records' model's: a position in the same order means the same in
        # any list of that model (a page of every user resumes each city's users).
        cursors = self.cursors.of_list(field.type_name, args.order)
        if args.streams and not count:
            after = cursors.decode(args.after, 1)[0] if args.after else None
            if after is not None and not (isinstance(after, str) and 0 < len(after.encode()) <= MAX_SORT_KEY_BYTES):
                raise ApiError(INVALID_INPUT, "the cursor is not a position in this list")
            size = self._page_size(args.first, args.where)
            pages = self.loader.pages(field, record, after, size)
            if self.registry.polymorphic(field):
                pages = self._readable(field, pages)
            return self._stream(model, args, pages, cursors)
        # A list of children is equality on their pointer back: an index on it may serve the order.
        inverse = field.relation.inverse if field.storage is Storage.CHILDREN else None
        if inverse is not None and not count and not self.registry.polymorphic(field):
            ordered = sorted_reads.plan_related(model, inverse, record["id"], args.where, args.order)
            if ordered is not None:
                # The same list of the other records of the group is read alongside (see `_ordered`).
                group = [ordered.partition(model, [r["id"]]) for r in self.loader.group_of(field, record)]
                return self._ordered(model, args, ordered, cursors, [p for p in group if p is not None])
        try:
            related = self.loader.related(field, record)
        except ApiError as error:
            raise _with_hint(error, model, args, (inverse,) if inverse else ()) from None
        records = self._filter(model, args.where, related)
        return _slice(args, records, Source(ids=[r["id"] for r in records]), cursors)

    def _counted(self, plan: counts.Count | None, model: Model) -> int | None:
        """The count `plan` names, from its counters; None without one. Related records named by
        the where-clause count only if they exist and the caller may read them (one batch read)."""
        if plan is None:
            return None
        for name in plan.related:
            target = self.registry.model(model.fields[name].type_name)
            found = self.loader.load(target, plan.values[name])
            plan.values[name] = [i for i in plan.values[name] if i in found and self.loader.readable(target, found[i])]
        return counters.read(self.store.tables, plan.counters(model))

    def _with_count(
        self, model: Model, args: ListArgs, count: int, page: bool, read: Callable[[], Slice] | None = None
    ) -> Slice:
        """The page as it reads without a count (when asked), with `count` from counters."""
        found = Slice([], [], has_next=False, has_previous=False)
        if page:
            found = read() if read is not None else self.read(model, args)
        found.count = count
        return found

    def _readable(self, field: Field, pages: Iterator[Page]) -> Iterator[Page]:
        """The records of an interface or union list the caller may read, each judged as one of its
        own model (a plain to-many restricts its where-clause to them instead)."""
        for page in pages:
            kept = []
            for record in page.records:
                model = linked_model(self.registry, field, record["id"])
                if model is not None and self.loader.readable(model, record):
                    kept.append(record)
            yield Page(kept, page.last_key, page.scanned)

    def lookup(self, model: Model, field: Field, values: list[Any], where_: where.Where | None) -> list[Record | None]:
        """`users(email: [...])`: the record of each value, in the order asked, None where missing."""
        where.validate(model, where_, self.registry)
        if len(values) > self.page_cap:
            raise too_many(model, self.page_cap)
        if field.is_id:
            found = self.loader.load(model, values)
        else:
            found = {}
            for value in dict.fromkeys(values):
                record = self.store.find_unique(model, field, value)
                if record is not None:
                    found[value] = record
        records = [found.get(value) for value in values]
        kept = self._filter(model, where_, [r for r in records if r is not None])
        kept_ids = {r["id"] for r in kept}
        return [r if r is not None and r["id"] in kept_ids else None for r in records]

    def matching(self, model: Model, where_: where.Where | None, records: list[Record]) -> list[Record]:
        where.validate(model, where_, self.registry)
        return self._filter(model, where_, records)

    def _filter(self, model: Model, where_: where.Where | None, records: list[Record]) -> list[Record]:
        paths = where.relation_paths(model, where_, self.registry)
        self.loader.prefetch(model, records, paths)
        return [r for r in records if where.matches(model, where_, r, self.registry, self.loader.related)]

    def _all(self, model: Model, where_: where.Where | None, source: Source) -> list[Record]:
        if source.ids is not None:
            if len(source.ids) > self.page_cap:
                raise too_many(model, self.page_cap)
            found = self.loader.load(model, source.ids)
            return self._filter(model, where_, [found[i] for i in source.ids if i in found])
        records: list[Record] = []
        read = 0
        for page in self._pages(model, where_, source, None, min(FULL_PAGE, self.page_cap + 1)):
            read += page.scanned
            if read > self.page_cap:
                raise too_many(model, self.page_cap)
            records += self._filter(model, where_, page.records)
        return records

    def _stream(self, model: Model, args: ListArgs, pages: Iterator[Page], cursors: ListCursors) -> Slice:
        wanted = args.first
        records: list[Record] = []
        read = 0
        more = False
        resume: str | None = None
        for page in pages:
            read += page.scanned
            records += self._filter(model, args.where, page.records)
            if wanted is not None and len(records) > wanted:
                more = True
                break
            if page.last_key is None:
                break
            if read >= self.page_cap:
                more = True
                if wanted is None or len(records) < wanted:
                    # Stopped by the read cap, not by `first`: resume after the last item read.
                    resume = cursors.encode([page.last_key["id"]["S"]])
                break
        if wanted is not None and len(records) > wanted:
            records = records[:wanted]
            resume = None
        positions = [cursors.encode([r["id"]]) for r in records]
        return Slice(records, positions, has_next=more, has_previous=args.after is not None, resume=resume)

    def _resolve(self, field: Field, key: str, values: list[Any]) -> list[str] | None:
        """The ids of `field`'s target whose unique `key` holds one of `values`: one index Query
        per value (None when `key` is not unique, or the target not one model)."""
        if self.registry.polymorphic(field) or len(values) > sorted_reads.MAX_PARTITIONS:
            return None
        target = self.registry.model(field.type_name)
        unique = target.fields.get(key)
        if unique is None or not unique.unique or unique.is_list:
            return None
        found = (self.store.find_unique(target, unique, value) for value in values)
        return [record["id"] for record in found if record is not None]

    def _ordered(
        self,
        model: Model,
        args: ListArgs,
        plan: sorted_reads.Plan,
        cursors: ListCursors,
        group: list[str] | None = None,
    ) -> Slice:
        """A page through an ordered index (query/sorted_reads.py): read forward from `after` for
        `first`, or backward from `before` for `last`, as far as the page needs.

        `skip` counts from the list's start, before the cursors: with no cursor and no `last` the
        read drops its first matches; otherwise the skip-th match is read first, and the page
        starts past it or past `after`, whichever is later. `hasPreviousPage` and `hasNextPage`
        are exact: where the read stops at a cursor, whether a match stands there is asked of the
        cursor's record, or else of the index (see `_reaches`).

        A relation list names the partitions of its parent's `group`: a read from the start of the
        list reads the first page of each of them at once, concurrently (Loader.prefetch_sorted),
        so that a list of parents costs one round of Queries, not one Query after another."""
        after = self._cursor(model, args, plan, cursors, args.after)
        before = self._cursor(model, args, plan, cursors, args.before)
        reverse = args.last is not None and args.first is None
        read = Tally()
        seen: dict[str, Record] = {}
        lower, dropped, skipped = after, 0, False
        if args.skip and (after is not None or reverse):
            nth, found = self._nth_match(model, args, plan, args.skip, read)
            if nth is None:
                return Slice([], [], has_next=False, has_previous=found > 0)  # every match is skipped
            skipped = True
            if lower is None or order.compare(args.order, nth, lower) > 0:
                lower = nth
        elif args.skip:
            dropped = args.skip
        wanted = args.last if reverse else None if args.first is None else dropped + args.first
        size = max(1, min(self.page_cap, FULL_PAGE if wanted is None else wanted + 1))
        # One past the page tells whether there is more; a read from a cursor reads its record too,
        # and with further order keys one more tells that the page's last tie has ended.
        query_size = size + ((before if reverse else lower) is not None) + (len(args.order) > 1)
        from_start = lower is None and before is None
        candidates = self._in_order(
            model,
            args.order,
            plan,
            lower,
            before,
            reverse,
            query_size,
            read,
            seen=seen,
            group=group if from_start else None,
            needed=size,
        )
        records: list[Record] = []
        resume: str | None = None
        capped = False
        while wanted is None or len(records) <= wanted:
            # No more than the page still lacks: a record past them could start another Query.
            chunk = list(itertools.islice(candidates, size if wanted is None else wanted + 1 - len(records)))
            if not chunk:
                break
            records += self._filter(model, args.where, chunk)
            if read.count >= self.page_cap and (wanted is None or len(records) <= wanted):
                if reverse or wanted is None:
                    raise too_many(model, self.page_cap)
                # Stopped by the read cap, not by `first`: resume after the last record examined.
                capped = True
                resume = cursors.encode(order.position(args.order, chunk[-1]))
                break
        if reverse:
            assert args.last is not None
            more = len(records) > args.last
            chosen = list(reversed(records[: args.last]))
            has_previous = more or skipped or self._reaches(model, args, plan, after, seen, size, read, forward=False)
            has_next = self._reaches(model, args, plan, before, seen, size, read, forward=True)
        else:
            chosen = records[dropped:]
            more = args.first is not None and len(chosen) > args.first
            chosen = chosen if args.first is None else chosen[: args.first]
            has_next = more or capped or self._reaches(model, args, plan, before, seen, size, read, forward=True)
            has_previous = (
                skipped
                or (dropped > 0 and bool(records))
                or self._reaches(model, args, plan, after, seen, size, read, forward=False)
            )
            if args.last is not None:
                has_previous = has_previous or len(chosen) > args.last
                chosen = chosen[max(0, len(chosen) - args.last) :]
            if more:
                resume = None
        positions = [cursors.encode(order.position(args.order, r)) for r in chosen]
        return Slice(chosen, positions, has_next=has_next, has_previous=has_previous, resume=resume)

    def _cursor(
        self, model: Model, args: ListArgs, plan: sorted_reads.Plan, cursors: ListCursors, cursor: str | None
    ) -> Position | None:
        if cursor is None:
            return None
        position = cursors.decode(cursor, len(args.order) + 1)
        plan.cursor_bounds(model, args.order, position)  # refuses a position the index cannot hold
        return position

    def _nth_match(
        self, model: Model, args: ListArgs, plan: sorted_reads.Plan, n: int, read: Tally
    ) -> tuple[Position | None, int]:
        """The position of the list's `n`th match (None when there are fewer), and how many were found."""
        # With further order keys, one more tells that the nth record's tie has ended.
        size = max(1, min(self.page_cap, n)) + (len(args.order) > 1)
        candidates = self._in_order(model, args.order, plan, None, None, False, size, read)
        found = 0
        while chunk := list(itertools.islice(candidates, n - found)):
            matches = self._filter(model, args.where, chunk)
            if found + len(matches) >= n:
                return order.position(args.order, matches[n - found - 1]), n
            found += len(matches)
            if read.count >= self.page_cap:
                raise too_many(model, self.page_cap)
        return None, found

    def _reaches(
        self,
        model: Model,
        args: ListArgs,
        plan: sorted_reads.Plan,
        cursor: Position | None,
        seen: dict[str, Record],
        size: int,
        read: Tally,
        *,
        forward: bool,
    ) -> bool:
        """Whether a match stands at the cursor's position or past it (`forward`), or at it or
        before it: false without a cursor (the read reached the list's end). Asked only once the
        page's read has reached the cursor, so the cursor's record, if it still stands there, is in
        `seen`: when it matches, that tells. Else the index is read from the cursor on to the first
        match. Past the read cap it is unknown: true, as Relay allows."""
        if cursor is None:
            return False
        record = seen.get(cursor[-1])
        if record is not None and self._filter(model, args.where, [record]):
            return True
        # Without a where-clause to judge by, the first record read is a match (a tie is read whole).
        size = 1 if not args.where and len(args.order) == 1 else size
        low, high = (cursor, None) if forward else (None, cursor)
        candidates = self._in_order(model, args.order, plan, low, high, not forward, size, read, inclusive=True)
        while read.count < self.page_cap:
            chunk = list(itertools.islice(candidates, size))
            if not chunk:
                return False
            if self._filter(model, args.where, chunk):
                return True
        return True

    def _in_order(
        self,
        model: Model,
        order_by: order.OrderBy,
        plan: sorted_reads.Plan,
        after: Position | None,
        before: Position | None,
        reverse: bool,
        size: int,
        read: Tally,
        *,
        inclusive: bool = False,
        seen: dict[str, Record] | None = None,
        group: list[str] | None = None,
        needed: int = 0,
    ) -> Iterator[Record]:
        """The records of `plan` between the positions `after` and `before` (exclusive, or
        `inclusive`), in the list's order, or backward when `reverse`; read `size` a Query, not
        yet judged by the where-clause. A record found at a bound's very position goes to `seen`;
        the first pages of the `group`'s partitions are read ahead with this one's, as far as
        `needed` records."""
        segments = plan.reading(
            None if after is None else plan.cursor_bounds(model, order_by, after),
            None if before is None else plan.cursor_bounds(model, order_by, before),
            reverse,
        )
        if group:
            self.loader.prefetch_sorted(model, plan, segments, size, group, needed)
        for record in self._segments_in_order(model, order_by, plan, segments, reverse, size, read):
            at = order.position(order_by, record)
            beyond = [order.compare(order_by, at, after)] if after is not None else []
            beyond += [order.compare(order_by, before, at)] if before is not None else []
            if 0 in beyond and seen is not None:
                seen[record["id"]] = record
            if any(_past(compared, inclusive) for compared in beyond):
                continue
            yield record

    def _segments_in_order(
        self,
        model: Model,
        order_by: order.OrderBy,
        plan: sorted_reads.Plan,
        segments: list[tuple[sorted_reads.Segment, bool]],
        reverse: bool,
        size: int,
        read: Tally,
    ) -> Iterator[Record]:
        """The records of `segments` in the list's order (the index's, its ties sorted by the
        further keys), or backward when `reverse`; each segment read only once the ones before it
        are: a tie never spans two (values and nulls)."""
        for segment, forward in segments:
            records = read.counted(self._index_records(model, plan, segment, forward, size))
            if len(order_by) > 1:
                records = self._ties_sorted(model, order_by, records, reverse)
            yield from records

    def _ties_sorted(
        self, model: Model, order_by: order.OrderBy, records: Iterator[Record], reverse: bool
    ) -> Iterator[Record]:
        """`records` in the index's order (the first order key, then the id) in the full order:
        each run of records that tie on the first key is read whole, one past its end, and sorted
        by the rest (backward when `reverse`). A tie past the read cap is refused, like any read
        that needs more than the cap to answer."""
        name = order_by[0][0].name
        tie: list[Record] = []
        for record in itertools.chain(records, [None]):
            if tie and (record is None or record.get(name) != tie[0].get(name)):
                ordered = order.sort(order_by, tie)
                yield from reversed(ordered) if reverse else ordered
                tie = []
            if record is not None:
                tie.append(record)
                if len(tie) > self.page_cap:
                    raise too_many(model, self.page_cap)

    def _index_records(
        self, model: Model, plan: sorted_reads.Plan, segment: sorted_reads.Segment, forward: bool, page_size: int
    ) -> Iterator[Record]:
        """The records of `segment` in reading order: one Query per partition, merged by range key."""
        streams = [
            _records(self.loader.sorted_pages(model, plan, partition, segment, forward, page_size))
            for partition in plan.partitions
        ]
        return heapq.merge(*streams, key=lambda r: plan.range_key(model, r), reverse=not forward)

    def _page_size(self, wanted: int | None, where_: where.Where | None) -> int:
        size = FULL_PAGE if where_ or wanted is None else wanted + 1
        return max(1, min(size, self.page_cap))

    def _pages(
        self, model: Model, where_: where.Where | None, source: Source, start: Key | None, page_size: int
    ) -> Iterator[Page]:
        condition = compile_where(model, where_).condition
        if source.index is None:
            yield from self.store.scan_pages(model, condition, start, page_size)
            return
        for value in source.values:
            yield from self.store.index_pages(model, source.index, value, condition, start, page_size)


@dataclass
class Tally:
    """The items one ordered read has taken from its index, against the read cap."""

    count: int = 0

    def counted(self, records: Iterator[Record]) -> Iterator[Record]:
        for record in records:
            self.count += 1
            yield record


def _past(compared: int, inclusive: bool) -> bool:
    """Whether a record `compared` to a bound (negative: on the near side) is left out by it."""
    return compared < 0 or (compared == 0 and not inclusive)


def _records(pages: Iterator[Page]) -> Iterator[Record]:
    for page in pages:
        yield from page.records


def _with_hint(error: ApiError, model: Model, args: ListArgs, fields: tuple[str, ...] = ()) -> ApiError:
    """A read refused for the cap, with the `@index` that would have served it when it is ordered."""
    if not args.order or "needs more than" not in error.message:
        return error
    hint = sorted_reads.suggestion(model, args.where, args.order, fields)
    return ApiError(
        error.code, f"{error.message}; or declare {hint} on {model.name}, which reads a page", **error.extensions
    )


def plan_source(model: Model, where_: where.Where | None) -> Source:
    """The cheapest source for `where_`: an equality on the id, then on an indexed field, else a scan."""
    candidates: dict[str, list[Any]] = {}
    for clause in where.conjuncts(where_):
        for name, values in (clause.get("match") or {}).items():
            if values is not None and None not in values and name not in candidates:
                candidates[name] = values
    if "id" in candidates:
        return Source(ids=list(dict.fromkeys(candidates["id"])))
    for name, values in candidates.items():
        field_ = model.fields[name]
        if not field_.is_list and (field_.unique or field_.indexed):
            return Source(index=field_, values=list(dict.fromkeys(values)))
    return Source()


def start_key(source: Source, record_id: str) -> Key:
    key: Key = {"id": {"S": record_id}}
    if source.index is not None:
        key[index_attribute_name(source.index)] = {"S": index_key(source.index, source.values[0])}
    return key


def _slice(args: ListArgs, records: list[Record], source: Source, cursors: ListCursors) -> Slice:
    if args.order:
        records = order.sort(args.order, records)
    elif source.ids is not None or len(source.values) > 1:
        records = sorted(records, key=lambda r: r["id"])
    total = len(records)
    positions = [order.position(args.order, r) for r in records]
    low, high = min(args.skip or 0, total), total
    if args.after is not None:
        low = max(low, _bound(args, positions, cursors.decode(args.after, len(args.order) + 1), after=True))
    if args.before is not None:
        high = min(high, _bound(args, positions, cursors.decode(args.before, len(args.order) + 1), after=False))
    high = max(low, high)
    if args.first is not None:
        high = min(high, low + args.first)
    if args.last is not None:
        low = max(low, high - args.last)
    chosen = records[low:high]
    return Slice(
        chosen,
        [cursors.encode(p) for p in positions[low:high]],
        has_next=high < total,
        has_previous=low > 0,
        count=total,
    )


def _bound(args: ListArgs, positions: list[list[Any]], target: list[Any], *, after: bool) -> int:
    """The index just past (`after`) or at (`before`) a cursor's position `target` in the ordered list."""
    if not args.order:
        # Source order has no values to compare: the cursor's record must still be in the list.
        ids = [p[-1] for p in positions]
        if target[-1] not in ids:
            raise ApiError(INVALID_INPUT, "the cursor's record is no longer in this list")
        index = ids.index(target[-1])
        return index + 1 if after else index
    for index, current in enumerate(positions):
        result = order.compare(args.order, current, target)
        if (after and result > 0) or (not after and result >= 0):
            return index
    return len(positions)
