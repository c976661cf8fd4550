"""The executable schema: generated SDL bound to resolvers."""

from __future__ import annotations

from typing import Any, Protocol

from ariadne import InterfaceType, MutationType, ObjectType, QueryType, SubscriptionType, UnionType
from ariadne.enums_default_values import repair_schema_default_enum_values, validate_schema_default_enum_values
from ariadne.executable_schema import SchemaBindables, normalize_bindables
from graphql import DocumentNode, GraphQLResolveInfo, GraphQLSchema, assert_valid_schema, build_ast_schema

from chalicelib.access.roles import role_object
from chalicelib.api import ids
from chalicelib.api.bulk import Bulk
from chalicelib.api.descriptions import describe
from chalicelib.api.import_data import ImportData
from chalicelib.api.mutations import Mutations
from chalicelib.api.parsed_sdl import parsed_sdl
from chalicelib.api.queries import Queries
from chalicelib.api.relations import relation_resolver
from chalicelib.api.scalars import SCALARS
from chalicelib.api.sdl import generate_sdl
from chalicelib.schema.naming import Names, SubscriptionNames
from chalicelib.schema.registry import Field, FieldKind, Model, Registry
from chalicelib.store.records import RecordStore
from chalicelib.subscriptions import source


class Extension(Protocol):
    """A part of the API beyond the models' (the session API): its SDL, and what binds resolvers to it."""

    @property
    def sdl(self) -> str: ...

    def bindables(self) -> list[Any]: ...


def build_schema(
    registry: Registry, store: RecordStore, page_cap: int, extension: Extension | None = None
) -> GraphQLSchema:
    """The executable schema of the models' API, and of `extension` when there is one."""
    queries = Queries(registry, store, page_cap)
    mutations = Mutations(registry, store, page_cap)
    bulk = Bulk(registry, store, page_cap)
    query = QueryType()
    mutation = MutationType()
    subscription = SubscriptionType()
    query.set_field("node", queries.node)
    query.set_field("exportData", queries.export_data)
    mutation.set_field("importData", ImportData(registry, store, mutations, page_cap).resolve)
    objects = [_object_type(queries, model) for model in registry]
    for model in registry.crud_models():
        names = Names(model)
        query.set_field(names.single, queries.single(model))
        query.set_field(names.list, queries.plural(model))
        query.set_field(names.connection_field, queries.connection(model))
        mutation.set_field(names.create, mutations.create(model))
        mutation.set_field(names.update, mutations.update(model))
        mutation.set_field(names.upsert, mutations.upsert(model))
        mutation.set_field(names.delete, mutations.delete(model))
        mutation.set_field(names.update_many, bulk.update_many(model))
        mutation.set_field(names.delete_many, bulk.delete_many(model))
        field = SubscriptionNames(model).field
        subscription.set_source(field, source.subscribe(registry, model))
        subscription.set_field(field, source.resolve)
    node = InterfaceType("Node", _node_type)
    # A record of an interface or union type is of the model its id names, like a node.
    abstracts = [
        InterfaceType(a.name, _node_type) if a.is_interface else UnionType(a.name, _node_type)
        for a in registry.abstracts.values()
    ]
    sdl = generate_sdl(registry) + (extension.sdl if extension is not None else "")
    extra = extension.bindables() if extension is not None else []
    roots = [query, mutation, *([subscription] if any(True for _ in registry.crud_models()) else [])]
    schema = _executable(parsed_sdl(sdl), *roots, node, *abstracts, *objects, *SCALARS, *extra)
    describe(schema, registry)
    return schema


def _executable(document: DocumentNode, *bindables: SchemaBindables) -> GraphQLSchema:
    """Ariadne's `make_executable_schema` from a document already parsed and validated (it takes
    only SDL text): the schema built, the resolvers bound, and the result checked as Ariadne does."""
    schema = build_ast_schema(document, assume_valid_sdl=True)
    for bindable in normalize_bindables(*bindables):
        bindable.bind_to_schema(schema)
    validate_schema_default_enum_values(schema)
    assert_valid_schema(schema)
    repair_schema_default_enum_values(schema)
    return schema


def _object_type(queries: Queries, model: Model) -> ObjectType:
    object_type = ObjectType(model.name)
    for field in model.fields.values():
        if field.kind is FieldKind.ROLE:
            object_type.set_field(field.name, _roles(field))
        elif field.is_relation:
            object_type.set_field(field.name, relation_resolver(queries, field))
    return object_type


def _roles(field: Field) -> Any:
    def resolve(obj: dict[str, Any], _info: GraphQLResolveInfo, **_args: Any) -> list[dict[str, str]] | None:
        keys = obj.get(field.name)
        return None if keys is None else [role_object(key) for key in keys]

    return resolve


def _node_type(obj: dict[str, Any], *_: Any) -> str:
    return ids.model_of(obj["id"])
