"""Generate Genie's API, as SDL, from the model registry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from chalicelib.files.sdl import STORED_FILE, STORED_FILE_INPUT
from chalicelib.schema.directives import EXTRA_SCALARS
from chalicelib.schema.naming import Names, RelationNames, SubscriptionNames
from chalicelib.schema.registry import ROLE_TYPE, Abstract, Field, FieldKind, Model, Registry

COMMON_SDL = """
interface Node {
  id: ID!
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

"Result of updateMany / deleteMany. When `complete` is false, call again with `input.cursor: cursor`."
type BatchPayload {
  count: Int!
  clientMutationId: String
  complete: Boolean!
  cursor: String
}

type ImportDataPayload {
  data: JSON
  unalteredData: JSON
  missingData: JSON
}

input ConditionsInput {
  id: [String]!
  conditions: JSON!
}

"Sort direction; keys of an orderBy input apply in the order they are written."
enum SortOrder {
  ASC
  DESC
  ASCENDING
  DESCENDING
}

type Role {
  key: String!
  name: String!
}
"""

PAGE_ONLY_ARGS = "first: Int, last: Int, skip: Int, before: String, after: String"
PAGE_ARGS = "orderBy: {order_by}, first: Int, last: Int, skip: Int, before: String, after: String"
# A field named like a list argument gets no root match argument of its own; `where` still reaches it.
LIST_ARG_NAMES = frozenset({"where", "orderBy", "first", "last", "skip", "before", "after"})

# The empty-input placeholder: GraphQL input objects need a field even when nothing is writable.
EMPTY_INPUT_FIELD = "_: Boolean"


def generate_sdl(registry: Registry) -> str:
    return _Generator(registry).sdl()


class _Generator:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.blocks: dict[str, str] = {}

    def sdl(self) -> str:
        parts = [f"scalar {name}" for name in EXTRA_SCALARS]
        parts.append(COMMON_SDL)
        for enum_name, values in self.registry.enums.items():
            parts.append(_block("enum", enum_name, values))
        for model in self.registry:
            self._object_type(model)
        for abstract in self.registry.abstracts.values():
            self._abstract_types(abstract)
        for model in self.registry.crud_models():
            self._crud_types(model)
            self._subscription_types(model)
        self._list_inputs()
        parts.extend(self.blocks.values())
        parts.append(self._query())
        parts.append(self._mutation())
        if any(True for _ in self.registry.crud_models()):
            parts.append(self._subscription())
        return "\n\n".join(parts) + "\n"

    def _add(self, kind: str, name: str, lines: Iterable[str], description: str | None = None) -> None:
        if name in self.blocks:
            return
        body = list(lines) or [EMPTY_INPUT_FIELD]
        self.blocks[name] = _described(description) + _block(kind, name, body)

    # Output types.

    def _object_type(self, model: Model) -> None:
        lines = [_described(f.description) + self._output_field(f) for f in model.fields.values() if f.readable]
        interfaces = [a.name for a in self.registry.abstracts.values() if a.is_interface and model.name in a.members]
        self._add("type", " & ".join([f"{model.name} implements Node", *interfaces]), lines, model.description)

    def _abstract_types(self, abstract: Abstract) -> None:
        """An interface with its fields (as each model declares them, arguments included), or a
        union; the inputs that filter a list of it, and its connection."""
        shape = abstract.shape
        n = Names(shape)
        if abstract.is_interface:
            lines = [_described(f.description) + self._output_field(f) for f in shape.fields.values() if f.readable]
            self._add("interface", f"{shape.name} implements Node", lines, abstract.description)
            self._filter_inputs(shape)
        else:
            self.blocks[shape.name] = _described(abstract.description) + (
                f"union {shape.name} = {' | '.join(abstract.members)}"
            )
        self._add("type", n.connection, [f"edges: [{n.edge}!]!", "pageInfo: PageInfo!", f"aggregate: {n.aggregate}!"])
        self._add("type", n.edge, [f"node: {n.type}!", "cursor: String!"])
        self._add("type", n.aggregate, ["count: Int!"])

    def _output_field(self, field: Field) -> str:
        if field.kind is FieldKind.ROLE:
            return f"{field.name}: [{ROLE_TYPE}!]"
        if field.is_file:
            return f"{field.name}: {STORED_FILE}{'!' if field.required else ''}"
        if not field.is_relation:
            return f"{field.name}: {_declared_type(field)}"
        shape = self.registry.shape(field.type_name)
        target = Names(shape)
        filtered = self._filtered(field)
        if not field.is_list:
            args = f"(where: {target.where})" if filtered else ""
            return f"{field.name}{args}: {_declared_type(field)}"
        args = self._list_args(shape) if filtered else PAGE_ONLY_ARGS
        result = f"{target.connection}!" if field.connection else _declared_type(field)
        return f"{field.name}({args}): {result}"

    def _filtered(self, field: Field) -> bool:
        """Whether a where-clause reaches through the relation: a union's members share no fields
        to filter by, so a union relation has `exists` only, as in Genie."""
        abstract = self.registry.abstracts.get(field.type_name)
        return abstract is None or abstract.is_interface

    def _list_args(self, model: Model) -> str:
        names = Names(model)
        matches = "".join(
            f", {f.name}: [{f.type_name}!]"
            for f in model.scalars()
            if f.filterable and not f.is_list and f.name not in LIST_ARG_NAMES
        )
        return f"where: {names.where}, " + PAGE_ARGS.format(order_by=names.order_by) + matches

    # Inputs and payloads of one CRUD model.

    def _crud_types(self, model: Model) -> None:
        n = Names(model)
        self._add("type", n.connection, [f"edges: [{n.edge}!]!", "pageInfo: PageInfo!", f"aggregate: {n.aggregate}!"])
        self._add("type", n.edge, [f"node: {n.type}!", "cursor: String!"])
        self._add("type", n.aggregate, ["count: Int!"])
        self._add("type", n.payload, [f"data: {n.type}", "clientMutationId: String", f"unalteredData: {n.type}"])
        self._filter_inputs(model)
        self._create_input(model, n.create_input, exclude=None)
        self._update_input(model, n.update_input, exclude=None)
        self._mutation_inputs(model)

    def _filter_inputs(self, model: Model) -> None:
        n = Names(model)
        filterable = [f for f in model.scalars() if f.filterable]
        self._add(
            "input",
            n.where,
            [
                f"exists: {n.exists}",
                f"match: {n.match}",
                f"range: {n.range}",
                f"and: [{n.where}!]",
                f"or: [{n.where}!]",
                f"not: {n.where}",
            ]
            + [
                f"{f.name}: {Names(self.registry.shape(f.type_name)).where}"
                for f in model.relations()
                if self._filtered(f)
            ],
            "Every given key must hold. `match` is exact and any-of; `range` is [min, max], inclusive, "
            "null for an open end; relation filters hold when some related record matches.",
        )
        self._add("input", n.where_unique, [f"{f.name}: {f.type_name}" for f in model.unique_fields()])
        self._add("input", n.exists, [f"{f.name}: Boolean" for f in model.fields.values() if f.readable])
        self._add("input", n.match, [f"{f.name}: [{_input_item(f)}]" for f in filterable])
        self._add("input", n.range, [f"{f.name}: [{f.type_name}]" for f in filterable if f.ordered])
        self._add("input", n.order_by, [f"{f.name}: SortOrder" for f in filterable if f.sortable])

    def _mutation_inputs(self, model: Model) -> None:
        n = Names(model)
        mutation_id = "clientMutationId: String"
        self._add("input", n.create_mutation_input, [f"data: {n.create_input}!", mutation_id])
        conditions = f"conditions: {n.where}"
        where_unique = f"where: {n.where_unique}!"
        self._add("input", n.update_mutation_input, [f"data: {n.update_input}!", where_unique, conditions, mutation_id])
        self._add(
            "input",
            n.upsert_mutation_input,
            [f"create: {n.create_input}!", f"update: {n.update_input}!", where_unique, conditions, mutation_id],
        )
        self._add("input", n.delete_mutation_input, [where_unique, conditions, mutation_id])
        resume = "cursor: String"
        self._add(
            "input",
            n.update_many_mutation_input,
            [f"data: {n.update_input}!", f"where: {n.where}!", mutation_id, resume],
        )
        self._add("input", n.delete_many_mutation_input, [f"where: {n.where}!", mutation_id, resume])

    def _create_input(self, model: Model, name: str, exclude: str | None) -> None:
        self._write_input(model, name, exclude, self._create_type)

    def _update_input(self, model: Model, name: str, exclude: str | None) -> None:
        self._write_input(model, name, exclude, self._update_type)

    def _write_input(self, model: Model, name: str, exclude: str | None, field_type: Callable[[Field], str]) -> None:
        """A create or update input of `model`'s writable fields, less `exclude` (the inverse)."""
        if name in self.blocks:
            return
        self.blocks[name] = ""  # reserve: relation inputs may refer back to this one
        lines = [
            f"{field.name}: {field_type(field)}"
            for field in model.fields.values()
            if field.writable and field.name != exclude
        ]
        del self.blocks[name]
        self._add("input", name, lines)

    def _create_type(self, field: Field) -> str:
        if field.is_relation and self.registry.polymorphic(field):
            return self._per_type_input(field, "Create", self._create_type) + ("!" if field.required else "")
        if field.is_relation:
            names = RelationNames(field)
            self._nested_create(field, names)
            return names.create_nested + ("!" if field.required else "")
        if field.kind is FieldKind.ROLE:
            return "[String!]"
        if field.is_file:
            return STORED_FILE_INPUT + ("!" if field.required else "")
        declared = _declared_type(field)
        if field.has_default or field.timestamp is not None:
            return declared.removesuffix("!")
        return declared

    def _update_type(self, field: Field) -> str:
        if field.is_relation and self.registry.polymorphic(field):
            return self._per_type_input(field, "Update", self._update_type)
        if field.is_relation:
            names = RelationNames(field)
            self._nested_update(field, names)
            return names.update_nested
        if field.kind is FieldKind.ROLE:
            return "StringScalarListInput"
        if field.is_file:
            return STORED_FILE_INPUT
        if field.is_list:
            return f"{field.type_name}ScalarListInput"
        return field.type_name

    def _per_type_input(self, field: Field, action: str, field_type: Callable[[Field], str]) -> str:
        """The nested input of an interface or union relation: one key per model of the set (its
        plural), taking that model's own nested input."""
        name = f"{field.type_name}{action}{'Many' if field.is_list else 'One'}Input"
        lines = []
        for target in self.registry.targets(field):
            narrowed = replace(self.registry.narrowed(field, target), required=False)
            lines.append(f"{target.list_field}: {field_type(narrowed)}")
        self._add("input", name, lines)
        return name

    def _nested_create(self, field: Field, names: RelationNames) -> None:
        assert field.relation is not None
        target = self.registry.model(field.relation.target)
        unique = Names(target).where_unique
        self._create_input(target, names.create_data, exclude=field.relation.inverse)
        if field.is_list:
            lines = [f"create: [{names.create_data}!]", f"connect: [{unique}!]"]
        else:
            lines = [f"create: {names.create_data}", f"connect: {unique}"]
        self._add("input", names.create_nested, lines)

    def _nested_update(self, field: Field, names: RelationNames) -> None:
        assert field.relation is not None
        target = self.registry.model(field.relation.target)
        unique = Names(target).where_unique
        self._create_input(target, names.create_data, exclude=field.relation.inverse)
        self._update_input(target, names.update_data, exclude=field.relation.inverse)
        if field.is_list:
            self._add("input", names.update_with_where, [f"where: {unique}!", f"data: {names.update_data}!"])
            self._add(
                "input",
                names.upsert_with_where,
                [f"where: {unique}!", f"update: {names.update_data}!", f"create: {names.create_data}!"],
            )
            lines = [
                f"create: [{names.create_data}!]",
                f"connect: [{unique}!]",
                f"disconnect: [{unique}!]",
                f"delete: [{unique}!]",
                f"update: [{names.update_with_where}!]",
                f"upsert: [{names.upsert_with_where}!]",
            ]
        else:
            self._add("input", names.upsert_nested, [f"update: {names.update_data}!", f"create: {names.create_data}!"])
            lines = [
                f"create: {names.create_data}",
                f"connect: {unique}",
                "disconnect: Boolean",
                "delete: Boolean",
                f"update: {names.update_data}",
                f"upsert: {names.upsert_nested}",
            ]
        self._add("input", names.update_nested, lines)

    def _list_inputs(self) -> None:
        item_types = {"String"}
        for model in self.registry.crud_models():
            item_types.update(f.type_name for f in model.scalars() if f.is_list and f.kind is not FieldKind.ROLE)
        for item in sorted(item_types):
            self._add(
                "input",
                f"{item}ScalarListInput",
                [f"set: [{item}]", f"push: [{item}]", f"pull: [{item}]"],
                "`set` replaces the list; `push` appends (duplicates kept); `pull` removes every occurrence.",
            )

    # Root types.

    def _query(self) -> str:
        lines = ["node(id: ID!): Node", "exportData(types: [String]): [JSON]"]
        for model in self.registry.crud_models():
            n = Names(model)
            unique_args = ", ".join(f"{f.name}: {f.type_name}" for f in model.unique_fields() if f.name != "where")
            args = self._list_args(model)
            lines += [
                f"{n.single}(where: {n.where_unique}, {unique_args}): {n.type}",
                f"{n.list}({args}): [{n.type}]!",
                f"{n.connection_field}({args}): {n.connection}!",
            ]
        return _block("type", "Query", lines)

    def _mutation(self) -> str:
        lines = [
            "importData(data: [JSON]!, merge: Boolean = false, defaultTypename: String, "
            "conditions: [ConditionsInput!]): ImportDataPayload"
        ]
        for model in self.registry.crud_models():
            n = Names(model)
            lines += [
                f"{n.create}(input: {n.create_mutation_input}!): {n.payload}",
                f"{n.update}(input: {n.update_mutation_input}!): {n.payload}",
                f"{n.upsert}(input: {n.upsert_mutation_input}!): {n.payload}",
                f"{n.delete}(input: {n.delete_mutation_input}!): {n.payload}",
                f"{n.update_many}(input: {n.update_many_mutation_input}!): BatchPayload!",
                f"{n.delete_many}(input: {n.delete_many_mutation_input}!): BatchPayload!",
            ]
        return _block("type", "Mutation", lines)

    def _subscription_types(self, model: Model) -> None:
        """Genie's subscription inputs and payloads of one model (chalicelib/subscriptions/)."""
        n = SubscriptionNames(model)
        self.blocks.setdefault("MutationType", _block("enum", "MutationType", ["CREATED", "UPDATED", "DELETED"]))
        self._add(
            "input",
            n.where,
            [
                "mutation_in: [MutationType!]",
                "updatedFields_contains: [String!]",
                "updatedFields_contains_every: [String!]",
                f"node: {Names(model).where}",
                f"AND: [{n.where}!]",
                f"OR: [{n.where}!]",
            ],
            "Which changes to receive; every given key must hold. `updatedFields_contains` (any of) and "
            "`updatedFields_contains_every` (all of) hold for UPDATED only; `node` is matched against the "
            "record, for DELETED as it was.",
        )
        self._add(
            "type",
            n.payload,
            [
                "mutation: MutationType!",
                f"node: {model.name}",
                "updatedFields: [String!]",
                f"previousValues: {n.previous}",
            ],
        )
        self._add("type", n.previous, [self._previous_field(f) for f in model.fields.values() if _previous(f)])

    def _previous_field(self, field: Field) -> str:
        """A field of the record as it was: its scalars, and a to-one as the id it pointed to."""
        if field.is_relation:
            return f"{field.name}_id: ID"
        if field.is_id:
            return "id: ID!"
        return self._output_field(field).removesuffix("!")

    def _subscription(self) -> str:
        lines = []
        for model in self.registry.crud_models():
            n = SubscriptionNames(model)
            lines.append(f"{n.field}(where: {n.where}): {n.payload}")
        return _block("type", "Subscription", lines)


def _previous(field: Field) -> bool:
    """Whether a field is in previousValues: readable, and not a to-many, whose ids no one item holds."""
    return field.readable and not (field.is_relation and field.is_list)


def _input_item(field: Field) -> str:
    """The input type of one value of `field`: roles are written as their keys."""
    return "String" if field.kind is FieldKind.ROLE else field.type_name


def _declared_type(field: Field) -> str:
    inner = field.type_name
    if field.is_list:
        inner = f"[{inner}{'!' if field.item_required else ''}]"
    return inner + ("!" if field.required else "")


def _block(kind: str, name: str, lines: Iterable[str]) -> str:
    body = "\n".join(f"  {line}" for line in lines)
    return f"{kind} {name} {{\n{body}\n}}"


def _described(description: str | None) -> str:
    if not description:
        return ""
    escaped = description.replace('"""', '\\"""')
    return f'"""{escaped}"""\n'
