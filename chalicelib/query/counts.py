"""Counts read from counters (store/counters.py) instead of the records: a model's total, and the
number of records whose `fields` of a type-level `@index` equal given values.

A counter serves a count only when the where-clause says exactly that and nothing else: no
where-clause at all (the total), or equality on every one of an index's `fields` (`match` with
values, a to-one relation named by `{match: {id: [...]}}` or by a unique field of its target, or a
relation list read through its to-one), and-ed in any way. A caller whose reads are restricted to
its own records has that restriction in its where-clause already (api/queries.py), so it is counted
by the owner field's counter when an index has it, and otherwise by reading. Any other count is
exact by reading (or refused past the read cap), never a wrong number.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from chalicelib.query import where
from chalicelib.query.sorted_reads import MAX_PARTITIONS, Resolve
from chalicelib.schema.registry import Model
from chalicelib.store import counters, sorted_keys


@dataclass
class Count:
    """The counters whose sum is a count: those of `fields` (none: the total) for `values`."""

    fields: tuple[str, ...]
    values: dict[str, list[Any]]
    # The to-one fields named through their related records: a record counts only if its related
    # record exists and the caller may read it, as a relation filter would judge it.
    related: set[str] = field(default_factory=set)

    def counters(self, model: Model) -> list[str]:
        if not self.fields:
            return [counters.total(model)]
        combinations = itertools.product(*(self.values[name] for name in self.fields))
        keys = (sorted_keys.equality_key(model, self.fields, list(values)) for values in combinations)
        return [counters.of_value(model, self.fields, key) for key in dict.fromkeys(keys) if key is not None]


def plan(
    model: Model, where_: where.Where | None, resolve: Resolve, fixed: dict[str, Any] | None = None
) -> Count | None:
    """The counters that hold the count of `where_` (with `fixed`: equalities known to hold, such as
    a relation list's to-one), None when no counter does."""
    if not model.sorted_indexes:
        return None
    equal: dict[str, list[Any]] = {name: [value] for name, value in (fixed or {}).items()}
    related: set[str] = set()
    pointers = {f.name: f for f in model.pointers()}
    for clause in where.conjuncts(where_):
        for key, value in clause.items():
            if value is None or key == "and":  # `and` members are conjuncts of their own
                continue
            if key == "match":
                for name, values in value.items():
                    found = model.fields.get(name)
                    if found is None or found.is_id or found.is_list or name in equal or not _values(values):
                        return None
                    equal[name] = list(dict.fromkeys(values))
            elif key in pointers and key not in equal and set(value) == {"match"} and len(value["match"]) == 1:
                ((name, values),) = value["match"].items()
                if not _values(values):
                    return None
                ids = values if name == "id" else resolve(pointers[key], name, values)
                if ids is None:
                    return None
                equal[key] = list(dict.fromkeys(ids))
                related.add(key)
            else:
                return None
    if not equal:
        return Count((), {})
    for fields in counters.counted_fields(model):
        if set(fields) == equal.keys() and _combinations(fields, equal) <= MAX_PARTITIONS:
            return Count(fields, equal, related)
    return None


def _values(values: Any) -> bool:
    return isinstance(values, list) and bool(values) and None not in values


def _combinations(fields: tuple[str, ...], equal: dict[str, list[Any]]) -> int:
    product = 1
    for name in fields:
        product *= len(equal[name])
    return product
