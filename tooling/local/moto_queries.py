"""moto's Query and Scan, answered from each table's items kept in key order.

moto answers every Query by sorting every item of the table (or of the index) and walking them
from the first, and every page of a Scan likewise: a Query of one partition cost time in
proportion to all the data stored (29 s at 100,000 items, for an index). Here each table keeps
its items grouped by partition key, each partition in moto's own order of a Query, for the table
and for each secondary index queried (a view). A Query finds its partition, and where its key
condition and its ExclusiveStartKey fall in it, by bisection; a Scan of a table finds its
ExclusiveStartKey among the partitions (kept in order too) the same way.

moto's own `query` and `scan` then answer from the items of the page alone, and the one item
after them at which moto stops (`_page`). Its code still applies the key condition, Limit, the
1 MB page, ExclusiveStartKey, LastEvaluatedKey, ScanIndexForward, ConsistentRead, the index's
projection, the filter and the projection expression (and the handler Select), so the answer is
the one it gives walking every item: the items it would pass over before the page change nothing
(it has no result to stop after yet), and after the page it only looks for an item to stop at.
A narrowed Scan hands moto its page's items as `_Scanned`: each measured once rather than three
times, and not deep-copied for the answer (nothing on the way changes them).

What is not narrowed exactly goes to moto's code whole, as before: an index key of several
attributes, QueryFilter or ScanFilter, a Scan of an index, a Limit below 1, key values (stored,
asked for, or in ExclusiveStartKey) of another type than the table declares, an ExclusiveStartKey
without a key attribute of the view, an item larger than a page.

The views follow every write of an item: Table.put_item and Table.delete_item (moto's writes all
go through them, but UpdateItem's, which changes the item in place: DynamoDBBackend.update_item)
and a rolled-back transaction (journal.py calls `changed`). A view is built from the table the
first time it is read, and again when its index is replaced.
"""

from __future__ import annotations

import functools
import inspect
import threading
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, GlobalSecondaryIndex, SecondaryIndex, Table
from moto.dynamodb.models.utilities import dynamo_to_dict
from moto.dynamodb.responses import DynamoHandler, DynamoResult

from tooling.local.moto_sizes import item_size
from tooling.local.replaced import Places, Replaced

_query = Table.query
_scan = Table.scan
_put_item = Table.put_item
_delete_item = Table.delete_item
_update_item = DynamoDBBackend.update_item
_QUERY = inspect.signature(_query)
_SCAN = inspect.signature(_scan)

# What the patch relies on, with the SHA-256 of its source in the pinned moto (see moto_patch).
PINNED: tuple[tuple[Any, str], ...] = (
    # How moto picks, orders, pages and stops: the items `_page` hands it must end as all items do.
    (_query, "002b4d00be6df07cf37f6cbe0132e5eb89455ae12a8e79b23db3fb492450f21e"),
    (_scan, "5ef1ab21eef06a74d4d142aaf817f31c3147c39fd9aaaa5dd037cb62d64e4af3"),
    (Table._item_comes_before_dct, "6d70f41f7cb059f40e932e9c6c13cc57b6052c5d025c51235df414adf172bee1"),
    (Table._generate_attr_to_sort_by, "afef70e159fa8cb505cc030b323479b7ce105060c9eeecbce102247e41f302b2"),
    (Table.sorted_items, "216dac1cd6b659d283e91006b809136623723efb90125b015e07052478724937"),
    (DynamoType.compare, "5a77253bbdb399ee60bd2fc84aaf205a2e7ec3c71d32e9194d0ca6b4dd4da601"),
    # What a Scan's items (`_Scanned`) are made of and measured by, and where they go: the
    # handler's answer takes their attributes, which DynamoResult reads into new dicts.
    (Item.__init__, "d9c12b62cb921831aab9b2eb22ac24fbd600689064a0219ae3ffbe057ae4be74"),
    (Item.size, "9bc6ada96d33365c0a0abcb4faf534e1bdc7bfe0af0ef0c1c6671eccd5b80f45"),
    (DynamoHandler.scan, "530223d9fd284f2be3f3ed302ad8eab62f3fbe2cbeecd56a4ce4c7e1f006db05"),
    (DynamoResult, "60bf60c38edb801fb832be6f52fa15c4d403053250980babef761d96bf2f8227"),
    (dynamo_to_dict, "80f600124c13ddcb132c02448abeefffd2b43b353c7fcedaa2fa7ca67b3107c4"),
    # Every write of an item, which the views follow.
    (_put_item, "de23933013ef842639046c19bcf7e418bce0474d810f6719368be4cedce11d47"),
    (_delete_item, "1594f7b07616c8cb8cdf0fbf58d6f54eeac83f25d7ac7b14e832a08e10efd8f9"),
    (_update_item, "218984588dd689a5de81678ce11e6a40d05c91e7b6c21b44c4ed4122fe74aa9f"),
)

# An item's place in its table: the cast values of its hash key, and of its range key if any.
ItemKey = tuple[Any, ...]
# A view's values of an item's key attributes, cast: its partition's, then its sort values.
Place = tuple[Any, ...]
# Key conditions whose matches are a run of a partition in its order.
_RUNS = frozenset({"=", "<", "<=", ">", ">=", "BETWEEN", "BEGINS_WITH"})


class _Shape(NamedTuple):
    """How moto's Query orders a view: by `partition`, then by `sort`; the key condition is on
    `ranged` (None: the view has no range key); an item is in the view when it has `required`."""

    partition: str
    sort: tuple[str, ...]
    ranged: str | None
    required: tuple[str, ...]


def _shape(table: Table, index: SecondaryIndex | None) -> _Shape | None:
    if index is None:
        sort = (table.range_key_attr,) if table.range_key_attr else ()
        return _Shape(table.hash_key_attr, sort, table.range_key_attr, tuple(table.table_key_attrs))
    hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    ranges = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"]
    if len(hashes) != 1 or len(ranges) > 1:
        return None
    # moto's query: an index without a range key is ordered by the table's range key (a global
    # index of a table with one), else by the table's hash key; then by the table's keys.
    if ranges:
        range_attrs: list[str | None] = [ranges[0], table.range_key_attr]
    elif isinstance(index, GlobalSecondaryIndex) and table.range_key_attr:
        range_attrs = [table.range_key_attr, table.range_key_attr]
    else:
        range_attrs = [table.hash_key_attr, table.range_key_attr]
    order = table._generate_attr_to_sort_by([hashes[0], table.hash_key_attr], range_attrs)
    return _Shape(hashes[0], tuple(order[1:]), ranges[0] if ranges else None, (hashes[0], *ranges))


@dataclass(slots=True)
class _Partition:
    """One partition's items in moto's order, with their places."""

    keys: list[Place] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


# A view's place for an item with a key attribute not of its declared type.
_IRREGULAR: Any = object()


class _View:
    """The items of a table, or of one of its indexes, by partition value, each partition in
    moto's order; the partition values in order too (a Scan walks them)."""

    def __init__(self, shape: _Shape, declared: dict[str, str], schema: Any) -> None:
        self.shape = shape
        self.attrs = (shape.partition, *shape.sort)
        self.declared = declared
        # The index's key schema when built (None: the table's own view), to see it replaced.
        self.schema = schema
        self.partitions: dict[Any, _Partition] = {}
        self.ordered: list[Any] = []
        # Where each item is (the tuple its partition's `keys` holds too), if in the view; the
        # table's own view places an item by its key, which never changes, and keeps none.
        self.placed: dict[ItemKey, Place] = {}
        self.by_key = schema is None
        # Items with a key attribute of the view not of its declared type: moto compares those
        # across types (and may fail), so while there is any, reads go to moto whole.
        self.irregular: set[ItemKey] = set()

    def fill(self, keyed: Iterable[tuple[ItemKey, Item]]) -> None:
        for key, item in keyed:
            place = self._place(key, item)
            if place is not None:
                partition = self.partitions.setdefault(place[0], _Partition())
                partition.keys.append(place)
                partition.items.append(item)
        for partition in self.partitions.values():
            order = sorted(range(len(partition.keys)), key=partition.keys.__getitem__)
            partition.keys = [partition.keys[i] for i in order]
            partition.items = [partition.items[i] for i in order]
        self.ordered = sorted(self.partitions)

    def add(self, key: ItemKey, item: Item) -> None:
        place = self._place(key, item)
        if place is None:
            return
        value = place[0]
        partition = self.partitions.get(value)
        if partition is None:
            partition = self.partitions[value] = _Partition()
            self.ordered.insert(bisect_left(self.ordered, value), value)
        at = bisect_left(partition.keys, place)
        partition.keys.insert(at, place)
        partition.items.insert(at, item)

    def discard(self, key: ItemKey) -> None:
        self.irregular.discard(key)
        place = key if self.by_key else self.placed.pop(key, None)
        partition = None if place is None else self.partitions.get(place[0])
        if place is None or partition is None:
            return
        value = place[0]
        at = bisect_left(partition.keys, place)
        if at == len(partition.keys) or partition.keys[at] != place:
            return
        del partition.keys[at]
        del partition.items[at]
        if not partition.keys:
            del self.partitions[value]
            del self.ordered[bisect_left(self.ordered, value)]

    def replaced(self, key: ItemKey, item: Item) -> bool:
        """Whether `item`, written at `key`, has the place in the view the item there had, and was
        put in its stead there; if not (it enters, leaves or moves), nothing changed. An update of
        attributes the view is not ordered by then costs no move of a partition's lists."""
        old = key if self.by_key else self.placed.get(key)
        if old is None or key in self.irregular or (not self.by_key and self._position(item) != old):
            return False
        partition = self.partitions.get(old[0])
        if partition is None:
            return False
        at = bisect_left(partition.keys, old)
        if at == len(partition.keys) or partition.keys[at] != old:
            return False
        partition.items[at] = item
        return True

    def _place(self, key: ItemKey, item: Item) -> Place | None:
        if self.by_key:
            return key
        place = self._position(item)
        if place is _IRREGULAR:
            self.irregular.add(key)
            return None
        if place is not None:
            self.placed[key] = place
        return place

    def _position(self, item: Item) -> Any:
        """The item's place in the view; None if not in it; _IRREGULAR if a key attribute of the view
        is not of its declared type."""
        if any(name not in item.attrs for name in self.shape.required):
            return None
        values = [item.attrs[name] for name in self.attrs]
        if any(value.type != self.declared.get(name) for name, value in zip(self.attrs, values, strict=True)):
            return _IRREGULAR
        return tuple(value.cast_value for value in values)

    def cast(self, name: str, value: Any) -> tuple[Any] | None:
        """(`value`'s cast value,) when it is a DynamoDB value of `name`'s declared type."""
        try:
            typed = DynamoType(value)
        except (TypeError, IndexError, AttributeError):
            return None
        return (typed.cast_value,) if typed.type == self.declared.get(name) else None

    def cast_key(self, key: Any) -> Place | None:
        """An ExclusiveStartKey's values of the view's attributes, in order (None if one is missing)."""
        if not isinstance(key, dict):
            return None
        values: list[Any] = []
        for name in self.attrs:
            value = self.cast(name, key[name]) if name in key else None
            if value is None:
                return None
            values.extend(value)
        return tuple(values)


@dataclass
class _Views:
    """A table's views by index name (None: the table's own), and its largest item's size."""

    views: dict[str | None, _View] = field(default_factory=dict)
    largest: int = 0


_tables: weakref.WeakKeyDictionary[Table, _Views] = weakref.WeakKeyDictionary()
# The views are changed and read under it; moto answers outside it.
_lock = threading.RLock()


def _replaced() -> Places:
    """What is replaced: where, and by what in the patch and in moto."""
    return ((Table, "query", _narrowed_query, _query), (Table, "scan", _narrowed_scan, _scan))


_REPLACED = Replaced(_replaced)
# moto's own Query and Scan, for the span of a block (what the tests compare these with).
moto_s_own = _REPLACED.moto_s_own


def install() -> None:
    _REPLACED.install()
    Table.put_item = _put_followed(Table.put_item)  # type: ignore[method-assign]
    Table.delete_item = _delete_followed(Table.delete_item)  # type: ignore[method-assign]
    DynamoDBBackend.update_item = _update_followed(DynamoDBBackend.update_item)  # type: ignore[method-assign]


def changed(table: Table, hash_key: DynamoType, range_key: DynamoType | None, size: int | None = None) -> None:
    """The item of `table` at these keys was written (or deleted): its views follow. `size`, when
    the writer knows it, is the item's Item.size, which is otherwise measured again here."""
    with _lock:
        views = _tables.get(table)
        if views is None:
            return
        if (range_key is None) != (table.range_key_attr is None):
            # Not one item (moto's delete of a whole range key table's partition): start again.
            del _tables[table]
            return
        found = table.items.get(hash_key)
        if range_key is not None:
            found = found.get(range_key) if isinstance(found, dict) else None
        key = (hash_key.cast_value,) if range_key is None else (hash_key.cast_value, range_key.cast_value)
        if not isinstance(found, Item):
            for view in views.views.values():
                view.discard(key)
            return
        views.largest = max(views.largest, item_size(found) if size is None else size)
        for view in views.views.values():
            if not view.replaced(key, found):
                view.discard(key)
                view.add(key, found)


def _put_followed(original: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(original)
    def put_item(table: Table, *args: Any, **kwargs: Any) -> Item:
        item = original(table, *args, **kwargs)
        changed(table, item.hash_key, item.range_key)
        return item

    return put_item


def _delete_followed(original: Callable[..., Item | None]) -> Callable[..., Item | None]:
    @functools.wraps(original)
    def delete_item(table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
        item = original(table, hash_key, range_key)
        changed(table, hash_key, range_key)
        return item

    return delete_item


def _update_followed(original: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(original)
    def update_item(backend: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
        try:
            return original(backend, table_name, key, *args, **kwargs)
        finally:
            # Also when it failed: moto may have created the item, or changed it part way.
            _updated(backend.tables.get(table_name), key)

    return update_item


def _updated(table: Table | None, key: dict[str, Any]) -> None:
    if table is None or table not in _tables:
        return
    if table.range_key_attr is not None and table.range_key_attr not in key:
        return  # moto refuses the key before anything is written
    try:
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = None if table.range_key_attr is None else DynamoType(key[table.range_key_attr])
    except (KeyError, TypeError, IndexError, AttributeError):
        with _lock:
            _tables.pop(table, None)
        return
    changed(table, hash_key, range_key)


class _Narrowed:
    """A table as moto's query and scan see it: its items are those of the page alone."""

    def __init__(self, table: Table, items: list[Item]) -> None:
        self._table = table
        self._items = items

    def all_items(self) -> list[Item]:
        return self._items

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)


def _narrowed_query(table: Table, *args: Any, **kwargs: Any) -> Any:
    arguments = _QUERY.bind(table, *args, **kwargs).arguments
    with _lock:
        page = None if arguments.get("filter_kwargs") else _query_page(table, arguments)
    return _query(table if page is None else cast(Table, _Narrowed(table, page)), *args, **kwargs)


def _narrowed_scan(table: Table, *args: Any, **kwargs: Any) -> Any:
    arguments = _SCAN.bind(table, *args, **kwargs).arguments
    with _lock:
        page = None if arguments["filters"] or arguments.get("index_name") else _scan_page(table, arguments)
    return _scan(table if page is None else cast(Table, _Narrowed(table, page)), *args, **kwargs)


def _view(table: Table, index_name: str | None) -> tuple[_View, int] | None:
    """The view of the table (or of its index), and the largest item's size; None where reads go
    to moto whole."""
    views = _tables.get(table)
    if views is None:
        views = _tables[table] = _Views()
        views.largest = max((item_size(item) for _, item in _keyed(table)), default=0)
    index = None
    if index_name is not None:
        index = next((i for i in table.all_indexes() if i.name == index_name), None)
        if index is None:
            return None
    schema = None if index is None else index.schema
    view = views.views.get(index_name)
    if view is None or view.schema != schema:
        shape = _shape(table, index)
        if shape is None:
            return None
        declared = {attr["AttributeName"]: attr["AttributeType"] for attr in table.attr}
        view = views.views[index_name] = _View(shape, declared, schema)
        view.fill(_keyed(table))
    if view.irregular or views.largest > RESULT_SIZE_LIMIT:
        return None
    return view, views.largest


def _keyed(table: Table) -> Iterator[tuple[ItemKey, Item]]:
    items: dict[DynamoType, Any] = table.items
    for hash_key, found in items.items():
        if table.range_key_attr is None:
            if isinstance(found, Item):  # a lookup may leave an empty dict in a hash key's place
                yield (hash_key.cast_value,), found
        else:
            for range_key, item in found.items():
                yield (hash_key.cast_value, range_key.cast_value), item


def _limit(arguments: dict[str, Any]) -> tuple[int | None] | None:
    limit = arguments.get("limit")
    if limit is None or (type(limit) is int and limit >= 1):
        return (limit,)
    return None


def _query_page(table: Table, arguments: dict[str, Any]) -> list[Item] | None:
    index_name = arguments.get("index_name")
    found = _view(table, index_name)
    limit = _limit(arguments)
    forward = arguments["scan_index_forward"]
    if found is None or limit is None or type(forward) is not bool:
        return None
    view, largest = found
    shape = view.shape
    if index_name is None:
        asked = arguments["hash_key"]
    else:
        hashes = arguments.get("hash_key_conditions") or []
        if len(hashes) != 1 or hashes[0][0] != shape.partition:
            return None
        asked = hashes[0][1]
    value = None if asked is None else view.cast(shape.partition, asked)
    ranges = arguments.get("range_key_conditions") or []
    comparison = arguments["range_comparison"]
    bounds = _bounds(view, comparison, arguments["range_objs"])
    if value is None or bounds is None or len(ranges) > 1 or any(name != shape.ranged for name, *_ in ranges):
        return None
    start = arguments["exclusive_start_key"]
    after = None if start is None else view.cast_key(start)
    if start is not None and after is None:
        return None
    partition = view.partitions.get(value[0])
    if partition is None:
        return []
    low, high = _run(partition.keys, comparison, bounds)
    count = len(partition.keys)
    if forward:
        first = 0 if after is None else bisect_right(partition.keys, after)
        matches: Sequence[int] = range(max(low, first), high)
        rest: Sequence[int] = range(max(high, first), count)
    else:
        # Backwards: the last item before `after` (moto passes over every item from the end to it).
        first = count - 1 if after is None else bisect_left(partition.keys, after) - 1
        matches = range(min(high - 1, first), low - 1, -1)
        rest = range(min(low - 1, first), -1, -1)
    items = partition.items
    return _page((items[i] for i in matches), (items[i] for i in rest), limit[0], largest)


def _bounds(view: _View, comparison: str | None, values: list[DynamoType]) -> list[Any] | None:
    """The key condition's values, cast; None when moto is to judge it whole."""
    if comparison is None:
        return []
    ranged = view.shape.ranged
    if ranged is None or comparison not in _RUNS or len(values) != (2 if comparison == "BETWEEN" else 1):
        return None
    if comparison == "BEGINS_WITH" and view.declared.get(ranged) == "N":
        return None
    cast_values = [view.cast(ranged, value) for value in values]
    return None if any(value is None for value in cast_values) else [value[0] for value in cast_values if value]


def _sort_value(place: Place) -> Any:
    return place[1]


def _run(keys: list[Place], comparison: str | None, bounds: list[Any]) -> tuple[int, int]:
    """The positions [low, high) of the partition's items that meet the key condition."""
    if comparison is None:
        return 0, len(keys)
    low = bisect_left(keys, bounds[0], key=_sort_value)
    if comparison == "BEGINS_WITH":
        prefix = bounds[0]
        return low, bisect_right(keys, prefix, key=lambda place: place[1][: len(prefix)])
    if comparison == "BETWEEN":
        return low, max(low, bisect_right(keys, bounds[1], key=_sort_value))
    high = bisect_right(keys, bounds[0], key=_sort_value)
    return {"=": (low, high), "<": (0, low), "<=": (0, high), ">": (high, len(keys)), ">=": (low, len(keys))}[
        comparison
    ]


def _scan_page(table: Table, arguments: dict[str, Any]) -> list[Item] | None:
    found = _view(table, None)
    limit = _limit(arguments)
    if found is None or limit is None:
        return None
    view, largest = found
    start = arguments["exclusive_start_key"]
    after = None if start is None else view.cast_key(start)
    if start is not None and after is None:
        return None
    segments = arguments["segments"]
    walk = (_Scanned.of(item) for item in _from(view, after) if item.is_within_segment(segments))
    return _page(walk, (), limit[0], largest)


class _Scanned(Item):
    """An item of the table as moto's Scan of the table handles it, which measures each item of
    the page three times (here once) and deep-copies it only in case the filter or projection
    after would change it: neither does (a filter reads, a projection builds a new item), and the
    answer's items are read into new dicts (DynamoResult) within the request, the only one at a
    time. Its keys and attributes are the item's own, not copies."""

    _size: int | None

    @classmethod
    def of(cls, item: Item) -> _Scanned:
        # Not through moto's constructor, which registers each instance of a model.
        scanned = object.__new__(cls)
        scanned.hash_key, scanned.range_key, scanned.attrs = item.hash_key, item.range_key, item.attrs
        scanned._size = None
        return scanned

    def size(self) -> int:
        if self._size is None:
            self._size = item_size(self)
        return self._size

    def __deepcopy__(self, memo: dict[int, Any]) -> _Scanned:
        return self


def _from(view: _View, after: Place | None) -> Iterator[Item]:
    """The view's items in moto's order of a Scan (the table's keys), after `after` if given."""
    at = 0 if after is None else bisect_left(view.ordered, after[0])
    for number, value in enumerate(view.ordered[at:]):
        partition = view.partitions[value]
        yield from partition.items[bisect_right(partition.keys, after) if number == 0 and after else 0 :]


def _page(matches: Iterable[Item], rest: Iterable[Item], limit: int | None, largest: int) -> list[Item]:
    """The items moto's loop takes, in its order, from `matches` (the items meeting the key
    condition, from the start key on), and the item of `matches` or of `rest` (those after) at
    which it stops for the Limit or the 1 MB page. Items before the matches are left out: moto
    passes over them with nothing taken (no item is larger than a page)."""
    taken: list[Item] = []
    size = 0
    for item in matches:
        item_size = item.size()
        if len(taken) == limit or size + item_size > RESULT_SIZE_LIMIT:
            return [*taken, item]
        taken.append(item)
        size += item_size
    if len(taken) == limit:
        return [*taken, *_first_of(rest)]
    if size + largest > RESULT_SIZE_LIMIT:
        return [*taken, *_first_of(item for item in rest if size + item.size() > RESULT_SIZE_LIMIT)]
    return taken


def _first_of(items: Iterable[Item]) -> list[Item]:
    return next(([item] for item in items), [])
