"""Compiling a where-clause into a DynamoDB condition expression.

The result is exact where it can be and a superset where it cannot: a relation filter has no
expression, so an `and` drops it (and the compiled filter lets more through), while an `or` or
a `not` that holds one does not compile at all. Reads therefore always evaluate the full clause
on what DynamoDB returns (`where.matches`); the expression only spares reading what cannot match.
The same expressions serve writes where they are exact (`Compiled.exact`); a write whose conditions
are not is held by the versions of the records read instead.

A clause within the term bound (query/bounds.py) can still make an expression DynamoDB refuses
(4 KB, 300 operators: an `exists: false` on a list is four operators). Such a clause keeps only the
conjuncts that fit, and is no longer exact: a read lets more through and evaluates the rest itself,
a write evaluates the clause on the record it read and holds only if that record is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any

from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.operand import Path

from chalicelib.query.where import Where
from chalicelib.schema.registry import Field, Model
from chalicelib.store.attributes import serialize
from chalicelib.store.limits import (
    MAX_EXPRESSION_BYTES,
    MAX_IN_OPERANDS,
    MAX_OPERATORS,
    MAX_SUBSTITUTION_BYTES,
    count_operators,
)
from chalicelib.store.sizes import value_size

# Left for what a request adds around a where-clause: the store's own existence, version and
# expected-link conditions, and longer placeholders once the clause shares them with the rest.
SPARE_BYTES = 512
SPARE_OPERATORS = 20


@dataclass(frozen=True)
class Compiled:
    condition: Condition | None
    exact: bool


def compile_where(model: Model, where: Where | None) -> Compiled:
    """The condition of `where`, within DynamoDB's limits on one expression."""
    parts = _conjuncts(model, where)
    compiled = _all(parts)
    if fits(compiled.condition):
        return compiled
    kept: list[Compiled] = []
    for part in parts:
        if fits(_all([*kept, part]).condition):
            kept.append(part)
    return Compiled(_all(kept).condition, False)


def fits(condition: Condition | None) -> bool:
    """Whether `condition`, with room to spare for the rest of its request, is an expression
    DynamoDB takes (its IN lists are split at the operand limit already)."""
    if condition is None:
        return True
    values: dict[str, Any] = {}
    text = condition.serialize({}, values)
    substitutions = sum(len(placeholder) + value_size(value) for placeholder, value in values.items())
    return (
        len(text.encode()) <= MAX_EXPRESSION_BYTES - SPARE_BYTES
        and count_operators("ConditionExpression", text) <= MAX_OPERATORS - SPARE_OPERATORS
        and substitutions <= MAX_SUBSTITUTION_BYTES - SPARE_BYTES
    )


def _conjuncts(model: Model, where: Where | None) -> list[Compiled]:
    """The parts of `where` that must all hold, `and` members flattened into them."""
    parts: list[Compiled] = []
    for key, value in (where or {}).items():
        if value is None:
            continue
        if key == "match":
            parts += [_exact(_match(model.fields[n], v)) for n, v in value.items()]
        elif key == "range":
            parts += [_exact(_range(model.fields[n], v)) for n, v in value.items() if v is not None]
        elif key == "exists":
            parts += [_exists(model.fields[n], v) for n, v in value.items() if v is not None]
        elif key == "and":
            parts += [part for w in value for part in _conjuncts(model, w)]
        elif key == "or":
            parts.append(_any([_all(_conjuncts(model, w)) for w in value]))
        elif key == "not":
            parts.append(_negate(_all(_conjuncts(model, value))))
        else:
            parts.append(Compiled(None, False))  # a relation filter
    return parts


def _exact(condition: Condition) -> Compiled:
    return Compiled(condition, True)


def _all(parts: list[Compiled]) -> Compiled:
    conditions = [p.condition for p in parts if p.condition is not None]
    condition = reduce(lambda a, b: a & b, conditions) if conditions else None
    return Compiled(condition, all(p.exact for p in parts))


def _any(parts: list[Compiled]) -> Compiled:
    if not parts:
        # `or: []` holds for nothing.
        return _exact(Path("id").does_not_exist())
    conditions = [p.condition for p in parts if p.condition is not None]
    if len(conditions) < len(parts):
        # A branch that lets everything through makes the whole `or` do so.
        return Compiled(None, False)
    return Compiled(reduce(lambda a, b: a | b, conditions), all(p.exact for p in parts))


def _negate(part: Compiled) -> Compiled:
    if not part.exact:
        return Compiled(None, False)
    if part.condition is None:
        # `not: {}`: everything is excluded.
        return _exact(Path("id").does_not_exist())
    return _exact(~part.condition)


def _match(field: Field, wanted: list[Any] | None) -> Condition:
    path = Path(field.store_name)
    wanted = [None] if wanted is None else wanted
    values = [serialize(field, w) for w in wanted if w is not None]
    options: list[Condition] = []
    if field.is_list:
        options += [path.contains(v) for v in values]
    elif len(values) == 1:
        options.append(path == values[0])
    else:
        options += [path.is_in(*values[i : i + MAX_IN_OPERANDS]) for i in range(0, len(values), MAX_IN_OPERANDS)]
    if None in wanted:
        options.append(path.does_not_exist())
    if not options:
        return Path("id").does_not_exist()
    return reduce(lambda a, b: a | b, options)


def _range(field: Field, bounds: list[Any]) -> Condition:
    path = Path(field.store_name)
    low, high = bounds
    if low is not None and high is not None:
        if low > high:
            # DynamoDB refuses a BETWEEN whose ends are out of order; the range holds nothing.
            return Path("id").does_not_exist()
        return path.between(serialize(field, low), serialize(field, high))
    if low is not None:
        return path >= serialize(field, low)
    if high is not None:
        return path <= serialize(field, high)
    return path.exists()


def _exists(field: Field, wanted: bool) -> Compiled:
    path = Path(field.store_name)
    if field.is_relation:
        # Whether a related record exists for the caller depends on what it may read: decided on the
        # records, like a relation filter. A to-one's stored pointer is still necessary for one, so it
        # narrows; a to-many stores nothing in the record.
        return Compiled(path.exists() if wanted and field.stored else None, False)
    if field.is_list:
        present = path.exists() & (size(path) > 0)
        return _exact(present if wanted else (path.does_not_exist() | (size(path) == 0)))
    return _exact(path.exists() if wanted else path.does_not_exist())
