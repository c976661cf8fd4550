"""The resolvers of the `Subscription` fields.

Subscribing is checked once, by graphql-core's `create_source_event_stream` running `subscribe`:
the arguments coerced, the caller's right to read the model, the where-clauses' limits. Its
result says what was asked for; the events themselves come from the streams (delivery.py), each
executed against the subscription's selection with its payload as the root value (`resolve`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLResolveInfo

from chalicelib.access.context import request
from chalicelib.access.permissions import Action, allowed
from chalicelib.errors import permission_denied
from chalicelib.query.where import validate
from chalicelib.schema.registry import Model, Registry


@dataclass(frozen=True)
class Subscribed:
    """A subscription as asked for: its model and `where`. graphql-core wants the source of a
    subscription to be an async iterable; this one ends at once, as events do not come through it."""

    model: Model
    where: dict[str, Any] | None

    def __aiter__(self) -> Subscribed:
        return self

    async def __anext__(self) -> Any:
        raise StopAsyncIteration


def subscribe(registry: Registry, model: Model) -> Callable[..., Any]:
    def resolve(_root: Any, info: GraphQLResolveInfo, where: dict[str, Any] | None = None) -> Subscribed:
        context = request(info)
        if not allowed(context, model, Action.READ):
            raise permission_denied(Action.READ.value, model.name)
        for node in _nodes(where):
            validate(model, node, registry)
        return Subscribed(model, where)

    return resolve


def resolve(root: Any, _info: GraphQLResolveInfo, **_args: Any) -> Any:
    """An event's payload is the root value the subscription's selection is executed against."""
    return root


def _nodes(where: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    if not where:
        return
    if where.get("node") is not None:
        yield where["node"]
    for child in (where.get("AND") or []) + (where.get("OR") or []):
        yield from _nodes(child)
