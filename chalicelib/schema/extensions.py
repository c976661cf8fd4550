"""`extend type` in `schema.graphql`: fields the team's Python resolves (see chalicelib/hooks).

- `extend type Query { ... }` and `extend type Mutation { ... }` declare custom operations;
- `extend type Post { ... }` declares computed fields of the model `Post`: never stored, never
  filtered by, resolved on every read.

The model loader never sees them: their text is blanked out of the source it reads, newlines
kept, so that every error it reports still names the schema file's own lines. Their SDL is kept
as written and joins the generated SDL when the API is built, which checks the types they name.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import DocumentNode, FieldDefinitionNode, ObjectTypeExtensionNode, print_ast

# The root types an extension may add operations to.
OPERATION_ROOTS = ("Query", "Mutation")


@dataclass(frozen=True)
class Extended:
    """One field an extension declares: on `Query`, `Mutation`, or a model (a computed field)."""

    type_name: str
    name: str
    # The field's arguments' names, which the resolving function must accept.
    arguments: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.type_name}.{self.name}"


@dataclass(frozen=True)
class Extensions:
    sdl: str = ""
    fields: tuple[Extended, ...] = ()

    def of(self, type_name: str) -> list[Extended]:
        return [f for f in self.fields if f.type_name == type_name]


def split_extensions(source: str, document: DocumentNode) -> tuple[str, Extensions]:
    """`source` with its `extend type` definitions blanked out, and those definitions."""
    nodes = [d for d in document.definitions if isinstance(d, ObjectTypeExtensionNode)]
    if not nodes:
        return source, Extensions()
    text = list(source)
    for node in nodes:
        assert node.loc is not None
        for offset in range(node.loc.start, node.loc.end):
            if text[offset] != "\n":
                text[offset] = " "
    fields = tuple(_extended(node, field) for node in nodes for field in node.fields or ())
    sdl = "\n\n".join(print_ast(node) for node in nodes) + "\n"
    return "".join(text), Extensions(sdl, fields)


def _extended(node: ObjectTypeExtensionNode, field: FieldDefinitionNode) -> Extended:
    return Extended(node.name.value, field.name.value, tuple(a.name.value for a in field.arguments or ()))


def check_extensions(models: dict[str, set[str]], document: DocumentNode) -> None:
    """Raise ValueError, naming the type and field, for an extension the API could not serve.
    `models` holds each model's field names (the session model's API is its own: not extended)."""
    for node in document.definitions:
        if not isinstance(node, ObjectTypeExtensionNode):
            continue
        name = node.name.value
        if name not in OPERATION_ROOTS and name not in models:
            raise ValueError(f"extend type {name}: only Query, Mutation and the models (but Session) can be extended")
        if node.directives or node.interfaces:
            raise ValueError(f"extend type {name}: takes fields only, no directives or interfaces")
        for field in node.fields or ():
            if field.directives:
                raise ValueError(f"{name}.{field.name.value}: a field of `extend type` takes no directives")
            if field.name.value in models.get(name, ()):
                raise ValueError(
                    f"{name}.{field.name.value}: already a field of the model; a computed field needs a name of its own"
                )
