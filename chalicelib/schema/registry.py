"""The model registry: what `schema.graphql` declares, in a form the rest of the code reads."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.schema.extensions import Extensions

# Scalars with a fixed meaning. `Password` is write-only, `RecordState` is Gadget's JSON state.
BUILTIN_SCALARS = (
    "ID",
    "String",
    "Int",
    "Float",
    "Boolean",
    "Date",
    "Time",
    "DateTime",
    "JSON",
    "Email",
    "Password",
    "RecordState",
)
# Scalars whose values have an order, so `range` and `orderBy` apply to them.
ORDERED_SCALARS = frozenset({"ID", "String", "Int", "Float", "Date", "Time", "DateTime", "Email"})
# Scalars that cannot be compared for equality in a useful way, or must never be read.
UNFILTERABLE_SCALARS = frozenset({"Password", "JSON", "RecordState"})
# Scalars only system-admin or the action that manages them may write.
MANAGED_SCALARS = frozenset({"Password", "RecordState"})
# Gadget's role objects: declared as `[Role!]`, stored as a list of role keys.
ROLE_TYPE = "Role"
# A file whose bytes live in the stage's bucket; the record holds its key, name, type and size.
FILE_TYPE = "File"
SESSION_MODEL = "Session"
USER_MODEL = "User"


class FieldKind(enum.Enum):
    SCALAR = "scalar"
    ENUM = "enum"
    RELATION = "relation"
    ROLE = "role"
    FILE = "file"


class NoDefault:
    """Marks a field without `@default`; `None` is a legitimate default."""

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = NoDefault()


@dataclass(frozen=True)
class Timestamp:
    """`@createdTimestamp` / `@updatedTimestamp`; `allow_manual` lets clients set the value."""

    on_update: bool
    allow_manual: bool


class Storage(enum.Enum):
    """Where a relation's links are stored, so that no item grows with the number of its links.

    - POINTER: a to-one holds the related id in its own record. When the inverse is a to-many, the
      pointer is indexed (hash: the related id, range: the record's id), and that index is the list.
    - CHILDREN: a to-many whose inverse is a to-one: nothing is stored on this side; the list is a
      Query of the inverse pointer's index, in id order.
    - EDGES: any other to-many (many-to-many, no inverse, or its own inverse): one edge item per
      link in the edge table, read forward by its key and backward through the edge index.
    """

    POINTER = "pointer"
    CHILDREN = "children"
    EDGES = "edges"


class Direction(enum.Enum):
    """How an EDGES field reads its edges: as their source, their target, or (its own inverse) both."""

    FORWARD = "forward"
    BACKWARD = "backward"
    BOTH = "both"


@dataclass(frozen=True)
class Relation:
    """The target of a relation field and, when the schema pairs one, the field pointing back."""

    name: str | None
    target: str
    inverse: str | None
    storage: Storage = Storage.POINTER
    # POINTER: whether the pointer is indexed (its inverse is a to-many read through the index).
    indexed: bool = False
    # EDGES: the relation's key in the edge table (`<model>.<field>` of the side it is stored from),
    # and which way this field reads it.
    edge_key: str = ""
    direction: Direction = Direction.FORWARD


@dataclass(frozen=True)
class Field:
    name: str
    type_name: str
    kind: FieldKind
    is_list: bool = False
    required: bool = False
    item_required: bool = False
    unique: bool = False
    indexed: bool = False
    default: Any = NO_DEFAULT
    timestamp: Timestamp | None = None
    store_name: str = ""
    relation: Relation | None = None
    connection: bool = False
    description: str | None = None

    @property
    def is_id(self) -> bool:
        return self.name == "id"

    @property
    def is_relation(self) -> bool:
        return self.kind is FieldKind.RELATION

    @property
    def storage(self) -> Storage | None:
        return self.relation.storage if self.relation is not None else None

    @property
    def stored(self) -> bool:
        """Whether the record's own item holds the field: every field but the to-many relations."""
        return not self.is_relation or self.storage is Storage.POINTER

    @property
    def readable(self) -> bool:
        return self.type_name != "Password"

    @property
    def is_file(self) -> bool:
        return self.kind is FieldKind.FILE

    @property
    def filterable(self) -> bool:
        """Whether `match` and `range` compare the field's values (a file's only `exists`)."""
        plain = self.kind is not FieldKind.RELATION and not self.is_file
        return plain and self.type_name not in UNFILTERABLE_SCALARS

    @property
    def ordered(self) -> bool:
        return not self.is_list and (self.kind is FieldKind.ENUM or self.type_name in ORDERED_SCALARS)

    @property
    def sortable(self) -> bool:
        """Whether `orderBy` takes the field: ordered values, and Booleans (false before true, as Genie)."""
        return self.ordered or (not self.is_list and self.type_name == "Boolean")

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    @property
    def managed(self) -> bool:
        """Roles, record state and passwords: only system-admin, or the action that manages them, writes them."""
        return self.kind is FieldKind.ROLE or self.type_name in MANAGED_SCALARS

    @property
    def writable(self) -> bool:
        """Whether create and update inputs accept the field (managed fields are set by the server)."""
        return not self.is_id and (self.timestamp is None or self.timestamp.allow_manual)


# How many partitions an index without `fields` spreads its records over (see `SortedIndex`).
DEFAULT_SHARDS = 4


@dataclass(frozen=True)
class SortedIndex:
    """A type-level `@index(fields: [...], sortBy: "...")`: the model's records whose `fields` equal
    given values, in `sortBy` order (ties by id), read a page at a time.

    Without `fields` every record is in it, spread over `shards` partitions by a hash of its id so
    that no partition takes every write; a read merges one Query per shard.
    """

    fields: tuple[str, ...]
    sort_by: str
    shards: int = 1

    @property
    def label(self) -> str:
        """The directive as the schema writes it."""
        fields = ", ".join(f'"{name}"' for name in self.fields)
        prefix = f"fields: [{fields}], " if self.fields else ""
        return f'@index({prefix}sortBy: "{self.sort_by}")'


OWNER = "owner"
ACTIONS = ("read", "create", "update", "delete", "bulk")


@dataclass(frozen=True)
class Access:
    """Who may do what with a model's records (`@access`); `system-admin` may always do everything.

    Each action lists role keys; `owner` grants it to the signed-in user that `owner_field` (a
    to-one relation to User, or `id` on User itself) points to, for that record only. `bulk`
    covers updateMany, deleteMany, importData and exportData.
    """

    read: frozenset[str] = frozenset()
    create: frozenset[str] = frozenset()
    update: frozenset[str] = frozenset()
    delete: frozenset[str] = frozenset()
    bulk: frozenset[str] = frozenset()
    owner_field: str | None = None

    def roles(self, action: str) -> frozenset[str]:
        granted: frozenset[str] = getattr(self, action)
        return granted


@dataclass(frozen=True)
class Model:
    name: str
    plural: str
    fields: Mapping[str, Field]
    store_name: str
    description: str | None = None
    access: Access = field(default_factory=Access)
    sorted_indexes: tuple[SortedIndex, ...] = ()

    @property
    def counted_fields(self) -> frozenset[str]:
        """The fields of its type-level indexes: a record is counted by their values (store/counters.py)."""
        return frozenset(name for index in self.sorted_indexes for name in index.fields)

    @property
    def is_session(self) -> bool:
        return self.name == SESSION_MODEL

    @property
    def single_field(self) -> str:
        """Root field name of the singular query: `City` -> `city`."""
        return lower_first(self.name)

    @property
    def list_field(self) -> str:
        return lower_first(self.plural)

    def scalars(self) -> Iterator[Field]:
        return (f for f in self.fields.values() if not f.is_relation)

    def relations(self) -> Iterator[Field]:
        return (f for f in self.fields.values() if f.is_relation)

    def pointers(self) -> Iterator[Field]:
        """The relations the record's own item holds: its to-ones."""
        return (f for f in self.fields.values() if f.storage is Storage.POINTER)

    def stored_fields(self) -> Iterator[Field]:
        return (f for f in self.fields.values() if f.stored)

    def file_fields(self) -> Iterator[Field]:
        return (f for f in self.fields.values() if f.is_file)

    def unique_fields(self) -> Iterator[Field]:
        """`id` first, then the `@unique` fields in declaration order."""
        return (f for f in self.fields.values() if f.is_id or f.unique)

    def indexed_fields(self) -> Iterator[Field]:
        """Fields with a secondary index: every `@unique` (but `id`, the key) and `@index` field."""
        return (f for f in self.fields.values() if not f.is_id and (f.unique or f.indexed))


@dataclass(frozen=True)
class Abstract:
    """An interface or a union: not a model, a set of models (`members`) a relation may point to.

    A relation whose type is one links records of any member, each in its own table; the ids say
    which. An interface's `shape` is a model-like view of its fields, by which a where-clause over
    the set is checked (a union's has only `id`: nothing but `exists` filters through it).
    """

    name: str
    is_interface: bool
    members: tuple[str, ...]
    shape: Model
    description: str | None = None

    @property
    def plural_key(self) -> str:
        return lower_first(self.shape.plural)


@dataclass(frozen=True)
class Registry:
    models: Mapping[str, Model]
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""
    abstracts: Mapping[str, Abstract] = field(default_factory=dict)
    # What `extend type` adds for the team's Python to resolve (schema/extensions.py).
    extensions: Extensions = field(default_factory=Extensions)

    def __iter__(self) -> Iterator[Model]:
        return iter(self.models.values())

    @property
    def has_files(self) -> bool:
        """Whether some model has a File field: only then has the stage a bucket (chalicelib/files)."""
        return any(True for model in self.models.values() for _ in model.file_fields())

    def crud_models(self) -> Iterator[Model]:
        """Models that get Genie's generated CRUD: all but the session, which has its own API."""
        return (m for m in self.models.values() if not m.is_session)

    def model(self, name: str) -> Model:
        return self.models[name]

    def shape(self, name: str) -> Model:
        """The model `name`, or the shape of the interface or union `name` (see `Abstract`)."""
        abstract = self.abstracts.get(name)
        return abstract.shape if abstract is not None else self.models[name]

    def targets(self, field: Field) -> tuple[Model, ...]:
        """The models a relation field may link to: its type's, or every member of its interface or union."""
        abstract = self.abstracts.get(field.type_name)
        if abstract is None:
            return (self.models[field.type_name],)
        return tuple(self.models[name] for name in abstract.members)

    def polymorphic(self, field: Field) -> bool:
        return field.type_name in self.abstracts

    def narrowed(self, field: Field, target: Model) -> Field:
        """`field` as a relation to one member `target` of its interface or union: where its links
        are stored stays the same, so nested writes and reads plan with the concrete model."""
        assert field.relation is not None
        return replace(field, type_name=target.name, relation=replace(field.relation, target=target.name))


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def upper_first(name: str) -> str:
    return name[:1].upper() + name[1:]
