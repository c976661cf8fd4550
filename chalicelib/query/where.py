"""The where grammar, evaluated on records: the exact semantics every read and write relies on.

- `match`: exact, case-sensitive, any of the given values; on a list field, the list contains any
  of them; `null` matches a null field.
- `range`: `[min, max]`, inclusive, `null` for an open end; a null field never matches.
- `exists: true`: not null, and for lists and to-many relations not empty; `0`, `false` and `""` exist.
  A related record the caller may not read does not count.
- a relation key: for a to-many, some related record matches; for a to-one, the related record
  exists and matches.
- `and` / `or` / `not` compose all of the above; keys side by side are and-ed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.api import ids
from chalicelib.errors import INVALID_INPUT, ApiError
from chalicelib.query.bounds import check_terms
from chalicelib.schema.registry import Field, Model, Registry
from chalicelib.store.record import Record

Where = dict[str, Any]
# Related records of (field, record), already loaded.
Related = Callable[[Field, Record], list[Record]]
COMBINATORS = ("and", "or", "not")


def validate(model: Model, where: Where | None, registry: Registry) -> None:
    """Reject what the schema cannot say: a range that is not a [min, max] pair."""
    check_terms(model, where, registry)
    for _model, clause in _clauses(model, where, registry):
        for name, bounds in (clause.get("range") or {}).items():
            if bounds is not None and len(bounds) != 2:
                raise ApiError(INVALID_INPUT, f"{_model.name}.{name}: range takes [min, max]; use null for an open end")


def _clauses(model: Model, where: Where | None, registry: Registry) -> Iterator[tuple[Model, Where]]:
    if not where:
        return
    yield model, where
    for child in (where.get("and") or []) + (where.get("or") or []):
        yield from _clauses(model, child, registry)
    yield from _clauses(model, where.get("not"), registry)
    for field in model.relations():
        if where.get(field.name) is not None:
            yield from _clauses(registry.shape(field.type_name), where[field.name], registry)


def conjuncts(where: Where | None) -> Iterator[Where]:
    """The clauses that must all hold: the where itself and, recursively, its `and` members."""
    if not where:
        return
    yield where
    for child in where.get("and") or []:
        yield from conjuncts(child)


def relation_paths(model: Model, where: Where | None, registry: Registry) -> list[tuple[Field, ...]]:
    """Every chain of relation fields the where-clause filters through, e.g. (City.user, User.address)."""
    paths: list[tuple[Field, ...]] = []
    if not where or model.name in registry.abstracts:
        # Past an interface the records are of several models, each filtered as its own (see
        # `matches`), and their relations are loaded as they are looked at.
        return paths
    for child in (where.get("and") or []) + (where.get("or") or []) + [where.get("not")]:
        paths += relation_paths(model, child, registry)
    for field in model.relations():
        inner = where.get(field.name)
        if inner is not None:
            paths.append((field,))
            target = registry.shape(field.type_name)
            paths += [(field, *rest) for rest in relation_paths(target, inner, registry)]
    return paths


def matches(model: Model, where: Where | None, record: Record, registry: Registry, related: Related) -> bool:
    if not where:
        return True
    if model.name in registry.abstracts:
        # A where-clause of an interface names fields every model of it has: judge the record as
        # one of its own model, whose fields (relations included) it can follow.
        model = registry.model(ids.model_of(record["id"]))
    for key, value in where.items():
        if value is None:
            continue
        if key == "match" and not all(_match(model.fields[n], v, record.get(n)) for n, v in value.items()):
            return False
        if key == "range" and not all(_range(v, record.get(n)) for n, v in value.items() if v is not None):
            return False
        if key == "exists" and not all(
            _exists(model.fields[n], record, related) == v for n, v in value.items() if v is not None
        ):
            return False
        if key == "and" and not all(matches(model, w, record, registry, related) for w in value):
            return False
        if key == "or" and not any(matches(model, w, record, registry, related) for w in value):
            return False
        if key == "not" and matches(model, value, record, registry, related):
            return False
        field = model.fields.get(key)
        if field is not None and field.is_relation:
            target = registry.shape(field.type_name)
            if not any(matches(target, value, r, registry, related) for r in related(field, record)):
                return False
    return True


def _match(field: Field, wanted: list[Any] | None, value: Any) -> bool:
    wanted = [None] if wanted is None else wanted
    if field.is_list and value is not None:
        return any(_equal(w, item) for w in wanted if w is not None for item in value)
    return any(_equal(w, value) for w in wanted)


def _equal(wanted: Any, value: Any) -> bool:
    if wanted is None or value is None:
        return wanted is None and value is None
    if isinstance(wanted, bool) or isinstance(value, bool):
        # In Python 1 == True; in the schema a Boolean never equals a number.
        return type(wanted) is type(value) and wanted == value
    return bool(wanted == value)


def _range(bounds: list[Any], value: Any) -> bool:
    if value is None:
        return False
    low, high = bounds
    return (low is None or low <= value) and (high is None or value <= high)


def _exists(field: Field, record: Record, related: Related) -> bool:
    if field.is_relation:
        # Through the loader, which sees only what the caller may read: a hidden record is no link.
        return bool(related(field, record))
    value = record.get(field.name)
    if value is None:
        return False
    return bool(value) if field.is_list else True
