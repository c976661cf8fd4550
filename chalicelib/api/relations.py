"""Resolvers of relation fields, batch-loaded per level through the request's loader."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from chalicelib.access.permissions import Action, authorize, owned_only, visible
from chalicelib.api.queries import Queries, connection, list_arguments, restrict, selects
from chalicelib.query import where as where_grammar
from chalicelib.query.loader import related_ids
from chalicelib.schema.registry import Field, Model

Resolver = Any


def relation_resolver(queries: Queries, field: Field) -> Resolver:
    target = queries.registry.model(field.type_name)
    return _to_many(queries, field, target) if field.is_list else _to_one(queries, field, target)


def _to_one(queries: Queries, field: Field, target: Model) -> Resolver:
    def resolve(obj: dict[str, Any], info: GraphQLResolveInfo, where: dict[str, Any] | None = None) -> Any:
        # Refused whether or not this record has a related one: the answer depends on the query only.
        where_grammar.validate(target, where, queries.registry)
        if obj.get(field.name) is None:
            return None
        authorize(info.context, target, Action.READ)
        found = [r for r in info.context.loader.related(field, obj) if visible(info.context, target, r)]
        if where is not None:
            found = queries.reader(info).matching(target, where, found)
        return found[0] if found else None

    return resolve


def _to_many(queries: Queries, field: Field, target: Model) -> Resolver:
    def resolve(obj: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> Any:
        # Refused whether or not this record has related ones: the answer depends on the query only.
        where_grammar.validate(target, args.get("where"), queries.registry)
        if not obj.get(field.name) and not field.connection:
            return []
        authorize(info.context, target, Action.READ)
        info.context.loader.related(field, obj)  # loads the whole group's related records at once
        list_args, _ = list_arguments(target, args, lookups_allowed=False, info=info)
        list_args.where = restrict(list_args.where, owned_only(info.context, target))
        count = field.connection and selects(info, "aggregate")
        page = queries.reader(info).read(target, list_args, count=count, ids=related_ids(field, obj))
        return connection(page) if field.connection else page.records

    return resolve
