"""Parse `schema.graphql` into a `Registry`, rejecting every schema the API could not serve.

All checks run here, at load time, so that a bad schema never fails at request time. Each error
names the type, the field and the rule broken.

Self-relations: a field pointing to its own type with no other field to pair with is symmetric,
as in Genie (`friends: [User]`: if A lists B, B lists A). Two or more such fields must be paired
explicitly with `@relation(name:)`.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    GraphQLError,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    StringValueNode,
    TypeNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    value_from_ast_untyped,
)
from graphql.validation.validate import validate_sdl

from chalicelib.schema.directives import FIELD_DIRECTIVES, TYPE_DIRECTIVES, prelude
from chalicelib.schema.extensions import check_extensions, split_extensions
from chalicelib.schema.naming import generated_root_fields, generated_type_names
from chalicelib.schema.plurals import pluralize
from chalicelib.schema.registry import (
    ACTIONS,
    BUILTIN_SCALARS,
    DEFAULT_SHARDS,
    FILE_TYPE,
    OWNER,
    ROLE_TYPE,
    SESSION_MODEL,
    UNFILTERABLE_SCALARS,
    USER_MODEL,
    Abstract,
    Access,
    Direction,
    Field,
    FieldKind,
    Model,
    Registry,
    Relation,
    SortedIndex,
    Storage,
    Timestamp,
)

ROOT_TYPES = frozenset({"Query", "Mutation", "Subscription"})
_STRING_SCALARS = frozenset({"ID", "String", "Email", "Date", "Time", "DateTime", "Password"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SchemaError(Exception):
    """A schema the API cannot be built from; the message says where and why."""


def load_schema_file(path: str | Path) -> Registry:
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SchemaError(f"{path}: cannot read schema: {error.strerror}") from None
    return load_schema(source, origin=str(path))


def load_schema(source: str, origin: str = "schema.graphql") -> Registry:
    try:
        document = parse(source)
    except GraphQLError as error:
        raise SchemaError(f"{origin}: {_located(error)}") from None
    # `extend type` declares what the team's Python resolves (schema/extensions.py), not models.
    models_source, extensions = split_extensions(source, document)
    try:
        registry = _Loader(parse(models_source) if extensions.fields else document, models_source).load()
        models = {m.name: set(m.fields) for m in registry.crud_models()}
        check_extensions(models, document)
    except (SchemaError, ValueError) as error:
        raise SchemaError(f"{origin}: {error}") from None
    return replace(registry, extensions=extensions) if extensions.fields else registry


def _located(error: GraphQLError) -> str:
    if error.locations:
        location = error.locations[0]
        return f"line {location.line}, column {location.column}: {error.message}"
    return error.message


class _Loader:
    def __init__(self, document: DocumentNode, source: str) -> None:
        self.document = document
        self.source = source
        self.objects: dict[str, ObjectTypeDefinitionNode] = {}
        self.enums: dict[str, tuple[str, ...]] = {}
        self.scalars: set[str] = set()
        self.interfaces: dict[str, InterfaceTypeDefinitionNode] = {}
        self.unions: dict[str, UnionTypeDefinitionNode] = {}

    def load(self) -> Registry:
        self._collect_definitions()
        self._check_with_graphql_core()
        model_nodes = self._model_nodes()
        self.model_names = set(model_nodes)
        self.abstract_names = set(self.interfaces) | set(self.unions)
        fields = {name: self._fields(node) for name, node in model_nodes.items()}
        abstracts = self._abstracts(model_nodes, fields)
        store_names = {name: _directive_arg(node, "storeName", "value") or name for name, node in model_nodes.items()}
        fields = _store_relations(_pair_relations(fields), store_names)
        models = {
            name: Model(
                name=name,
                plural=pluralize(name),
                fields=fields[name],
                store_name=store_names[name],
                description=node.description.value if node.description else None,
                access=_access(name, node, fields[name]),
                sorted_indexes=_sorted_indexes(name, node, fields[name]),
            )
            for name, node in model_nodes.items()
        }
        registry = Registry(models=models, enums=self.enums, source=self.source, abstracts=abstracts)
        _check_generated_names(registry, set(self.objects) | set(self.enums) | self.scalars | self.abstract_names)
        if SESSION_MODEL in registry.models:
            _check_session(registry)
        return registry

    def _collect_definitions(self) -> None:
        for definition in self.document.definitions:
            if isinstance(definition, ObjectTypeDefinitionNode):
                name = definition.name.value
                if name in ROOT_TYPES:
                    raise SchemaError(f"type {name}: root types are generated from the models; declare models only")
                if name == FILE_TYPE:
                    raise SchemaError(f"type {name}: {FILE_TYPE} is the built-in file field type; rename the type")
                self.objects[name] = definition
            elif isinstance(definition, EnumTypeDefinitionNode):
                self.enums[definition.name.value] = tuple(v.name.value for v in definition.values or ())
            elif isinstance(definition, InterfaceTypeDefinitionNode):
                self.interfaces[definition.name.value] = definition
            elif isinstance(definition, UnionTypeDefinitionNode):
                self.unions[definition.name.value] = definition
            elif isinstance(definition, ScalarTypeDefinitionNode):
                name = definition.name.value
                if name not in BUILTIN_SCALARS:
                    raise SchemaError(
                        f"scalar {name}: unknown scalar; the supported scalars are {', '.join(BUILTIN_SCALARS)}"
                    )
                self.scalars.add(name)
            else:
                kind = type(definition).__name__.removesuffix("Node")
                name_node = getattr(definition, "name", None)
                label = name_node.value if name_node else kind
                raise SchemaError(
                    f"{label}: {kind} is not supported in schema.graphql; declare object types, interfaces, "
                    "unions and enums"
                )

    def _check_with_graphql_core(self) -> None:
        """Directive arguments, duplicate names and the like: graphql-core's own SDL rules."""
        for node in self.objects.values():
            for directive in node.directives or ():
                if directive.name.value not in TYPE_DIRECTIVES:
                    raise SchemaError(f"type {node.name.value}: unknown or misplaced directive @{directive.name.value}")
            for field_node in node.fields or ():
                for directive in field_node.directives or ():
                    if directive.name.value not in FIELD_DIRECTIVES:
                        raise SchemaError(
                            f"{node.name.value}.{field_node.name.value}: unknown directive @{directive.name.value}"
                        )
                self._check_type_known(node.name.value, field_node)
        for abstract in (*self.interfaces.values(), *self.unions.values()):
            kind = "interface" if isinstance(abstract, InterfaceTypeDefinitionNode) else "union"
            if abstract.directives:
                raise SchemaError(f"{kind} {abstract.name.value}: takes no directives; put them on its models")
        for interface in self.interfaces.values():
            if interface.interfaces:
                raise SchemaError(
                    f"interface {interface.name.value}: interfaces implementing interfaces are not supported"
                )
            for field_node in interface.fields or ():
                if field_node.directives:
                    raise SchemaError(
                        f"{interface.name.value}.{field_node.name.value}: interface fields take no directives;"
                        " put them on the implementing models' fields"
                    )
                self._check_type_known(interface.name.value, field_node)
        declared = set(self.objects) | set(self.enums) | self.scalars | set(self.interfaces) | set(self.unions)
        # The prelude goes last so that reported line numbers are the schema file's own.
        document = parse(self.source + "\n" + prelude(declared))
        for error in validate_sdl(document):
            raise SchemaError(self._where(error) + _located(error))
        try:
            build_ast_schema(document, assume_valid_sdl=True)
        except (GraphQLError, TypeError) as error:
            raise SchemaError(str(error)) from None

    def _where(self, error: GraphQLError) -> str:
        """`Type.field: ` for the definition that holds the error's first node, if any."""
        start = next((n.loc.start for n in error.nodes or () if n.loc is not None), None)
        if start is None:
            return ""
        for node in self.objects.values():
            for field_node in node.fields or ():
                if field_node.loc is not None and field_node.loc.start <= start < field_node.loc.end:
                    return f"{node.name.value}.{field_node.name.value}: "
            if node.loc is not None and node.loc.start <= start < node.loc.end:
                return f"type {node.name.value}: "
        return ""

    def _check_type_known(self, type_name: str, node: FieldDefinitionNode) -> None:
        named = _named_type(node.type)
        known = (*self.objects, *self.enums, *self.interfaces, *self.unions, *BUILTIN_SCALARS, ROLE_TYPE, FILE_TYPE)
        if named not in known:
            raise SchemaError(f"{type_name}.{node.name.value}: unknown type {named}")

    def _model_nodes(self) -> dict[str, ObjectTypeDefinitionNode]:
        candidates = {n: node for n, node in self.objects.items() if n != ROLE_TYPE}
        marked = {n: node for n, node in candidates.items() if _has_directive(node, "model")}
        models = marked or candidates
        if not models:
            raise SchemaError("the schema declares no model (an object type with `id: ID!`)")
        return models

    def _fields(self, node: ObjectTypeDefinitionNode) -> dict[str, Field]:
        type_name = node.name.value
        fields: dict[str, Field] = {}
        store_names: dict[str, str] = {}
        for field_node in node.fields or ():
            field = self._field(type_name, field_node)
            owner = store_names.get(field.store_name)
            if owner is not None:
                raise SchemaError(
                    f"{type_name}.{field.name}: @storeName {field.store_name!r} is already used by {type_name}.{owner}"
                )
            store_names[field.store_name] = field.name
            fields[field.name] = field
        id_field = fields.get("id")
        if id_field is None or id_field.type_name != "ID" or id_field.is_list or not id_field.required:
            raise SchemaError(f"{type_name}.id: every model needs an `id: ID!` field")
        return fields

    def _field(self, type_name: str, node: FieldDefinitionNode) -> Field:
        name = node.name.value
        where = f"{type_name}.{name}"
        named, is_list, required, item_required = _unwrap(where, node.type)
        kind = self._kind(where, named, is_list)
        unique = _has_directive(node, "unique")
        indexed = _has_directive(node, "index")
        relation_name = _directive_arg(node, "relation", "name")
        timestamp = _timestamp(where, node, named, is_list)
        field = Field(
            name=name,
            type_name=named,
            kind=kind,
            is_list=is_list,
            required=required,
            item_required=item_required,
            unique=unique and name != "id",
            indexed=indexed,
            timestamp=timestamp,
            store_name=_directive_arg(node, "storeName", "value") or name,
            relation=Relation(relation_name, named, None) if kind is FieldKind.RELATION else None,
            connection=_has_directive(node, "connection"),
            description=node.description.value if node.description else None,
        )
        _check_field_rules(where, node, field)
        default_node = _directive(node, "default")
        if default_node is not None:
            value = _default_value(where, default_node, field, self.enums)
            field = Field(**{**field.__dict__, "default": value})
        return field

    def _kind(self, where: str, named: str, is_list: bool) -> FieldKind:
        if named in self.enums:
            return FieldKind.ENUM
        if named in BUILTIN_SCALARS:
            return FieldKind.SCALAR
        if named == ROLE_TYPE:
            if not is_list:
                raise SchemaError(f"{where}: {ROLE_TYPE} fields are lists of roles: declare `[{ROLE_TYPE}!]`")
            return FieldKind.ROLE
        if named == FILE_TYPE:
            if is_list:
                raise SchemaError(f"{where}: a {FILE_TYPE} field holds one file; declare one field per file")
            return FieldKind.FILE
        if named not in self.model_names and named not in self.abstract_names:
            raise SchemaError(f"{where}: type {named} is not a model (once any type has @model, only those are)")
        return FieldKind.RELATION

    def _abstracts(
        self, model_nodes: dict[str, ObjectTypeDefinitionNode], fields: dict[str, dict[str, Field]]
    ) -> dict[str, Abstract]:
        """Interfaces and unions as sets of models, each checked: members are models, and every
        implementation has every field of its interface, with a type that fits."""
        implementations: dict[str, list[str]] = {name: [] for name in self.interfaces}
        for name, object_node in self.objects.items():
            for named in object_node.interfaces or ():
                interface = named.name.value
                if interface not in self.interfaces:
                    raise SchemaError(f"type {name}: implements {interface}, which is not an interface")
                if name not in model_nodes:
                    raise SchemaError(f"type {name}: implements {interface} but is not a model; only models may")
                if name == SESSION_MODEL:
                    raise SchemaError(f"type {name}: the session model cannot implement an interface")
                implementations[interface].append(name)
        abstracts: dict[str, Abstract] = {}
        for name, interface_node in self.interfaces.items():
            members = tuple(implementations[name])
            if not members:
                raise SchemaError(f"interface {name}: no model implements it; declare `type X implements {name}`")
            shape_fields = {f.name.value: self._field(name, f) for f in interface_node.fields or ()}
            id_field = shape_fields.get("id")
            if id_field is not None and (id_field.type_name != "ID" or id_field.is_list):
                raise SchemaError(f"{name}.id: an interface's id is the models' `id: ID!`")
            shape_fields = {"id": Field("id", "ID", FieldKind.SCALAR, required=True), **shape_fields}
            for member in members:
                for interface_field in shape_fields.values():
                    _check_implemented(name, member, interface_field, fields[member].get(interface_field.name))
            abstracts[name] = self._abstract(name, interface_node, members, shape_fields, is_interface=True)
        for name, union in self.unions.items():
            members = tuple(m.name.value for m in union.types or ())
            for member in members:
                if member not in model_nodes:
                    raise SchemaError(f"union {name}: member {member} is not a model; a union is a set of models")
                if member == SESSION_MODEL:
                    raise SchemaError(f"union {name}: no union may include the session model")
            shape_fields = {"id": Field("id", "ID", FieldKind.SCALAR, required=True)}
            abstracts[name] = self._abstract(name, union, members, shape_fields, is_interface=False)
        return abstracts

    @staticmethod
    def _abstract(
        name: str,
        node: InterfaceTypeDefinitionNode | UnionTypeDefinitionNode,
        members: tuple[str, ...],
        shape_fields: dict[str, Field],
        *,
        is_interface: bool,
    ) -> Abstract:
        description = node.description.value if node.description else None
        shape = Model(name=name, plural=pluralize(name), fields=shape_fields, store_name=name)
        return Abstract(name, is_interface, members, shape, description)


def _check_implemented(interface: str, model: str, wanted: Field, field: Field | None) -> None:
    """`model`'s field for the interface's `wanted`: the same type, as nullable or stricter."""
    where = f"{model}.{wanted.name}"
    if field is None:
        raise SchemaError(f"{where}: {model} implements {interface}, so it needs {interface}.{wanted.name}")
    fits = (
        field.type_name == wanted.type_name
        and field.is_list == wanted.is_list
        and field.connection == wanted.connection
        and (field.required or not wanted.required)
        and (field.item_required or not wanted.item_required)
    )
    if not fits:
        raise SchemaError(
            f"{where}: its type must fit {interface}.{wanted.name}'s: the same type and list-ness, "
            "non-null wherever the interface's is, and @connection on neither"
        )


def _check_field_rules(where: str, node: FieldDefinitionNode, field: Field) -> None:
    if field.is_id:
        extra = [d.name.value for d in node.directives or () if d.name.value != "unique"]
        if extra:
            raise SchemaError(f"{where}: the id is managed by the server and takes no @{extra[0]}")
        return
    index_directives = [d for d in node.directives or () if d.name.value == "index"]
    if len(index_directives) > 1 or any(d.arguments for d in index_directives):
        raise SchemaError(
            f"{where}: a field takes one @index, without arguments; an ordered index is declared on the type:"
            ' @index(fields: [...], sortBy: "...")'
        )
    for directive in ("unique", "index"):
        if not _has_directive(node, directive):
            continue
        if field.is_list or field.is_relation or field.kind is FieldKind.ROLE:
            raise SchemaError(f"{where}: @{directive} applies to single scalar fields, not to lists or relations")
        if field.is_file:
            raise SchemaError(f"{where}: @{directive} cannot apply to a {FILE_TYPE} field")
        if field.type_name in UNFILTERABLE_SCALARS:
            raise SchemaError(f"{where}: @{directive} cannot apply to a {field.type_name} field")
    if field.unique and field.indexed:
        raise SchemaError(f"{where}: @unique already indexes the field; drop @index")
    if _has_directive(node, "relation") and not field.is_relation:
        raise SchemaError(f"{where}: @relation applies to fields whose type is a model, not {field.type_name}")
    if field.connection and not (field.is_relation and field.is_list):
        raise SchemaError(f"{where}: @connection applies to list relation fields")
    if _has_directive(node, "default") and (
        field.is_relation or field.timestamp or field.is_file or field.type_name == "Password"
    ):
        raise SchemaError(f"{where}: @default cannot apply to a relation, timestamp, File or Password field")
    if field.type_name == "Password" and field.is_list:
        raise SchemaError(f"{where}: a Password field holds one password, not a list")
    if field.store_name.startswith("_") or not field.store_name:
        raise SchemaError(f"{where}: @storeName must be a non-empty name not starting with '_'")


def _access(model: str, node: ObjectTypeDefinitionNode, fields: dict[str, Field]) -> Access:
    directive = _directive(node, "access")
    if directive is None:
        return Access()
    grants = {action: frozenset(_argument(directive, action) or ()) for action in ACTIONS}
    owner = _argument(directive, "owner")
    uses_owner = [action for action, roles in grants.items() if OWNER in roles]
    if uses_owner and owner is None:
        raise SchemaError(f"type {model}: @access grants {uses_owner[0]} to owner but names no `owner` field")
    if owner is not None:
        field = fields.get(owner)
        to_user = field is not None and (
            (field.is_id and model == USER_MODEL)
            or (field.is_relation and not field.is_list and field.type_name == USER_MODEL)
        )
        if not to_user:
            raise SchemaError(
                f"type {model}: @access(owner: {owner!r}) must name a to-one relation to {USER_MODEL}"
                f" (or `id` on {USER_MODEL} itself)"
            )
    if OWNER in grants["bulk"]:
        raise SchemaError(f"type {model}: @access cannot grant bulk to owner: bulk operations span records")
    return Access(owner_field=owner, **grants)


# DynamoDB's limit of global secondary indexes per table.
MAX_INDEXES = 20


def _sorted_indexes(model: str, node: ObjectTypeDefinitionNode, fields: dict[str, Field]) -> tuple[SortedIndex, ...]:
    """The type-level `@index` directives, each checked: `fields` single scalars, enums or to-one
    relations compared for equality, `sortBy` a single field with an order."""
    found: list[SortedIndex] = []
    for directive in node.directives or ():
        if directive.name.value != "index":
            continue
        names = tuple(_argument(directive, "fields") or ())
        sort_by = _argument(directive, "sortBy")
        shards = _argument(directive, "shards")
        where = f"type {model}: @index"
        if sort_by is None:
            raise SchemaError(f"{where} on a type needs `sortBy`; an unordered index is declared on its field")
        sort_field = fields.get(sort_by)
        if sort_field is None:
            raise SchemaError(f"{where}(sortBy: {sort_by!r}): {model} has no field {sort_by}")
        if sort_field.is_relation or not sort_field.sortable:
            raise SchemaError(
                f"{where}(sortBy: {sort_by!r}): {model}.{sort_by} has no order; sortBy takes a single scalar"
                " or enum field that orderBy takes"
            )
        if len(set(names)) != len(names) or sort_by in names:
            raise SchemaError(f"{where}(sortBy: {sort_by!r}): `fields` name each field once, and not sortBy's")
        for name in names:
            field = fields.get(name)
            if field is None:
                raise SchemaError(f"{where}(fields: [{name!r}]): {model} has no field {name}")
            equality = field.filterable or (field.is_relation and field.storage is Storage.POINTER)
            if field.is_id or field.is_list or not equality:
                raise SchemaError(
                    f"{where}(fields: [{name!r}]): {model}.{name} cannot be compared for equality; fields take"
                    " single scalar, enum or to-one relation fields other than id"
                )
        if names and shards is not None:
            raise SchemaError(f"{where}(sortBy: {sort_by!r}): `shards` applies to an index without `fields`")
        if shards is not None and not 1 <= shards <= 100:
            raise SchemaError(f"{where}(sortBy: {sort_by!r}): `shards` is from 1 to 100")
        index = SortedIndex(names, sort_by, 1 if names else (shards or DEFAULT_SHARDS))
        if any(other.fields == index.fields and other.sort_by == index.sort_by for other in found):
            raise SchemaError(f"{where}: {index.label} is declared twice")
        found.append(index)
    field_indexes = [f for f in fields.values() if not f.is_id and (f.unique or f.indexed)]
    links = [f for f in fields.values() if f.relation is not None and f.relation.indexed]
    if len(field_indexes) + len(links) + len(found) > MAX_INDEXES:
        raise SchemaError(
            f"type {model}: needs {len(field_indexes) + len(links) + len(found)} indexes (@unique and @index"
            f" fields, to-one relations read as lists, type-level @index); DynamoDB allows {MAX_INDEXES}"
        )
    return tuple(found)


def _timestamp(where: str, node: FieldDefinitionNode, named: str, is_list: bool) -> Timestamp | None:
    created = _directive(node, "createdTimestamp")
    updated = _directive(node, "updatedTimestamp")
    if created is None and updated is None:
        return None
    if created is not None and updated is not None:
        raise SchemaError(f"{where}: a field is either @createdTimestamp or @updatedTimestamp, not both")
    directive = created or updated
    assert directive is not None
    if named != "DateTime" or is_list:
        raise SchemaError(f"{where}: @{directive.name.value} applies to DateTime fields, not {named}")
    allow_manual = bool(_argument(directive, "allowManual") or False)
    return Timestamp(on_update=updated is not None, allow_manual=allow_manual)


def _default_value(where: str, directive: DirectiveNode, field: Field, enums: dict[str, tuple[str, ...]]) -> Any:
    node = next(a.value for a in directive.arguments or () if a.name.value == "value")
    value: Any = value_from_ast_untyped(node)
    string_like = field.type_name in _STRING_SCALARS or field.kind is FieldKind.ENUM
    if isinstance(node, StringValueNode) and (field.is_list or not string_like):
        # Genie writes every default as a string: "0", "true", "[\"a\"]".
        try:
            value = json.loads(value)
        except ValueError:
            raise SchemaError(f"{where}: @default value {node.value!r} is not a valid {field.type_name}") from None
    if value is None:
        return None
    items = value if field.is_list else [value]
    if field.is_list and not isinstance(value, list):
        raise SchemaError(f"{where}: @default for a list field must be a list")
    for item in items:
        if not _default_fits(item, field, enums):
            raise SchemaError(f"{where}: @default value {item!r} is not a valid {field.type_name}")
    return value


def _default_fits(value: Any, field: Field, enums: dict[str, tuple[str, ...]]) -> bool:
    if field.kind is FieldKind.ENUM:
        return value in enums[field.type_name]
    if field.kind is FieldKind.ROLE:
        return isinstance(value, str)
    checks: dict[str, Any] = {
        "Int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "Boolean": lambda v: isinstance(v, bool),
        "JSON": lambda _: True,
        "RecordState": lambda _: True,
        "Email": lambda v: isinstance(v, str) and bool(_EMAIL.match(v)),
    }
    return bool(checks.get(field.type_name, lambda v: isinstance(v, str))(value))


def _pair_relations(fields: dict[str, dict[str, Field]]) -> dict[str, dict[str, Field]]:
    """Fill in each relation's inverse: by `@relation(name)`, else the single field pointing back."""
    paired = {model: dict(model_fields) for model, model_fields in fields.items()}
    for model, model_fields in fields.items():
        for field in model_fields.values():
            if field.relation is None:
                continue
            if field.relation.target not in fields:
                # A relation to an interface or union links any of its models: no one field points back.
                if field.relation.name is not None:
                    raise SchemaError(
                        f"{model}.{field.name}: @relation cannot pair a field of an interface or union type"
                    )
                continue
            inverse = _inverse(model, field, fields)
            relation = Relation(field.relation.name, field.relation.target, inverse)
            paired[model][field.name] = Field(**{**field.__dict__, "relation": relation})
    return paired


def _store_relations(fields: dict[str, dict[str, Field]], store_names: dict[str, str]) -> dict[str, dict[str, Field]]:
    """Decide where each relation's links live (see `Storage`): a to-one points, a to-many whose
    inverse is a to-one reads the inverse's index, any other to-many reads edges."""
    stored = {model: dict(model_fields) for model, model_fields in fields.items()}
    for model, model_fields in fields.items():
        for field in model_fields.values():
            relation = field.relation
            if relation is None:
                continue
            inverse = fields[relation.target][relation.inverse] if relation.inverse else None
            if not field.is_list:
                indexed = inverse is not None and inverse.is_list
                relation = replace(relation, storage=Storage.POINTER, indexed=indexed)
            elif inverse is not None and not inverse.is_list:
                relation = replace(relation, storage=Storage.CHILDREN)
            else:
                relation = replace(relation, storage=Storage.EDGES, **_edges(model, field, inverse, store_names))
            stored[model][field.name] = replace(field, relation=relation)
    return stored


def _edges(model: str, field: Field, inverse: Field | None, store_names: dict[str, str]) -> dict[str, Any]:
    """The edge key of a to-many relation and this side's direction: edges are stored from the side
    whose `<model>.<field>` sorts first."""
    assert field.relation is not None
    here = f"{store_names[model]}.{field.store_name}"
    if inverse is None:
        return {"edge_key": here, "direction": Direction.FORWARD}
    if inverse is field:
        return {"edge_key": here, "direction": Direction.BOTH}
    there = f"{store_names[field.relation.target]}.{inverse.store_name}"
    if here <= there:
        return {"edge_key": here, "direction": Direction.FORWARD}
    return {"edge_key": there, "direction": Direction.BACKWARD}


def _inverse(model: str, field: Field, fields: dict[str, dict[str, Field]]) -> str | None:
    assert field.relation is not None
    where = f"{model}.{field.name}"
    target = field.relation.target
    name = field.relation.name
    pointing_back = [
        f for f in fields[target].values() if f.relation is not None and f.relation.target == model and f is not field
    ]
    if name is not None:
        named = [f for f in pointing_back if f.relation is not None and f.relation.name == name]
        named_here = [f for f in fields[model].values() if f.relation is not None and f.relation.name == name]
        if len(named) > 1 or len(named_here) > (2 if model == target else 1):
            raise SchemaError(f"{where}: @relation(name: {name!r}) is used by more than two fields")
        if named:
            return named[0].name
        return field.name if model == target else None
    unnamed_back = [f for f in pointing_back if f.relation is not None and f.relation.name is None]
    unnamed_here = [
        f
        for f in fields[model].values()
        if f.relation is not None and f.relation.target == target and f.relation.name is None
    ]
    if model == target:
        if not unnamed_back:
            return field.name
        raise SchemaError(
            f"{where}: ambiguous relation: {model} has several unnamed fields of its own type; "
            "pair them with @relation(name:)"
        )
    if not unnamed_back:
        return None
    if len(unnamed_back) > 1 or len(unnamed_here) > 1:
        candidates = ", ".join(f"{target}.{f.name}" for f in unnamed_back)
        raise SchemaError(
            f"{where}: ambiguous relation: it could pair with {candidates}; pair the fields with @relation(name:)"
        )
    return unnamed_back[0].name


def _check_generated_names(registry: Registry, declared: set[str]) -> None:
    """Generated type and root field names must not collide with each other or with declared types."""
    owners: dict[str, str] = {}
    for model in registry.crud_models():
        for name in generated_type_names(model):
            if name in declared and name != model.name:
                raise SchemaError(f"type {name}: the name is generated for model {model.name}; rename the type")
        for name in generated_root_fields(model):
            if name in owners:
                other = "its own" if owners[name] == model.name else f"type {owners[name]}'s"
                raise SchemaError(
                    f"type {model.name}: its root field {name} collides with {other} "
                    f"(plural {model.plural}); rename the type"
                )
            owners[name] = model.name
    for abstract in registry.abstracts.values():
        for name in generated_type_names(abstract.shape):
            if name in declared:
                raise SchemaError(f"type {name}: the name is generated for {abstract.name}; rename the type")


# What the session API reads and writes: (model, field) -> a description of what it must be.
_SESSION_FIELDS = {
    (SESSION_MODEL, "user"): "a relation to User",
    (SESSION_MODEL, "customer"): "a relation to User",
    (SESSION_MODEL, "roles"): "[Role!]",
    (SESSION_MODEL, "state"): "RecordState",
    (SESSION_MODEL, "cart"): "[String]",
    (USER_MODEL, "email"): "a @unique Email or String",
    (USER_MODEL, "password"): "Password",
    (USER_MODEL, "roles"): "[Role!]",
}


def _check_session(registry: Registry) -> None:
    """A schema with a Session model gets the session API, which needs these fields."""
    for (model_name, name), wanted in _SESSION_FIELDS.items():
        model = registry.models.get(model_name)
        field = model.fields.get(name) if model is not None else None
        fits = (
            field is not None
            and {
                "a relation to User": field.is_relation and not field.is_list and field.type_name == USER_MODEL,
                "[Role!]": field.kind is FieldKind.ROLE,
                "RecordState": field.type_name == "RecordState" and not field.is_list,
                "[String]": field.is_list and field.type_name == "String",
                "a @unique Email or String": field.unique and field.type_name in ("Email", "String"),
                "Password": field.type_name == "Password",
            }[wanted]
        )
        if not fits:
            raise SchemaError(f"{model_name}.{name}: the session API needs this field, as {wanted}")
    for model in registry:
        for field in model.relations():
            if field.type_name == SESSION_MODEL and not model.is_session:
                raise SchemaError(f"{model.name}.{field.name}: no model may relate to Session; the session points out")


def _unwrap(where: str, node: TypeNode) -> tuple[str, bool, bool, bool]:
    required = isinstance(node, NonNullTypeNode)
    inner = node.type if isinstance(node, NonNullTypeNode) else node
    if not isinstance(inner, ListTypeNode):
        return _named_type(inner), False, required, False
    item = inner.type
    item_required = isinstance(item, NonNullTypeNode)
    item = item.type if isinstance(item, NonNullTypeNode) else item
    if isinstance(item, ListTypeNode):
        raise SchemaError(f"{where}: lists of lists are not supported")
    return _named_type(item), True, required, item_required


def _named_type(node: TypeNode) -> str:
    while isinstance(node, (NonNullTypeNode, ListTypeNode)):
        node = node.type
    return str(node.name.value)  # type: ignore[attr-defined]


def _directive(node: FieldDefinitionNode | ObjectTypeDefinitionNode, name: str) -> DirectiveNode | None:
    return next((d for d in node.directives or () if d.name.value == name), None)


def _has_directive(node: FieldDefinitionNode | ObjectTypeDefinitionNode, name: str) -> bool:
    return _directive(node, name) is not None


def _argument(directive: DirectiveNode, name: str) -> Any:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value)
    return None


def _directive_arg(node: FieldDefinitionNode | ObjectTypeDefinitionNode, directive: str, arg: str) -> Any:
    found = _directive(node, directive)
    return _argument(found, arg) if found is not None else None
