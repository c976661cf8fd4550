"""Descriptions for every generated type, field, argument and input field, so that GraphiQL's docs
pane and code generators explain the API. The schema's own descriptions (from schema.graphql) and
the hand-written ones (the session API's) are kept; the rest are filled in place on the built
schema, from what the registry says each generated name is (the texts: description_texts.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

from chalicelib.api import description_texts as texts
from chalicelib.schema.naming import Names, RelationNames, SubscriptionNames
from chalicelib.schema.registry import Field, Model, Registry


@dataclass(frozen=True)
class Place:
    """What a generated type is: its kind (a key of the texts) and the model it is about."""

    kind: str
    model: Model | None = None
    to_many: bool = False
    members: str = ""


def describe(schema: GraphQLSchema, registry: Registry) -> None:
    """Describes, in place, every generated part of `schema` that has no description yet (a
    hand-written part without one, such as a schema's own enum value, stays as it is)."""
    places = _places(registry)
    roots = {root.name: kind for root, kind in _roots(schema)}
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        place = places.get(name, Place(""))
        if not named.description:
            named.description = _type_text(name, named, place, roots)
        if isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                value.description = value.description or texts.COMMON.get((name, value_name))
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in named.fields.items():
                if not field.description:
                    field.description = _field_text(registry, name, field_name, place, roots)
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        arg.description = _argument_text(name, field_name, arg_name, arg, field)


def _roots(schema: GraphQLSchema) -> list[tuple[GraphQLObjectType, str]]:
    found = [
        (schema.query_type, "Query"),
        (schema.mutation_type, "Mutation"),
        (schema.subscription_type, "Subscription"),
    ]
    return [(root, kind) for root, kind in found if root is not None]


def _places(registry: Registry) -> dict[str, Place]:
    places: dict[str, Place] = {}
    for model in registry:
        places[model.name] = Place("model", model)
    for abstract in registry.abstracts.values():
        members = ", ".join(abstract.members)
        kind = "interface" if abstract.is_interface else "union"
        places[abstract.name] = Place(kind, abstract.shape, members=members)
        _add_names(places, Names(abstract.shape), abstract.shape)
        for model in registry:
            for field in model.relations():
                if field.type_name == abstract.name:
                    for action in ("Create", "Update"):
                        name = f"{abstract.name}{action}{'Many' if field.is_list else 'One'}Input"
                        places[name] = Place("per_type", abstract.shape)
    for model in registry.crud_models():
        _add_names(places, Names(model), model)
        subscription = SubscriptionNames(model)
        places[subscription.where] = Place("subscription_where", model)
        places[subscription.payload] = Place("subscription_payload", model)
        places[subscription.previous] = Place("previous", model)
        for field in model.relations():
            # A relation to an interface or union writes each member through its own inputs.
            for target in registry.targets(field):
                narrowed = registry.narrowed(field, target)
                _add_relation(places, RelationNames(narrowed), target, narrowed)
    for name in registry.enums:
        places[name] = Place("enum")
    return places


def _add_names(places: dict[str, Place], n: Names, model: Model) -> None:
    kinds = {
        n.connection: "connection",
        n.edge: "edge",
        n.aggregate: "aggregate",
        n.payload: "payload",
        n.where: "where",
        n.where_unique: "where_unique",
        n.exists: "exists",
        n.match: "match",
        n.range: "range",
        n.order_by: "order_by",
        n.create_input: "create_input",
        n.update_input: "update_input",
        n.create_mutation_input: "create_mutation",
        n.update_mutation_input: "update_mutation",
        n.upsert_mutation_input: "upsert_mutation",
        n.delete_mutation_input: "delete_mutation",
        n.update_many_mutation_input: "update_many_mutation",
        n.delete_many_mutation_input: "delete_many_mutation",
    }
    for name, kind in kinds.items():
        places.setdefault(name, Place(kind, model))


def _add_relation(places: dict[str, Place], r: RelationNames, target: Model, field: Field) -> None:
    many = field.is_list
    kinds = {
        r.create_nested: "create_nested",
        r.update_nested: "update_nested",
        r.create_data: "create_data" if r.create_data != f"{target.name}CreateInput" else "create_input",
        r.update_data: "update_data" if r.update_data != f"{target.name}UpdateInput" else "update_input",
        r.update_with_where: "update_with_where",
        r.upsert_nested: "upsert_nested",
        r.upsert_with_where: "upsert_with_where",
    }
    for name, kind in kinds.items():
        places.setdefault(name, Place(kind, target, to_many=many))


def _type_text(name: str, named: GraphQLNamedType, place: Place, roots: dict[str, str]) -> str | None:
    if name in roots:
        return texts.ROOTS[roots[name]]
    common = texts.COMMON.get((name, ""))
    if common is not None:
        return common
    if name.endswith("ScalarListInput"):
        return "Changes to a list field: `set` replaces it; `push` appends; `pull` removes every occurrence."
    if place.kind == "enum" or isinstance(named, GraphQLEnumType):
        return f"The values of the enum {name}, as the schema declares them."
    template = texts.TYPES.get(place.kind)
    if template is None or place.model is None:
        return None  # not generated: a hand-written type says what it is itself
    return template.format(model=place.model.name, members=place.members)


def _field_text(registry: Registry, type_name: str, field_name: str, place: Place, roots: dict[str, str]) -> str | None:
    if type_name in roots:
        return _root_field_text(registry, roots[type_name], field_name)
    common = texts.COMMON.get((type_name, field_name))
    if common is not None:
        return common
    if type_name.endswith("ScalarListInput"):
        return texts.FIELDS["scalar_list"][field_name]
    model = place.model
    name = model.name if model is not None else type_name
    kind = place.kind
    if kind == "update_nested":
        kind = "update_nested_many" if place.to_many else "update_nested_one"
    if kind in ("model", "interface") and model is not None and field_name in model.fields:
        declared = model.fields[field_name]
        return declared.description or texts.FIELDS["model"].get(field_name) or _model_field(model, declared)
    if kind in ("create_input", "create_data", "update_input", "update_data") and model is not None:
        return _write_field(model, field_name, kind.startswith("create"))
    if kind == "where" and model is not None and field_name in model.fields:
        target = model.fields[field_name]
        if target.is_list:
            return f"Some related {target.type_name} matches this filter."
        return f"The related {target.type_name} exists and matches this filter."
    if kind == "per_type":
        return f"The related {_model_by_plural(registry, field_name)} records, with that model's nested input."
    if kind.endswith("_mutation") and field_name in texts.FIELDS["mutation"]:
        return texts.FIELDS["mutation"][field_name]
    fields = texts.FIELDS.get(kind, {})
    template = fields.get(field_name) or fields.get("")
    if template is None and kind == "previous" and field_name.endswith("_id"):
        return f"The id the to-one `{field_name.removesuffix('_id')}` pointed to before the change."
    return None if template is None else template.format(model=name, field=field_name)


def _model_field(model: Model, field: Field) -> str:
    """A model's field as declared: what it holds, and what the schema's directives make of it."""
    if field.is_relation:
        target = field.type_name
        inverse = (
            f" (the other side: {target}.{field.relation.inverse})" if field.relation and field.relation.inverse else ""
        )
        if field.is_list:
            return f"The related {target} records{inverse}: filter, sort and page them with the arguments."
        return f"The related {target}, or null when none is linked{inverse}."
    notes = []
    if field.unique:
        notes.append(f"unique among {model.plural}")
    if field.timestamp is not None:
        notes.append("set at every write" if field.timestamp.on_update else "set when the record is created")
    if field.has_default:
        notes.append(f"{json.dumps(field.default)} when not given at create")
    if field.required:
        notes.append("never null")
    article = "an" if field.type_name[:1] in "AEIOU" else "a"
    shape = f"a list of {field.type_name}" if field.is_list else f"{article} {field.type_name}"
    return f"The {model.name}'s `{field.name}`, {shape}" + "".join(f"; {note}" for note in notes) + "."


def _write_field(model: Model, field_name: str, create: bool) -> str:
    field = model.fields.get(field_name)
    if field is None:
        return "A placeholder: nothing of this record may be written."
    if field.is_relation:
        action = "create or connect" if create else "create, connect, disconnect, delete, update or upsert"
        return f"The related {field.type_name}: {action}."
    if create:
        needed = "required" if field.required and not field.has_default else "optional"
        default = f", {field.default!r} when omitted" if field.has_default else ""
        return f"`{field_name}` of the new {model.name} ({needed}{default})."
    how = ": set, push or pull" if field.is_list else ""
    return f"The new `{field_name}`{how}; when omitted, it stays as it is."


def _model_by_plural(registry: Registry, key: str) -> str:
    return next((m.name for m in registry if m.list_field == key), key)


def _root_field_text(registry: Registry, root: str, field_name: str) -> str | None:
    common = texts.COMMON.get((root, field_name))
    if common is not None:
        return common
    for model in registry.crud_models():
        n = Names(model)
        kinds = {
            n.single: "single",
            n.list: "list",
            n.connection_field: "connection",
        }
        if root == "Mutation":
            kinds = {
                n.create: "create",
                n.update: "update",
                n.upsert: "upsert",
                n.delete: "delete",
                n.update_many: "update_many",
                n.delete_many: "delete_many",
            }
        if root == "Subscription":
            kinds = {SubscriptionNames(model).field: "subscription"}
        if field_name in kinds:
            return texts.ROOT_FIELDS[kinds[field_name]].format(model=model.name, list=n.list)
    return None


def _argument_text(
    type_name: str, field_name: str, arg_name: str, arg: GraphQLArgument, field: GraphQLField
) -> str | None:
    common = texts.COMMON.get((type_name, field_name, arg_name))
    if common is not None:
        return common
    taken = get_named_type(arg.type).name
    if arg_name == "where":
        if taken.endswith("SubscriptionWhereInput"):
            return texts.ARGUMENTS["subscription_where"]
        return texts.ARGUMENTS["where_unique" if taken.endswith("WhereUniqueInput") else "where"]
    if arg_name in texts.ARGUMENTS and arg_name not in ("match", "unique"):
        return texts.ARGUMENTS[arg_name]
    # The others are generated from the fields of the records the field returns: a unique field's
    # (one record) or a match (a list); a hand-written field's arguments describe themselves.
    returned = _record_type(field)
    if returned is None or arg_name not in returned.fields:
        return None
    unique = not str(arg.type).startswith("[")
    return texts.ARGUMENTS["unique" if unique else "match"].format(field=arg_name)


def _record_type(field: GraphQLField) -> GraphQLObjectType | GraphQLInterfaceType | None:
    """The type of the records a field returns: its own, or a connection's nodes'."""
    returned = get_named_type(field.type)
    if isinstance(returned, GraphQLObjectType) and "edges" in returned.fields and "aggregate" in returned.fields:
        returned = get_named_type(get_named_type(returned.fields["edges"].type).fields["node"].type)
    return returned if isinstance(returned, GraphQLObjectType | GraphQLInterfaceType) else None
