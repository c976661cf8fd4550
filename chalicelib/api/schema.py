"""The executable schema: generated SDL bound to resolvers.

Fields whose capability is not built yet answer with a `GGT_NOT_IMPLEMENTED` error rather than
a wrong answer.
"""

from __future__ import annotations

from typing import Any

from ariadne import InterfaceType, MutationType, ObjectType, QueryType, make_executable_schema
from graphql import GraphQLResolveInfo, GraphQLSchema

from chalicelib.access.roles import role_object
from chalicelib.api import ids
from chalicelib.api.mutations import Mutations
from chalicelib.api.queries import Queries
from chalicelib.api.scalars import SCALARS
from chalicelib.api.sdl import generate_sdl
from chalicelib.errors import not_implemented
from chalicelib.schema.naming import Names
from chalicelib.schema.registry import Field, FieldKind, Registry
from chalicelib.store.records import RecordStore


def build_schema(registry: Registry, store: RecordStore, page_cap: int) -> GraphQLSchema:
    queries = Queries(registry, store, page_cap)
    mutations = Mutations(store)
    query = QueryType()
    mutation = MutationType()
    query.set_field("node", queries.node)
    query.set_field("exportData", _pending("exportData"))
    mutation.set_field("importData", _pending("importData"))
    objects = [_object_type(model.name, model.fields.values()) for model in registry]
    for model in registry.crud_models():
        names = Names(model)
        query.set_field(names.single, queries.single(model))
        query.set_field(names.list, queries.list(model))
        mutation.set_field(names.create, mutations.create(model))
        query.set_field(names.connection_field, _pending(names.connection_field))
        for pending in (names.update, names.upsert, names.delete, names.update_many, names.delete_many):
            mutation.set_field(pending, _pending(pending))
    node = InterfaceType("Node", _node_type)
    return make_executable_schema(generate_sdl(registry), query, mutation, node, *objects, *SCALARS)


def _object_type(name: str, fields: Any) -> ObjectType:
    object_type = ObjectType(name)
    for field in fields:
        if field.kind is FieldKind.ROLE:
            object_type.set_field(field.name, _roles(field))
        elif field.is_relation:
            object_type.set_field(field.name, _pending(f"{name}.{field.name}"))
    return object_type


def _roles(field: Field) -> Any:
    def resolve(obj: dict[str, Any], _info: GraphQLResolveInfo, **_args: Any) -> list[dict[str, str]] | None:
        keys = obj.get(field.name)
        return None if keys is None else [role_object(key) for key in keys]

    return resolve


def _node_type(obj: dict[str, Any], *_: Any) -> str:
    return ids.model_of(obj["id"])


def _pending(name: str) -> Any:
    def resolve(*_args: Any, **_kwargs: Any) -> Any:
        raise not_implemented(name)

    return resolve
