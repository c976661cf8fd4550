"""Resolvers of relation fields, batch-loaded per level through the request's loader.

A related record the caller may not read does not exist for it: a to-one field is null, a
to-many field leaves it out (and does not count it), whether or not anything is linked, so the
answer never tells a hidden link from no link.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from chalicelib.access.context import request
from chalicelib.access.permissions import Action, allowed, owned_only
from chalicelib.api.queries import Queries, connection, list_arguments, pages, restrict, selects
from chalicelib.errors import INVALID_INPUT, ApiError
from chalicelib.query import where as where_grammar
from chalicelib.query.reader import Slice
from chalicelib.schema.registry import Field, Model

Resolver = Any


def relation_resolver(queries: Queries, field: Field) -> Resolver:
    if queries.registry.polymorphic(field):
        return _any(queries, field)
    target = queries.registry.model(field.type_name)
    return _to_many(queries, field, target) if field.is_list else _to_one(queries, field, target)


def _any(queries: Queries, field: Field) -> Resolver:
    """A relation to an interface or union: its records are of several models, each judged
    readable as its own by the loader (and the reader, for a page streamed from its edges)."""
    shape = queries.registry.shape(field.type_name)

    def resolve(obj: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> Any:
        where = args.get("where")
        where_grammar.validate(shape, where, queries.registry)
        if not field.is_list:
            found = request(info).loader.related(field, obj) if obj.get(field.name) is not None else []
            if where is not None:
                found = queries.reader(info).matching(shape, where, found)
            return found[0] if found else None
        list_args, _ = list_arguments(shape, args, lookups_allowed=False, info=info)
        count = field.connection and selects(info, "aggregate")
        page = queries.reader(info).read_related(field, obj, list_args, count=count, page=not count or pages(info))
        return connection(page) if field.connection else _whole(queries, field, page)

    return resolve


def _whole(queries: Queries, field: Field, page: Slice) -> list[dict[str, Any]]:
    if page.resume is not None:
        # A plain list has no pageInfo to say it stopped early: refuse rather than drop records.
        raise ApiError(
            INVALID_INPUT,
            f"{field.name}: more than {queries.page_cap} records to read; page it with `first` / `after`",
        )
    return page.records


def _to_one(queries: Queries, field: Field, target: Model) -> Resolver:
    def resolve(obj: dict[str, Any], info: GraphQLResolveInfo, where: dict[str, Any] | None = None) -> Any:
        # Refused whether or not this record has a related one: the answer depends on the query only.
        where_grammar.validate(target, where, queries.registry)
        if obj.get(field.name) is None or not allowed(request(info), target, Action.READ):
            return None
        found = request(info).loader.related(field, obj)
        if where is not None:
            found = queries.reader(info).matching(target, where, found)
        return found[0] if found else None

    return resolve


def _to_many(queries: Queries, field: Field, target: Model) -> Resolver:
    def resolve(obj: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> Any:
        # Refused whether or not this record has related ones: the answer depends on the query only.
        where_grammar.validate(target, args.get("where"), queries.registry)
        readable = allowed(request(info), target, Action.READ)
        if not field.connection and not readable:
            return []
        list_args, _ = list_arguments(target, args, lookups_allowed=False, info=info)
        if not readable:
            return connection(Slice([], [], has_next=False, has_previous=False, count=0))
        list_args.where = restrict(list_args.where, owned_only(request(info), target))
        count = field.connection and selects(info, "aggregate")
        page = queries.reader(info).read_related(field, obj, list_args, count=count, page=not count or pages(info))
        return connection(page) if field.connection else _whole(queries, field, page)

    return resolve
