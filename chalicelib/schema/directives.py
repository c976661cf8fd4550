"""The directives and built-in types a `schema.graphql` may use, as SDL prepended before parsing."""

from chalicelib.schema.registry import BUILTIN_SCALARS, FILE_TYPE, ROLE_TYPE

# `@default(value:)` takes any literal: Genie writes `"0"` for an Int, we also accept `0` and lists.
DIRECTIVES_SDL = """
scalar _Literal
directive @model on OBJECT
directive @unique on FIELD_DEFINITION
directive @index(fields: [String!], sortBy: String, shards: Int) repeatable on OBJECT | FIELD_DEFINITION
directive @relation(name: String!) on FIELD_DEFINITION
directive @default(value: _Literal!) on FIELD_DEFINITION
directive @createdTimestamp(allowManual: Boolean = false) on FIELD_DEFINITION
directive @updatedTimestamp(allowManual: Boolean = false) on FIELD_DEFINITION
directive @storeName(value: String!) on OBJECT | FIELD_DEFINITION
directive @connection on FIELD_DEFINITION
directive @access(
  read: [String!]
  create: [String!]
  update: [String!]
  delete: [String!]
  bulk: [String!]
  owner: String
) on OBJECT
"""

FIELD_DIRECTIVES = frozenset(
    {"unique", "index", "relation", "default", "createdTimestamp", "updatedTimestamp", "storeName", "connection"}
)
TYPE_DIRECTIVES = frozenset({"model", "storeName", "access", "index"})

_GRAPHQL_SCALARS = frozenset({"ID", "String", "Int", "Float", "Boolean"})
EXTRA_SCALARS = tuple(s for s in BUILTIN_SCALARS if s not in _GRAPHQL_SCALARS)


def prelude(declared: set[str]) -> str:
    """The directive definitions plus every built-in the schema did not declare itself."""
    scalars = "".join(f"scalar {name}\n" for name in EXTRA_SCALARS if name not in declared)
    role = "" if ROLE_TYPE in declared else f"type {ROLE_TYPE} {{ key: String! name: String! }}\n"
    # File fields (`avatar: File`) are checked as a scalar here; the API serves them as StoredFile.
    return DIRECTIVES_SDL + scalars + role + f"scalar {FILE_TYPE}\n"
