"""How large a where-clause may be.

A where-clause comes from the client, and each becomes one DynamoDB condition expression, which
DynamoDB bounds (300 operators, 4 KB of text, 100 values in one IN) and which PynamoDB builds and
serializes by recursion, one level per term of an `or`. It is also evaluated on every record
read. So a clause is measured before anything is read or written, and refused past `MAX_TERMS`.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import INVALID_INPUT, ApiError
from chalicelib.schema.registry import Model, Registry

MAX_TERMS = 100


def check_terms(model: Model, where: dict[str, Any] | None, registry: Registry) -> None:
    count = terms(model, where, registry)
    if count > MAX_TERMS:
        raise ApiError(
            INVALID_INPUT,
            f"{model.name}: the where-clause has {count} terms; the limit is {MAX_TERMS} "
            "(each match value, range and exists entry, and / or / not member and relation counts one)",
        )


def terms(model: Model, where: dict[str, Any] | None, registry: Registry) -> int:
    """The size of `where`: each value of a match list (an entry without values counts one), each
    range and exists entry, each and / or / not member and each relation hop counts one."""
    total = 0
    for key, value in (where or {}).items():
        if value is None:
            continue
        if key == "match":
            total += sum(max(1, len(values or ())) for values in value.values())
        elif key in ("range", "exists"):
            total += len(value)
        elif key in ("and", "or"):
            total += sum(1 + terms(model, member, registry) for member in value)
        elif key == "not":
            total += 1 + terms(model, value, registry)
        else:
            total += 1 + terms(registry.shape(model.fields[key].type_name), value, registry)
    return total
