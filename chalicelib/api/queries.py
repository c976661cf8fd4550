"""Resolvers of the generated queries."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from chalicelib.access.permissions import Action, authorize
from chalicelib.api import ids
from chalicelib.api.unique import find_unique, unique_keys
from chalicelib.errors import INVALID_INPUT, ApiError, not_implemented
from chalicelib.schema.registry import Model, Registry
from chalicelib.store.records import Record, RecordStore

Resolver = Any


class Queries:
    def __init__(self, registry: Registry, store: RecordStore, page_cap: int) -> None:
        self.registry = registry
        self.store = store
        self.page_cap = page_cap

    def single(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, where: dict[str, Any] | None = None, **args: Any) -> Any:
            authorize(info.context, model, Action.READ)
            return find_unique(self.store, model, unique_keys(model, where, args))

        return resolve

    def list(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, **args: Any) -> list[Record]:
            authorize(info.context, model, Action.READ)
            if args:
                raise not_implemented(f"{model.list_field}({', '.join(args)})")
            records, truncated = self.store.scan(model, self.page_cap)
            if truncated:
                raise ApiError(
                    INVALID_INPUT,
                    f"{model.list_field} has more than {self.page_cap} records; read them in pages",
                )
            return records

        return resolve

    def node(self, _obj: Any, info: GraphQLResolveInfo, id: str) -> Record | None:
        model = self.registry.models.get(ids.model_of(id))
        if model is None:
            return None
        authorize(info.context, model, Action.READ)
        return self.store.get(model, id)
