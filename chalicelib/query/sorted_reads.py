"""Plans for ordered reads through a type-level `@index(fields: [...], sortBy: "...")`.

An index serves a read when the where-clause is equality on all of its `fields` (`match` with
values, or for a to-one relation `{match: {id: [...]}}`, or a relation list read through that
to-one), and `orderBy` starts with its `sortBy`, in either direction. Further order keys order
the records that tie on `sortBy`: the reader reads each tie whole and sorts it in memory. An
optional `range` on `sortBy` narrows the key condition. What remains of the where-clause is checked on what comes
back. A plan reads one partition per combination of the equality values (at most
`MAX_PARTITIONS`), or every shard of an index without `fields`, and merges them.

The index's range keys are in sort order ascending (store/sorted_keys.py), nulls last: an
ascending read is one forward segment; a descending one reads the values backward, then the
nulls backward, so that nulls come last in both directions and ties fall in id order, in the
direction of the sort.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.errors import INVALID_INPUT, ApiError
from chalicelib.query import order, where
from chalicelib.schema.registry import Field, Model, SortedIndex
from chalicelib.store import sorted_keys
from chalicelib.store.sizes import MAX_SORT_KEY_BYTES

# The most partitions one read merges for the equality values it names (`match: {f: [a, b]}`).
MAX_PARTITIONS = 10
# Above every character an encoded value or an id holds: the end of a value's keys.
LAST_CHAR = "\U0010ffff"
# The inclusive range keys a cursor bounds a read with, lowest first (see `Plan.cursor_bounds`).
Bounds = tuple[str, str]


@dataclass(frozen=True)
class Segment:
    """A stretch of range keys read in one direction: `values`, `nulls`, or `all` of them."""

    kind: str
    low: str | None = None  # inclusive bounds, None when open
    high: str | None = None

    def clipped(self, low: str | None, high: str | None) -> Segment | None:
        low = self.low if low is None or (self.low is not None and self.low > low) else low
        high = self.high if high is None or (self.high is not None and self.high < high) else high
        if low is not None and high is not None and low > high:
            return None
        return replace(self, low=low, high=high)


@dataclass(frozen=True)
class Plan:
    number: int
    index: SortedIndex
    partitions: tuple[str, ...]
    descending: bool
    segments: tuple[Segment, ...]  # in sort order

    def range_key(self, model: Model, record: dict[str, Any]) -> str:
        return sorted_keys.range_key(model, self.index, record.get(self.index.sort_by), record["id"])

    def partition(self, model: Model, values: list[Any]) -> str | None:
        """The partition of the records whose `fields` hold `values` (for a relation list, its
        parent's id)."""
        return sorted_keys.equality_key(model, self.index.fields, values)

    def cursor_bounds(self, model: Model, order_by: order.OrderBy, position: list[Any]) -> Bounds:
        """The range keys a cursor's position bounds a read with: its own key; or, when more order
        keys follow the index's, every key of its sortBy value, whose records those keys order in
        memory. A position no record of this index could hold is a client error."""
        if not order.comparable(order_by, position):
            raise _not_a_position()
        value, record_id = position[0], position[-1]
        try:
            key = sorted_keys.range_key(model, self.index, value, record_id)
        except (TypeError, ValueError, OverflowError):
            raise _not_a_position() from None
        if not record_id or len(key.encode()) > MAX_SORT_KEY_BYTES:
            raise _not_a_position()  # longer than any key a write lets through
        if len(order_by) == 1:
            return key, key
        field = model.fields[self.index.sort_by]
        start = sorted_keys.NULL_PREFIX if value is None else sorted_keys.value_prefix(field, value)
        return start, start + LAST_CHAR

    def reading(self, after: Bounds | None, before: Bounds | None, reverse: bool) -> list[tuple[Segment, bool]]:
        """The segments to read, in reading order, each with its physical direction (forward or
        not): from the cursors' bounds `after` and `before` (inclusive: the caller drops what is
        not strictly between the cursors), backward when `reverse`."""
        forward = not self.descending
        kept: list[tuple[Segment, bool]] = []
        for segment in self.segments:
            # An inverted range reads nothing (DynamoDB refuses a BETWEEN whose ends are swapped).
            clipped: Segment | None = segment.clipped(None, None)
            for bounds, start in ((after, True), (before, False)):
                if clipped is None or bounds is None:
                    continue
                low, high = bounds
                null = low.startswith(sorted_keys.NULL_PREFIX)
                if clipped.kind == "values" and null:
                    # Nulls come after every value: past a null, no value is left; before one, all are.
                    clipped = None if start else clipped
                elif clipped.kind == "nulls" and not null:
                    clipped = clipped if start else None
                elif start == forward:
                    clipped = clipped.clipped(low, None)
                else:
                    clipped = clipped.clipped(None, high)
            if clipped is not None:
                kept.append((clipped, forward))
        if reverse:
            kept = [(segment, not direction) for segment, direction in reversed(kept)]
        return kept


def _not_a_position() -> ApiError:
    return ApiError(INVALID_INPUT, "the cursor is not a position in this list")


# The ids of the records of a to-one relation's target whose unique field holds one of some
# values; None when the field is not unique, and the match no equality on the relation.
Resolve = Callable[[Field, str, list[Any]], list[str] | None]


def plan(
    model: Model, where_: where.Where | None, order_by: order.OrderBy, resolve: Resolve | None = None
) -> Plan | None:
    """The plan of the cheapest index that serves the read, None if none does.

    A to-one named by a unique field of its target (`author: {match: {email: [...]}}`) is
    resolved to ids by `resolve`, only when an index would use it."""
    if not order_by:
        return None
    sort_field, descending = order_by[0]
    equal = _equalities(model, where_)
    if resolve is not None:
        wanted = {name for index in model.sorted_indexes if index.sort_by == sort_field.name for name in index.fields}
        for name, (field, key, values) in _unique_matches(model, where_).items():
            if name in wanted and name not in equal:
                resolved = resolve(field, key, values)
                if resolved is not None:
                    equal[name] = resolved
    found: list[Plan] = []
    for number, index in enumerate(model.sorted_indexes):
        if index.sort_by != sort_field.name or not all(name in equal for name in index.fields):
            continue
        if index.fields:
            combinations = list(itertools.product(*(equal[name] for name in index.fields)))
            if len(combinations) > MAX_PARTITIONS:
                continue
            keys = [sorted_keys.equality_key(model, index.fields, list(values)) for values in combinations]
            partitions = tuple(dict.fromkeys(k for k in keys if k is not None))
            if not partitions:
                return Plan(number, index, (), descending, ())  # no value to match: nothing to read
        else:
            partitions = tuple(sorted_keys.shards(index))
        found.append(Plan(number, index, partitions, descending, _segments(sort_field, where_, descending)))
    # Fewest partitions first; of those, the index naming the most fields (the narrowest).
    found.sort(key=lambda p: (len(p.partitions), -len(p.index.fields)))
    return found[0] if found else None


def plan_related(
    model: Model, inverse: str, record_id: str, where_: where.Where | None, order_by: order.OrderBy
) -> Plan | None:
    """A list read through the to-one `inverse` of `model`: equality on it, to `record_id`."""
    if not order_by:
        return None
    sort_field, descending = order_by[0]
    for number, index in enumerate(model.sorted_indexes):
        if index.fields == (inverse,) and index.sort_by == sort_field.name:
            key = sorted_keys.equality_key(model, index.fields, [record_id])
            assert key is not None
            return Plan(number, index, (key,), descending, _segments(sort_field, where_, descending))
    return None


def suggestion(model: Model, where_: where.Where | None, order_by: order.OrderBy, fields: tuple[str, ...] = ()) -> str:
    """The `@index` that would serve an ordered read: its equalities' fields, its first order key."""
    equal = _equalities(model, where_)
    names = fields or tuple(n for n in equal if not model.fields[n].is_id)
    return SortedIndex(names, order_by[0][0].name).label


def _segments(sort_field: Field, where_: where.Where | None, descending: bool) -> tuple[Segment, ...]:
    bounds = _range(sort_field, where_)
    if bounds is not None:
        low, high = bounds
        # No key is NULL_PREFIX itself: as an inclusive bound it stops before every null.
        return (
            Segment(
                "values",
                sorted_keys.VALUE_PREFIX if low is None else sorted_keys.value_prefix(sort_field, low),
                sorted_keys.NULL_PREFIX if high is None else sorted_keys.value_prefix(sort_field, high) + LAST_CHAR,
            ),
        )
    if not descending:
        return (Segment("all"),)
    return (Segment("values", None, sorted_keys.NULL_PREFIX), Segment("nulls", sorted_keys.NULL_PREFIX, None))


def _range(field: Field, where_: where.Where | None) -> tuple[Any, Any] | None:
    for clause in where.conjuncts(where_):
        bounds = (clause.get("range") or {}).get(field.name)
        if bounds is not None:
            low, high = bounds
            return low, high
    return None


def _equalities(model: Model, where_: where.Where | None) -> dict[str, list[Any]]:
    """Each field the where-clause holds equal to one of some values: `match` on it, or for a
    to-one relation `match` on the related id."""
    found: dict[str, list[Any]] = {}
    for clause in where.conjuncts(where_):
        for name, values in (clause.get("match") or {}).items():
            field = model.fields.get(name)
            if field is not None and not field.is_list and values and None not in values:
                found.setdefault(name, list(dict.fromkeys(values)))
        for field in model.pointers():
            inner = clause.get(field.name)
            ids = ((inner or {}).get("match") or {}).get("id") if isinstance(inner, dict) else None
            if ids and None not in ids:
                found.setdefault(field.name, list(dict.fromkeys(ids)))
    return found


def _unique_matches(model: Model, where_: where.Where | None) -> dict[str, tuple[Field, str, list[Any]]]:
    """Each to-one the where-clause names by a `match` on another field than the id (which the
    resolver checks is unique): the field, that key, its values."""
    found: dict[str, tuple[Field, str, list[Any]]] = {}
    for clause in where.conjuncts(where_):
        for field in model.pointers():
            inner = clause.get(field.name)
            for key, values in ((inner.get("match") or {}) if isinstance(inner, dict) else {}).items():
                if key != "id" and values and None not in values:
                    found.setdefault(field.name, (field, key, list(dict.fromkeys(values))))
    return found
