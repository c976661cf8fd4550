"""Resolvers of the generated queries: lists, connections, singular queries, `node`, `exportData`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLResolveInfo,
    InlineFragmentNode,
    ObjectValueNode,
    SelectionSetNode,
    VariableNode,
)

from chalicelib.access.context import RequestContext, request
from chalicelib.access.permissions import Action, authorize, owned_only, readable, visible
from chalicelib.api import ids
from chalicelib.api.unique import find_unique, unique_keys
from chalicelib.errors import INVALID_INPUT, ApiError
from chalicelib.query.loader import too_many
from chalicelib.query.order import parse_order
from chalicelib.query.reader import ListArgs, Reader, Slice
from chalicelib.schema.registry import Model, Registry
from chalicelib.store.records import Record, RecordStore

Resolver = Any
PAGE_ARGUMENTS = ("where", "orderBy", "first", "last", "skip", "before", "after")


class Queries:
    def __init__(self, registry: Registry, store: RecordStore, page_cap: int) -> None:
        self.registry = registry
        self.store = store
        self.page_cap = page_cap

    def reader(self, info: GraphQLResolveInfo) -> Reader:
        return Reader(self.registry, self.store, request(info).loader, self.page_cap)

    def single(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, where: dict[str, Any] | None = None, **args: Any) -> Any:
            authorize(request(info), model, Action.READ)
            return visible(request(info), model, find_unique(self.store, model, unique_keys(model, where, args)))

        return resolve

    def plural(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, **args: Any) -> Sequence[Record | None]:
            authorize(request(info), model, Action.READ)
            list_args, lookups = list_arguments(model, args, info=info)
            list_args.where = restrict(list_args.where, owned_only(request(info), model))
            reader = self.reader(info)
            if lookups is not None:
                field_name, values = lookups
                found = reader.lookup(model, model.fields[field_name], values, list_args.where)
                request(info).loader.group(model, [r for r in found if r is not None])
                return found
            page = reader.read(model, list_args)
            if page.resume is not None:
                # A plain list has no pageInfo to say it stopped early: refuse rather than drop records.
                raise ApiError(
                    INVALID_INPUT,
                    f"{model.list_field}: more than {self.page_cap} records to read; "
                    f"use {model.list_field}Connection and page with `after`",
                )
            return request(info).loader.group(model, page.records)

        return resolve

    def connection(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
            authorize(request(info), model, Action.READ)
            list_args, _ = list_arguments(model, args, lookups_allowed=False, info=info)
            list_args.where = restrict(list_args.where, owned_only(request(info), model))
            page = self.reader(info).read(model, list_args, count=selects(info, "aggregate"), page=pages(info))
            request(info).loader.group(model, page.records)
            return connection(page)

        return resolve

    def node(self, _obj: Any, info: GraphQLResolveInfo, id: str) -> Record | None:
        model = self.registry.models.get(ids.model_of(id))
        if model is None:
            return None
        if model.is_session:
            # A session exists only for its bearer (and system-admin): others cause no read at all.
            return self.store.get(model, id) if readable(request(info), model, {"id": id}) else None
        authorize(request(info), model, Action.READ)
        return visible(request(info), model, self.store.get(model, id))

    def export_data(self, _obj: Any, info: GraphQLResolveInfo, types: list[str] | None = None) -> list[dict[str, Any]]:
        """Genie's raw data: every record of the given models (all by default), with `__typename`."""
        names = types or [m.name for m in self.registry.crud_models()]
        unknown = [n for n in names if n not in self.registry.models or self.registry.model(n).is_session]
        if unknown:
            raise ApiError(INVALID_INPUT, f"exportData: unknown type {unknown[0]}")
        for name in names:
            authorize(request(info), self.registry.model(name), Action.BULK)
            authorize(request(info), self.registry.model(name), Action.READ)
        reader = self.reader(info)
        exported = []
        for name in names:
            model = self.registry.model(name)
            args = ListArgs(where=owned_only(request(info), model))
            page = reader.read(model, args)
            if page.resume is not None:
                raise too_many(model, self.page_cap)
            records = request(info).loader.group(model, page.records)
            exported += [raw_data(request(info), model, record) for record in records]
        return exported


def raw_data(context: RequestContext, model: Model, record: Record) -> dict[str, Any]:
    """A record as Genie's raw data: `__typename` and its readable fields, its links only to records
    that exist and the caller may read (the request's loader reads them for the record's whole
    group at once)."""
    data: dict[str, Any] = {"__typename": model.name}
    for field in model.fields.values():
        value = record.get(field.name)
        if not field.readable or (value is None and field.stored):
            continue
        if field.is_relation:
            linked = [r["id"] for r in context.loader.related(field, record)]
            value = linked if field.is_list else next(iter(linked), None)
        if value is not None:
            data[field.name] = value
    return data


def written_keys(info: GraphQLResolveInfo, argument: str) -> list[str] | None:
    """The keys of an input-object argument in the order the client wrote them.

    graphql-core rebuilds input objects in the schema's field order, which would lose the
    precedence of `orderBy: {population: DESC, name: ASC}`; the query text and the raw
    variables still hold it.
    """
    for node in info.field_nodes[0].arguments or ():
        if node.name.value != argument:
            continue
        if isinstance(node.value, ObjectValueNode):
            return [f.name.value for f in node.value.fields]
        if isinstance(node.value, VariableNode):
            raw = request(info).variables.get(node.value.name.value)
            return list(raw) if isinstance(raw, dict) else None
    return None


def restrict(where: dict[str, Any] | None, clause: dict[str, Any] | None) -> dict[str, Any] | None:
    """`where` and-ed with `clause` (e.g. the caller's own records only)."""
    if clause is None:
        return where
    return {"and": [w for w in (where, clause) if w]}


def list_arguments(
    model: Model, args: dict[str, Any], *, lookups_allowed: bool = True, info: GraphQLResolveInfo | None = None
) -> tuple[ListArgs, tuple[str, list[Any]] | None]:
    """The page arguments, with root match arguments (`users(email: [...])`) folded into `where`,
    except a lone one on a unique field: that is a lookup, answered in the order asked."""
    matches = {k: v for k, v in args.items() if k not in PAGE_ARGUMENTS and v is not None}
    where = args.get("where")
    lookups = None
    if lookups_allowed and len(matches) == 1:
        name, values = next(iter(matches.items()))
        if model.fields[name].is_id or model.fields[name].unique:
            lookups = (name, values)
            matches = {}
    if matches:
        where = {"and": [w for w in (where, {"match": matches}) if w]}
    list_args = ListArgs(
        where=where,
        order=parse_order(dict(model.fields), args.get("orderBy"), written_keys(info, "orderBy") if info else None),
        first=args.get("first"),
        last=args.get("last"),
        skip=args.get("skip"),
        before=args.get("before"),
        after=args.get("after"),
    )
    list_args.check()
    return list_args, lookups


def connection(page: Slice) -> dict[str, Any]:
    return {
        "edges": [{"node": r, "cursor": c} for r, c in zip(page.records, page.cursors, strict=True)],
        "pageInfo": {
            "hasNextPage": page.has_next,
            "hasPreviousPage": page.has_previous,
            "startCursor": page.start_cursor,
            "endCursor": page.end_cursor,
        },
        "aggregate": {"count": page.count},
    }


def pages(info: GraphQLResolveInfo) -> bool:
    """Whether a connection's selection asks for its page, not only its count."""
    return selects(info, "edges") or selects(info, "pageInfo")


def selects(info: GraphQLResolveInfo, name: str) -> bool:
    """Whether the current field's selection asks for `name` (through fragments too)."""
    return any(_selects(info, node.selection_set, name) for node in info.field_nodes)


def _selects(info: GraphQLResolveInfo, selection_set: SelectionSetNode | None, name: str) -> bool:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode) and selection.name.value == name:
            return True
        if isinstance(selection, InlineFragmentNode) and _selects(info, selection.selection_set, name):
            return True
        if isinstance(selection, FragmentSpreadNode):
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None and _selects(info, fragment.selection_set, name):
                return True
    return False
