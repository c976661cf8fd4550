"""Per-request batch loading, so relations cost a batch per level, never a call per record.

Records resolved together (the items of one list) form a group. The first time a relation field
is resolved on any record of a group, the related records of the whole group are loaded at once:
to-one ids 100 per BatchGetItem; to-many lists one Query per record (DynamoDB has no multi-key
Query), sent concurrently, at most `CONCURRENT_QUERIES` at a time. A page of a to-many is read
the same way: its first page for every record of the group at once, whether in id order or
through an ordered index (query/sorted_reads.py). The loaded records form the next group.
Records already loaded in the request are not read again.

A to-many loaded whole (for a relation filter, `exists`, a count, raw data) reads at most
`cap` links per record; past that the request is refused, never answered from part of a list.

The loader also carries what every read of the request shares: the read cap, and the stage's
`Cursors`, which sign the cursors a list hands out and check those it is given.

Related records come back only if the caller may read them (`Readable`, the permission check of
the request): a relation filter, a relation field or an `exists` never sees past a hidden record.
A link to a record that no longer exists (its deletion's cleanup still pending) is no link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import TypeVar

from chalicelib.api import ids
from chalicelib.errors import INVALID_INPUT, ApiError
from chalicelib.query.cursors import Cursors
from chalicelib.query.sorted_reads import Plan, Segment
from chalicelib.schema.registry import Field, Model, Registry, Storage
from chalicelib.store import sorted_keys
from chalicelib.store.record import Record
from chalicelib.store.records import Page, RecordStore, linked_model

# Whether the caller may read a record of a model.
Readable = Callable[[Model, Record], bool]
# Queries of one level's to-many lists in flight at once.
CONCURRENT_QUERIES = 8
# Items read per Query when a whole list is wanted.
FULL_PAGE = 1000

T = TypeVar("T")


R = TypeVar("R")


def related_ids(field: Field, record: Record) -> list[str]:
    """The id a to-one pointer holds, as a list; a to-many holds none in the record."""
    value = record.get(field.name) if field.storage is Storage.POINTER else None
    return [] if value is None else [value]


def concurrently(work: Callable[[T], R], items: list[T]) -> list[R]:
    """`work` on every item, at most `CONCURRENT_QUERIES` at a time, each in a copy of this
    request's context (its deadline and call log)."""
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(CONCURRENT_QUERIES, len(items))) as pool:
        futures = [pool.submit(copy_context().run, work, item) for item in items]
        return [future.result() for future in futures]


class Loader:
    def __init__(self, registry: Registry, store: RecordStore, readable: Readable, cap: int, cursors: Cursors) -> None:
        self.registry = registry
        self.store = store
        self.readable = readable
        self.cap = cap
        self.cursors = cursors
        self._records: dict[tuple[str, str], Record | None] = {}
        self._groups: dict[int, list[Record]] = {}
        self._loaded: set[tuple[int, str]] = set()
        # The ids of each to-many list loaded whole, by (field name, record id).
        self._lists: dict[tuple[str, str], list[str]] = {}
        # The first page of to-many lists, by (field name, record id, page size).
        self._first_pages: dict[tuple[str, str, int], Page] = {}
        # The first page of a stretch of an ordered index's partition, by `_sorted_key`.
        self._first_sorted: dict[SortedKey, Page] = {}

    def load(self, model: Model, ids: Iterable[str]) -> dict[str, Record]:
        """The records of `ids` that exist, reading only those not read yet in this request."""
        ids = list(dict.fromkeys(ids))
        missing = [i for i in ids if (model.name, i) not in self._records]
        if missing:
            found = self.store.batch_get(model, missing)
            for record_id in missing:
                self._records[(model.name, record_id)] = found.get(record_id)
        result = {i: self._records[(model.name, i)] for i in ids}
        return {i: r for i, r in result.items() if r is not None}

    def group(self, model: Model, records: list[Record]) -> list[Record]:
        """Make `records` one group (the items of a list), and cache them for later reads by id."""
        for record in records:
            self._records[(model.name, record["id"])] = record
            self._groups[id(record)] = records
        return records

    def _join(self, model: Model, records: list[Record]) -> None:
        """Group `records` unless they already belong to one: a level keeps its first, widest group."""
        ungrouped = [r for r in records if id(r) not in self._groups]
        if model.name not in self.registry.abstracts:
            self.group(model, ungrouped)
            return
        # A group is of one model: the records of an interface or union list go to their model's.
        by_model: dict[str, list[Record]] = {}
        for record in ungrouped:
            by_model.setdefault(ids.model_of(record["id"]), []).append(record)
        for name, members in by_model.items():
            self.group(self.registry.model(name), members)

    def group_of(self, field: Field, record: Record) -> list[Record]:
        return self._groups.get(id(record)) or self.group(self._model_of(field, record), [record])

    def related(self, field: Field, record: Record) -> list[Record]:
        """`record`'s related records through `field` that the caller may read, loading them for its
        whole group at once. Through an interface or union they are of several models, each read
        (and judged readable) as its own."""
        group = self.group_of(field, record)
        key = (id(group), field.name)
        if key not in self._loaded:
            if field.storage is Storage.POINTER:
                loaded = self._load_linked(field, [i for member in group for i in related_ids(field, member)])
            else:
                loaded = self._load_lists(field, group)
            by_model: dict[str, tuple[Model, list[Record]]] = {}
            for linked in loaded.values():
                model = linked_model(self.registry, field, linked["id"])
                if model is not None:
                    by_model.setdefault(model.name, (model, []))[1].append(linked)
            for model, records in by_model.values():
                self._join(model, records)
            self._loaded.add(key)
        wanted = (
            related_ids(field, record) if field.storage is Storage.POINTER else self._lists[(field.name, record["id"])]
        )
        found = self._load_linked(field, wanted)
        result = []
        for other_id in wanted:
            other = found.get(other_id)
            model = linked_model(self.registry, field, other_id)
            if other is not None and model is not None and self.readable(model, other):
                result.append(other)
        return result

    def _load_linked(self, field: Field, record_ids: list[str]) -> dict[str, Record]:
        """The records of `record_ids` linked through `field`, a batch per model they are of."""
        by_model: dict[str, tuple[Model, list[str]]] = {}
        for record_id in record_ids:
            model = linked_model(self.registry, field, record_id)
            if model is not None:
                by_model.setdefault(model.name, (model, []))[1].append(record_id)
        found: dict[str, Record] = {}
        for model, wanted in by_model.values():
            found.update(self.load(model, wanted))
        return found

    def _load_lists(self, field: Field, group: list[Record]) -> dict[str, Record]:
        """Every to-many list of `field` in `group` not loaded yet, one Query each, concurrently."""
        wanted = [r["id"] for r in group if (field.name, r["id"]) not in self._lists]
        loaded: dict[str, Record] = {}
        for record_id, records in zip(wanted, concurrently(lambda i: self._whole_list(field, i), wanted), strict=True):
            self._lists[(field.name, record_id)] = [r["id"] for r in records]
            loaded.update((r["id"], r) for r in records)
        return loaded

    def _whole_list(self, field: Field, record_id: str) -> list[Record]:
        records: list[Record] = []
        read = 0
        for page in self.store.related_pages(field, record_id, None, min(FULL_PAGE, self.cap + 1)):
            read += page.scanned
            if read > self.cap:
                raise too_many(self.registry.shape(field.type_name), self.cap)
            records += page.records
        return records

    def pages(self, field: Field, record: Record, after: str | None, page_size: int) -> Iterator[Page]:
        """`record`'s list through the to-many `field`, page by page from after the id `after`
        (records read, not yet judged). Without `after`, the first page of every record of the
        group is read at once, concurrently, when the first of them is asked for."""
        if after is not None:
            yield from self.store.related_pages(field, record["id"], after, page_size)
            return
        if (field.name, record["id"], page_size) not in self._first_pages:
            group = self.group_of(field, record)
            group = [r for r in group if (field.name, r["id"], page_size) not in self._first_pages]
            firsts = concurrently(lambda r: next(self.store.related_pages(field, r["id"], None, page_size)), group)
            for member, page in zip(group, firsts, strict=True):
                self._first_pages[(field.name, member["id"], page_size)] = page
        first = self._first_pages[(field.name, record["id"], page_size)]
        yield first
        if first.last_key is not None:
            yield from self.store.related_pages(field, record["id"], first.last_key["id"]["S"], page_size)

    def sorted_pages(
        self, model: Model, plan: Plan, partition: str, segment: Segment, forward: bool, page_size: int
    ) -> Iterator[Page]:
        """One partition of `plan`'s index within `segment`, page by page (see
        `RecordStore.sorted_pages`). A first page read ahead for the group (`prefetch_sorted`) is
        not read again: the read goes on from its last key."""
        bounds = (segment.low, segment.high)
        first = self._first_sorted.get(_sorted_key(model, plan, partition, segment, forward, page_size))
        if first is None:
            yield from self.store.sorted_pages(model, plan.number, partition, bounds, forward, page_size)
            return
        yield first
        if first.last_key is None:
            return
        # The store reads from a bound, not a start key: from the last key read, inclusive, without its record.
        last = first.last_key[sorted_keys.range_attribute(model, plan.index)]["S"]
        rest = segment.clipped(last, None) if forward else segment.clipped(None, last)
        if rest is None:
            return
        last_id = first.last_key["id"]["S"]
        for page in self.store.sorted_pages(model, plan.number, partition, (rest.low, rest.high), forward, page_size):
            yield Page([r for r in page.records if r["id"] != last_id], page.last_key, page.scanned)

    def prefetch_sorted(
        self,
        model: Model,
        plan: Plan,
        segments: list[tuple[Segment, bool]],
        page_size: int,
        partitions: list[str],
        needed: int,
    ) -> None:
        """Read ahead, concurrently, the first page of each of `partitions` (the lists of a group's
        records) that a read of `segments` takes first: of the first segment, and of the next ones
        while the pages so far end short of the `needed` records (a descending read that reaches
        the nulls)."""
        if not segments:
            return
        segment, forward = segments[0]
        wanted = [
            p
            for p in dict.fromkeys(partitions)
            if _sorted_key(model, plan, p, segment, forward, page_size) not in self._first_sorted
        ]

        def first_pages(partition: str) -> list[Page]:
            pages: list[Page] = []
            for segment, forward in segments:
                bounds = (segment.low, segment.high)
                pages_of = self.store.sorted_pages(model, plan.number, partition, bounds, forward, page_size)
                pages.append(next(pages_of, None) or Page([], None, 0))
                if pages[-1].last_key is not None or sum(len(p.records) for p in pages) >= needed:
                    break
            return pages

        for partition, pages in zip(wanted, concurrently(first_pages, wanted), strict=True):
            for (segment, forward), page in zip(segments, pages, strict=False):
                self._first_sorted[_sorted_key(model, plan, partition, segment, forward, page_size)] = page

    def fresh(self) -> Loader:
        """A loader for the same caller that has read nothing yet."""
        return Loader(self.registry, self.store, self.readable, self.cap, self.cursors)

    def prefetch(self, model: Model, records: list[Record], paths: list[tuple[Field, ...]]) -> None:
        """Load, level by level and in batches, every relation the where-clause will look through."""
        self._join(model, records)
        for path in paths:
            level = records
            for field in path:
                level = [r for record in level for r in self.related(field, record)]

    def _model_of(self, field: Field, record: Record) -> Model:
        for model in self.registry:
            if model.fields.get(field.name) is field:
                return model
        raise KeyError(f"no model has field {field.name} of record {record.get('id')}")


# A stretch of an ordered index's partition read a page at a time: model, index, partition, bounds,
# direction, page size.
SortedKey = tuple[str, int, str, str | None, str | None, bool, int]


def _sorted_key(model: Model, plan: Plan, partition: str, segment: Segment, forward: bool, page_size: int) -> SortedKey:
    return (model.name, plan.number, partition, segment.low, segment.high, forward, page_size)


def too_many(model: Model, cap: int) -> ApiError:
    return ApiError(
        INVALID_INPUT,
        f"{model.list_field}: this read needs more than {cap} records; narrow `where`, "
        "or page with `first` / `after` without `orderBy`",
    )
